"""TC token and eID-Client activation (BSI TR-03124-1 v1.4 §2.4–2.5).

The TC token is a small XML document without namespace, ``Content-Type: text/xml;
charset=utf-8``, its elements in exactly this order: ServerAddress, SessionIdentifier,
RefreshAddress, CommunicationErrorAddress (optional), Binding, PathSecurity-Protocol and
PathSecurity-Parameters/PSK (optional).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from lxml import etree

from connectors.eid.xml import Element, XmlError, parse

CONTENT_TYPE = "text/xml; charset=utf-8"
BINDING_PAOS = "urn:liberty:paos:2006-08"
PATH_SECURITY_PSK = "urn:ietf:rfc:4279"
DEFAULT_CLIENT_URL = "http://127.0.0.1:24727/eID-Client"


@dataclass(frozen=True)
class TcToken:
    server_address: str
    session_identifier: str
    refresh_address: str
    communication_error_address: str | None
    psk: str | None
    binding: str = BINDING_PAOS


def build(token: TcToken) -> bytes:
    root = etree.Element("TCTokenType")
    for name, value in (
        ("ServerAddress", token.server_address),
        ("SessionIdentifier", token.session_identifier),
        ("RefreshAddress", token.refresh_address),
        ("CommunicationErrorAddress", token.communication_error_address),
        ("Binding", token.binding),
    ):
        if value is not None:
            etree.SubElement(root, name).text = value
    if token.psk is not None:
        etree.SubElement(root, "PathSecurity-Protocol").text = PATH_SECURITY_PSK
        params = etree.SubElement(root, "PathSecurity-Parameters")
        etree.SubElement(params, "PSK").text = token.psk
    return _serialise(root)


def build_error(communication_error_address: str) -> bytes:
    """TR-03124-1 §2.4.3: the hub could not start the eID session; the only non-empty
    element is CommunicationErrorAddress, so the eID-Client sends the browser there."""
    root = etree.Element("TCTokenType")
    for name in ("ServerAddress", "SessionIdentifier", "RefreshAddress"):
        etree.SubElement(root, name).text = ""
    etree.SubElement(root, "CommunicationErrorAddress").text = communication_error_address
    etree.SubElement(root, "Binding").text = ""
    return _serialise(root)


def _serialise(root: Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def read(data: bytes) -> TcToken:
    """Parse a TC token (the simulator's eID-Client does this). Raises XmlError."""
    root = parse(data)
    if root.tag != "TCTokenType":
        raise XmlError("not a TC token")

    def value(name: str) -> str | None:
        text = root.findtext(name)
        return text.strip() if text is not None and text.strip() else None

    return TcToken(
        server_address=value("ServerAddress") or "",
        session_identifier=value("SessionIdentifier") or "",
        refresh_address=value("RefreshAddress") or "",
        communication_error_address=value("CommunicationErrorAddress"),
        psk=root.findtext("PathSecurity-Parameters/PSK"),
        binding=value("Binding") or "",
    )


def activation_link(tc_token_url: str, client_url: str = DEFAULT_CLIENT_URL) -> str:
    """Desktop: ``http://127.0.0.1:24727/eID-Client?tcTokenURL=<url-encoded>``."""
    return f"{client_url}?tcTokenURL={quote(tc_token_url, safe='')}"


def mobile_activation_link(tc_token_url: str, client_url: str = DEFAULT_CLIENT_URL) -> str:
    """Mobile: the same link with the ``eid://`` scheme."""
    rest = client_url.split("://", 1)[-1]
    return f"eid://{rest}?tcTokenURL={quote(tc_token_url, safe='')}"


def with_result(address: str, params: list[tuple[str, str]]) -> str:
    """The URL an eID-Client redirects to: ``address`` with ``params`` appended, its existing
    query parameters kept in their order (TR-03124-1 §2.5.4, as AusweisApp builds it)."""
    parts = urlsplit(address)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
