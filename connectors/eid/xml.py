"""XML basics for the eID-Interface: namespaces and a hardened parser.

Every byte the connector or the simulator reads from the network goes through :func:`parse`:
no network, no DTD, no entity expansion, no DOCTYPE at all, and a size limit (SOAP messages of
the eID-Interface are a few kilobytes; TR-03130-1 §3 defines no message larger than that).
"""

from __future__ import annotations

from lxml import etree

EID = "http://bsi.bund.de/eID/"
DSS = "urn:oasis:names:tc:dss:1.0:core:schema"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"

MAX_MESSAGE_BYTES = 1024 * 1024

Element = etree._Element


class XmlError(ValueError):
    """The input is not a well-formed, acceptable XML message."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        no_network=True,
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse(data: bytes) -> Element:
    """Parse one untrusted XML document; raise :class:`XmlError` on anything unusual."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise XmlError("message too large")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from None
    info = root.getroottree().docinfo
    if getattr(info, "doctype", "") or getattr(info, "internalDTD", None) is not None:
        raise XmlError("a DOCTYPE is not allowed in eID-Interface messages")
    return root


def qname(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def local_name(element: Element) -> str:
    return etree.QName(element).localname


def namespace_of(element: Element) -> str | None:
    return etree.QName(element).namespace


def text_of(parent: Element | None, *path: str, namespace: str = EID) -> str | None:
    """Text of the descendant reached by ``path`` (local names in ``namespace``), else None."""
    node = child(parent, *path, namespace=namespace)
    if node is None:
        return None
    return node.text or ""


def child(parent: Element | None, *path: str, namespace: str = EID) -> Element | None:
    node = parent
    for name in path:
        if node is None:
            return None
        node = node.find(qname(namespace, name))
    return node


def to_bytes(element: Element) -> bytes:
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))
