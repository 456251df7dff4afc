"""Parsing XML from outside: no DTD, no entities, no network, bounded size.

Every XML document that arrives from another party (SAML messages, SAML metadata, later the
eID-Server's SOAP answers) is parsed here first. A document type declaration of any kind is
refused outright (XXE, billion laughs, external DTDs: OWASP XML Security Cheat Sheet), before
any other code sees the document; so are processing instructions other than the XML
declaration, and documents larger than the caller's limit.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

#: Default upper bound for one document (bytes, after any inflating).
DEFAULT_MAX_BYTES = 256 * 1024

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class UnsafeXml(ValueError):  # noqa: N818
    """The document is refused; the message says why (never echoes the document)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def parse(data: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of ``data``; :class:`UnsafeXml` for anything but a plain document."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise UnsafeXml(f"document larger than {max_bytes} bytes")
    if _DOCTYPE.search(raw):
        raise UnsafeXml("document type declarations are not accepted")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML: {exc.msg}") from None
    tree = root.getroottree()
    info: Any = tree.docinfo
    if info.doctype or info.internalDTD is not None:
        raise UnsafeXml("document type declarations are not accepted")
    if any(isinstance(n, etree._ProcessingInstruction) for n in root.itersiblings(preceding=True)):
        raise UnsafeXml("processing instructions are not accepted")
    if any(isinstance(n, etree._ProcessingInstruction) for n in root.iter()):
        raise UnsafeXml("processing instructions are not accepted")
    return root


def to_bytes(element: etree._Element) -> bytes:
    """Serialise without an XML declaration (UTF-8)."""
    return etree.tostring(element, encoding="utf-8")
