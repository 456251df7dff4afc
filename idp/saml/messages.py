"""The single-logout messages we send (SAML Core §3.7.1 LogoutRequest, §3.7.2 LogoutResponse,
both StatusResponseType/RequestAbstractType of §3.2). Signing is the binding's business
(:mod:`idp.saml.bindings`)."""

from __future__ import annotations

from lxml import etree

from idp.saml.assemble import SAML, SAMLP, SUCCESS, instant, new_id, q, status_element

#: Reason of a logout the citizen asked for (SAML Core §3.7.3.1).
REASON_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"
#: How long a LogoutRequest of ours may be acted on (NotOnOrAfter).
REQUEST_LIFETIME = 300


def logout_request(
    issuer: str,
    destination: str,
    now: float,
    name_id: tuple[str, str],
    name_qualifier: str,
    sp_name_qualifier: str,
    session_index: str,
) -> etree._Element:
    """A LogoutRequest for the session participant ``sp_name_qualifier``; ``name_id`` is the
    (format, value) it received from us."""
    root = etree.Element(q(SAMLP, "LogoutRequest"), nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now))
    root.set("Destination", destination)
    root.set("NotOnOrAfter", instant(now + REQUEST_LIFETIME))
    root.set("Reason", REASON_USER)
    etree.SubElement(root, q(SAML, "Issuer")).text = issuer
    element = etree.SubElement(root, q(SAML, "NameID"))
    element.set("Format", name_id[0])
    element.set("NameQualifier", name_qualifier)
    element.set("SPNameQualifier", sp_name_qualifier)
    element.text = name_id[1]
    etree.SubElement(root, q(SAMLP, "SessionIndex")).text = session_index
    return root


def logout_response(
    issuer: str,
    destination: str,
    in_response_to: str | None,
    now: float,
    status: str = SUCCESS,
    sub_status: str | None = None,
) -> etree._Element:
    root = etree.Element(q(SAMLP, "LogoutResponse"), nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now))
    root.set("Destination", destination)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, q(SAML, "Issuer")).text = issuer
    root.append(status_element(status, sub_status, None))
    return root
