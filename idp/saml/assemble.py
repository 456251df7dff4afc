"""Building, signing and encrypting the SAML Response (SAML Core §2, §3.3.3; Profiles §4.1.4.2).

The assertion is built as a document of its own that declares every namespace it uses (also
``xs`` for the ``xsi:type`` values), so that an SP that decrypts it and parses the plaintext on
its own finds everything (SPs differ here). Order per SAML Core: the assertion is signed first,
then encrypted, then the response is signed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from certs.xmlsig import (
    DSIG,
    ENVELOPED,
    EXC_C14N,
    RSA_SHA256,
    SHA256,
    XmlSecurity,
)
from idp.saml import keys

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: Our namespace for per-attribute provenance (SAML Core §2.7.3.1 allows foreign attributes).
BP = "urn:de:buergerportal:saml:provenance"
ATTRNAME_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
#: Algorithms pinned for everything we sign (BSI TR-02102-1).
SIGNATURE_ALGORITHM = RSA_SHA256
DIGEST_ALGORITHM = SHA256

_ASSERTION_NS = {"saml": SAML, "xs": XS, "xsi": XSI, "bp": BP, "ds": DSIG}


def new_id() -> str:
    """An xs:ID with 160 bits of randomness (SAML Core §1.3.4)."""
    return "_" + secrets.token_hex(20)


def instant(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


@dataclass(frozen=True)
class NameId:
    value: str
    format: str
    name_qualifier: str
    sp_name_qualifier: str


@dataclass(frozen=True)
class ReleasedAttribute:
    name: str  # the SAML attribute name (OID URI)
    friendly_name: str
    values: tuple[str, ...]
    provenance: str | None = None
    verified_on: str | None = None
    trust_level: str | None = None


@dataclass(frozen=True)
class AssertionSpec:
    issuer: str
    audience: str
    recipient: str
    in_response_to: str | None
    name_id: NameId
    authn_instant: float
    session_index: str
    class_ref: str
    attributes: tuple[ReleasedAttribute, ...]
    now: float
    lifetime: int
    skew: int
    one_time_use: bool = False


def build_assertion(spec: AssertionSpec) -> etree._Element:
    assertion = etree.Element(q(SAML, "Assertion"), nsmap=_ASSERTION_NS)
    assertion.set("ID", new_id())
    assertion.set("Version", "2.0")
    assertion.set("IssueInstant", instant(spec.now))
    etree.SubElement(assertion, q(SAML, "Issuer")).text = spec.issuer
    _subject(assertion, spec)
    _conditions(assertion, spec)
    _authn_statement(assertion, spec)
    if spec.attributes:
        _attribute_statement(assertion, spec.attributes)
    return assertion


def _subject(assertion: etree._Element, spec: AssertionSpec) -> None:
    subject = etree.SubElement(assertion, q(SAML, "Subject"))
    name_id = etree.SubElement(subject, q(SAML, "NameID"))
    name_id.set("Format", spec.name_id.format)
    name_id.set("NameQualifier", spec.name_id.name_qualifier)
    name_id.set("SPNameQualifier", spec.name_id.sp_name_qualifier)
    name_id.text = spec.name_id.value
    confirmation = etree.SubElement(subject, q(SAML, "SubjectConfirmation"))
    confirmation.set("Method", BEARER)
    data = etree.SubElement(confirmation, q(SAML, "SubjectConfirmationData"))
    data.set("NotOnOrAfter", instant(spec.now + spec.lifetime))
    data.set("Recipient", spec.recipient)
    if spec.in_response_to:
        data.set("InResponseTo", spec.in_response_to)


def _conditions(assertion: etree._Element, spec: AssertionSpec) -> None:
    conditions = etree.SubElement(assertion, q(SAML, "Conditions"))
    conditions.set("NotBefore", instant(spec.now - spec.skew))
    conditions.set("NotOnOrAfter", instant(spec.now + spec.lifetime))
    restriction = etree.SubElement(conditions, q(SAML, "AudienceRestriction"))
    etree.SubElement(restriction, q(SAML, "Audience")).text = spec.audience
    if spec.one_time_use:
        etree.SubElement(conditions, q(SAML, "OneTimeUse"))


def _authn_statement(assertion: etree._Element, spec: AssertionSpec) -> None:
    statement = etree.SubElement(assertion, q(SAML, "AuthnStatement"))
    statement.set("AuthnInstant", instant(spec.authn_instant))
    statement.set("SessionIndex", spec.session_index)
    context = etree.SubElement(statement, q(SAML, "AuthnContext"))
    etree.SubElement(context, q(SAML, "AuthnContextClassRef")).text = spec.class_ref


def _attribute_statement(
    assertion: etree._Element, attributes: tuple[ReleasedAttribute, ...]
) -> None:
    statement = etree.SubElement(assertion, q(SAML, "AttributeStatement"))
    for released in attributes:
        attribute = etree.SubElement(statement, q(SAML, "Attribute"))
        attribute.set("Name", released.name)
        attribute.set("NameFormat", ATTRNAME_URI)
        attribute.set("FriendlyName", released.friendly_name)
        if released.provenance:
            attribute.set(q(BP, "provenance"), released.provenance)
        if released.verified_on:
            attribute.set(q(BP, "verifiedOn"), released.verified_on)
        if released.trust_level:
            attribute.set(q(BP, "trustLevel"), released.trust_level)
        for value in released.values:
            element = etree.SubElement(attribute, q(SAML, "AttributeValue"))
            element.set(q(XSI, "type"), "xs:string")
            element.text = value


def signature_template(parent: etree._Element, node_id: str) -> etree._Element:
    """A ds:Signature template (pinned algorithms) placed right after the Issuer."""
    signature = etree.Element(q(DSIG, "Signature"), nsmap={"ds": DSIG})
    signed_info = etree.SubElement(signature, q(DSIG, "SignedInfo"))
    etree.SubElement(signed_info, q(DSIG, "CanonicalizationMethod")).set("Algorithm", EXC_C14N)
    etree.SubElement(signed_info, q(DSIG, "SignatureMethod")).set("Algorithm", SIGNATURE_ALGORITHM)
    reference = etree.SubElement(signed_info, q(DSIG, "Reference"))
    reference.set("URI", "#" + node_id)
    transforms = etree.SubElement(reference, q(DSIG, "Transforms"))
    etree.SubElement(transforms, q(DSIG, "Transform")).set("Algorithm", ENVELOPED)
    etree.SubElement(transforms, q(DSIG, "Transform")).set("Algorithm", EXC_C14N)
    etree.SubElement(reference, q(DSIG, "DigestMethod")).set("Algorithm", DIGEST_ALGORITHM)
    etree.SubElement(reference, q(DSIG, "DigestValue"))
    etree.SubElement(signature, q(DSIG, "SignatureValue"))
    key_info = etree.SubElement(signature, q(DSIG, "KeyInfo"))
    x509_data = etree.SubElement(key_info, q(DSIG, "X509Data"))
    etree.SubElement(x509_data, q(DSIG, "X509Certificate"))
    issuer = parent.find(q(SAML, "Issuer"))
    index = list(parent).index(issuer) + 1 if issuer is not None else 0
    parent.insert(index, signature)
    return signature


def sign(xs: XmlSecurity, element: etree._Element) -> None:
    """Sign ``element`` (Response, Assertion, LogoutRequest/Response, EntityDescriptor)."""
    node_id = element.get("ID") or ""
    signature = signature_template(element, node_id)
    certificate = signature.find(f"{{{DSIG}}}KeyInfo/{{{DSIG}}}X509Data/{{{DSIG}}}X509Certificate")
    assert certificate is not None
    certificate.text = pem_body(xs.certificate(keys.SIGNING))
    xs.sign(keys.SIGNING, element.getroottree().getroot(), node_id)


def pem_body(pem: bytes) -> str:
    lines = pem.decode("ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def encrypt(xs: XmlSecurity, assertion: etree._Element, certificate_pem: bytes) -> etree._Element:
    """saml:EncryptedAssertion holding the (self-contained) assertion encrypted for the SP.

    The plaintext is encrypted inside a neutral holder that declares no namespace: libxmlsec
    serialises just the element, so a declaration inherited from a ``saml:EncryptedAssertion``
    parent would be missing from the plaintext. An SP that decrypts into a document with other
    prefixes (pysaml2 with ``xmlsec1`` re-serialises the response as ``ns1:…``) would then find
    an unbound ``saml:`` prefix."""
    holder = etree.Element("holder")
    holder.append(_self_contained(assertion))
    encrypted = xs.encrypt(holder[0], certificate_pem)
    wrapper = etree.Element(q(SAML, "EncryptedAssertion"), nsmap={"saml": SAML})
    wrapper.append(encrypted)
    return etree.fromstring(etree.tostring(wrapper))


def _self_contained(assertion: etree._Element) -> etree._Element:
    """The assertion re-parsed on its own, with every namespace declared on it."""
    copy = etree.fromstring(etree.tostring(assertion))
    nsmap: dict[str, str] = {k: v for k, v in copy.nsmap.items() if k} | _ASSERTION_NS
    attrib: dict[str, str] = {str(k): str(v) for k, v in copy.attrib.items()}
    fresh = etree.Element(copy.tag, attrib=attrib, nsmap=nsmap)
    fresh.text = copy.text
    for child in copy:
        fresh.append(child)
    return fresh


def encrypt_assertion(xs: XmlSecurity, root: etree._Element, certificate_pem: bytes) -> None:
    """For pysaml2's ``encrypt_assertion``: encrypt each assertion inside an EncryptedAssertion
    of ``root`` in place."""
    for wrapper in root.iter(q(SAML, "EncryptedAssertion")):
        for assertion in wrapper.findall(q(SAML, "Assertion")):
            encrypted = encrypt(xs, assertion, certificate_pem)
            wrapper.remove(assertion)
            for child in encrypted:
                wrapper.append(child)


def response(
    issuer: str,
    destination: str,
    in_response_to: str | None,
    now: float,
    status: str = SUCCESS,
    sub_status: str | None = None,
    message: str | None = None,
) -> etree._Element:
    root = etree.Element(q(SAMLP, "Response"), nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(now))
    root.set("Destination", destination)
    if in_response_to:
        root.set("InResponseTo", in_response_to)
    etree.SubElement(root, q(SAML, "Issuer")).text = issuer
    root.append(status_element(status, sub_status, message))
    return root


def status_element(status: str, sub_status: str | None, message: str | None) -> etree._Element:
    element = etree.Element(q(SAMLP, "Status"))
    code = etree.SubElement(element, q(SAMLP, "StatusCode"))
    code.set("Value", status)
    if sub_status:
        etree.SubElement(code, q(SAMLP, "StatusCode")).set("Value", sub_status)
    if message:
        etree.SubElement(element, q(SAMLP, "StatusMessage")).text = message
    return element


def finish(
    xs: XmlSecurity,
    root: etree._Element,
    assertion: etree._Element | None,
    *,
    sign_response: bool,
    sign_assertion: bool,
    encrypt_for: bytes | None,
) -> bytes:
    """Sign the assertion, encrypt it, add it to the response, sign the response."""
    if assertion is not None:
        if sign_assertion:
            sign(xs, assertion)
        if encrypt_for is not None:
            root.append(encrypt(xs, assertion, encrypt_for))
        else:
            root.append(assertion)
    # re-parse so xmlsec sees one consistent document (ids, namespaces)
    root = etree.fromstring(etree.tostring(root))
    if sign_response:
        sign(xs, root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
