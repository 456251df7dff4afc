"""Offline validation against the TR-03130 schema bundle in ``connectors/eid/schema/``.

Same rules as the bundle's ``validate.py``: lxml with ``no_network``, no DTD, no entity
resolution, and a resolver that refuses every non-local URL. The message element (the first
child of ``soap:Body``) is validated as if it were the document root.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.eid.xml import EID, SOAP, Element, local_name, namespace_of

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


class InterfaceVersion(StrEnum):
    """TR-03130 eID-Interface versions the connector and the simulator speak."""

    V2_4_0 = "2.4.0"
    V2_0_2 = "2.0.2"


_FILES = {
    InterfaceVersion.V2_0_2: SCHEMA_DIR / "v2.0.2" / "TR-03130eID-Server20.xsd",
    InterfaceVersion.V2_4_0: SCHEMA_DIR / "v2.4.0" / "TR-03130eID-Server24.xsd",
}


class SchemaViolationError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class _OfflineResolver(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: object = None) -> None:
        if "://" in system_url and not system_url.startswith("file:"):
            raise OSError(f"network access refused (offline validation): {system_url}")
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_OfflineResolver())
    return parser


@cache
def load_schema(version: InterfaceVersion) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_FILES[version]), _parser()))


def message_element(element: Element) -> Element:
    """The eID message inside a SOAP envelope, or ``element`` itself."""
    if namespace_of(element) == SOAP and local_name(element) == "Envelope":
        body = element.find(f"{{{SOAP}}}Body")
        children = [] if body is None else [c for c in body if isinstance(c.tag, str)]
        if not children:
            raise SchemaViolationError(["SOAP envelope without a message in its Body"])
        return children[0]
    return element


def errors(element: Element, version: InterfaceVersion) -> list[str]:
    """Schema errors of the message (empty when valid)."""
    message = message_element(element)
    if namespace_of(message) != EID:
        return [f"message element {message.tag} is not in namespace {EID}"]
    schema = load_schema(version)
    if schema.validate(message):
        return []
    log: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
    return [f"line {e.line}: {e.message}" for e in log]


def assert_valid(element: Element, version: InterfaceVersion) -> None:
    found = errors(element, version)
    if found:
        raise SchemaViolationError(found)
