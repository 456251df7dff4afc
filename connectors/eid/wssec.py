"""WS-Security for the eID-Interface (the WSDL's ``SigOnly`` policy, TR-03130-1 §2.3).

Every request and response carries, in ``soap:Header/wsse:Security``, a ``wsu:Timestamp`` and
an XML signature over ``soap:Body`` and that Timestamp: RSA-SHA256, exclusive c14n, SHA-256
digests, the signer's X.509 certificate referenced by IssuerSerial (``RequireIssuerSerial
Reference``). Signing and verification run in-process with the ``xmlsec`` binding.

Verification is strict and wrapping-proof: exactly one Envelope/Header/Security/Signature, the
references are exactly the ids of THE Body (the Envelope's only Body child) and THE Timestamp
(a child of that Security header), every ``wsu:Id`` in the message is unique, no transforms
other than exclusive c14n, and the Timestamp is neither stale nor from the future.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Protocol

import xmlsec
from cryptography import x509
from lxml import etree

from connectors.eid.xml import DS, SOAP, WSSE, WSU, Element, qname
from core.clock import Clock

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_ID = qname(WSU, "Id")


class SignatureError(ValueError):
    """The message's WS-Security signature is missing, malformed, wrong or stale."""


class MessageSigner(Protocol):
    def sign(self, envelope: Element) -> Element:
        """Add the WS-Security header (Timestamp + Signature) to a SOAP envelope."""
        ...


class MessageVerifier(Protocol):
    def verify(self, envelope: Element) -> None:
        """Raise :class:`SignatureError` unless the envelope is correctly signed."""
        ...


def _iso(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_iso(value: str | None) -> float:
    if not value:
        raise SignatureError("timestamp without Created/Expires")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("unreadable timestamp") from None
    if moment.tzinfo is None:
        raise SignatureError("timestamp without time zone")
    return moment.timestamp()


class SigningKeySource(Protocol):
    """Where a signer gets its key: a loaded ``xmlsec.Key`` and the certificate (PEM) that goes
    with it. Asked once per message, so it must be cheap; a new pair means a rolled-over key."""

    def signing_key(self) -> tuple[xmlsec.Key, bytes]: ...


class FixedSigningKey:
    def __init__(self, key: xmlsec.Key, cert_pem: bytes) -> None:
        self._pair = (key, cert_pem)

    def signing_key(self) -> tuple[xmlsec.Key, bytes]:
        return self._pair


class KeySourceSigner:
    """Signs with the key its :class:`SigningKeySource` names now (the hub's key lives in
    ``certs``, which hands out a loaded key, never the key bytes)."""

    def __init__(self, source: SigningKeySource, clock: Clock, lifetime_seconds: int = 300) -> None:
        self._source = source
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._names: dict[bytes, tuple[str, str]] = {}

    def _issuer_serial(self, cert_pem: bytes) -> tuple[str, str]:
        names = self._names.get(cert_pem)
        if names is None:
            certificate = x509.load_pem_x509_certificate(cert_pem)
            names = (certificate.issuer.rfc4514_string(), str(certificate.serial_number))
            self._names = {cert_pem: names}  # only the current certificate is kept
        return names

    def sign(self, envelope: Element) -> Element:
        key, cert_pem = self._source.signing_key()
        header, body = _header_and_body(envelope, create_header=True)
        security = etree.SubElement(header, qname(WSSE, "Security"), nsmap={"wsse": WSSE})
        security.set(qname(SOAP, "mustUnderstand"), "1")
        timestamp = self._timestamp(security)
        body.set(_ID, "Body-" + secrets.token_hex(12))
        signature = xmlsec.template.create(
            envelope,
            xmlsec.constants.TransformExclC14N,
            xmlsec.constants.TransformRsaSha256,
            ns="ds",
        )
        security.append(signature)
        for target in (body, timestamp):
            ref = xmlsec.template.add_reference(
                signature, xmlsec.constants.TransformSha256, uri="#" + target.get(_ID, "")
            )
            xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
        context = xmlsec.SignatureContext()
        context.register_id(body, "Id", WSU)
        context.register_id(timestamp, "Id", WSU)
        context.key = key
        context.sign(signature)
        signature.append(self._key_info(*self._issuer_serial(cert_pem)))
        return envelope

    def _timestamp(self, security: Element) -> Element:
        now = self._clock.now()
        timestamp = etree.SubElement(security, qname(WSU, "Timestamp"), nsmap={"wsu": WSU})
        timestamp.set(_ID, "TS-" + secrets.token_hex(12))
        etree.SubElement(timestamp, qname(WSU, "Created")).text = _iso(now)
        etree.SubElement(timestamp, qname(WSU, "Expires")).text = _iso(now + self._lifetime)
        return timestamp

    def _key_info(self, issuer: str, serial: str) -> Element:
        key_info = etree.Element(qname(DS, "KeyInfo"), nsmap={"ds": DS})
        reference = etree.SubElement(key_info, qname(WSSE, "SecurityTokenReference"))
        issuer_serial = etree.SubElement(
            etree.SubElement(reference, qname(DS, "X509Data")), qname(DS, "X509IssuerSerial")
        )
        etree.SubElement(issuer_serial, qname(DS, "X509IssuerName")).text = issuer
        etree.SubElement(issuer_serial, qname(DS, "X509SerialNumber")).text = serial
        return key_info


class XmlsecSigner(KeySourceSigner):
    """Signs with an RSA key and its certificate given as PEM bytes (loaded once)."""

    def __init__(
        self, key_pem: bytes, cert_pem: bytes, clock: Clock, lifetime_seconds: int = 300
    ) -> None:
        key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
        super().__init__(FixedSigningKey(key, cert_pem), clock, lifetime_seconds)


class XmlsecVerifier:
    """Verifies against exactly one trusted certificate (the peer's signing certificate)."""

    def __init__(
        self, cert_pem: bytes, clock: Clock, max_age_seconds: int = 300, skew_seconds: int = 60
    ) -> None:
        self._key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
        certificate = x509.load_pem_x509_certificate(cert_pem)
        self._serial = str(certificate.serial_number)
        self._clock = clock
        self._max_age = max_age_seconds
        self._skew = skew_seconds

    def verify(self, envelope: Element) -> None:
        header, body = _header_and_body(envelope, create_header=False)
        security = _only(header.findall(qname(WSSE, "Security")), "wsse:Security")
        signature = _only(security.findall(qname(DS, "Signature")), "ds:Signature")
        timestamp = _only(security.findall(qname(WSU, "Timestamp")), "wsu:Timestamp")
        _only(envelope.findall(f".//{qname(DS, 'Signature')}"), "signature in the message")
        _check_unique_ids(envelope)
        _check_signed_info(signature, body, timestamp)
        self._check_key_reference(signature)
        context = xmlsec.SignatureContext()
        context.register_id(body, "Id", WSU)
        context.register_id(timestamp, "Id", WSU)
        context.key = self._key
        try:
            context.verify(signature)
        except xmlsec.Error:
            raise SignatureError("signature does not verify") from None
        self._check_timestamp(timestamp)

    def _check_key_reference(self, signature: Element) -> None:
        serial = signature.findtext(f".//{qname(DS, 'X509SerialNumber')}")
        if serial is not None and serial.strip() != self._serial:
            raise SignatureError("signed with another certificate than the configured one")

    def _check_timestamp(self, timestamp: Element) -> None:
        now = self._clock.now()
        created = _parse_iso(timestamp.findtext(qname(WSU, "Created")))
        expires_text = timestamp.findtext(qname(WSU, "Expires"))
        if created > now + self._skew:
            raise SignatureError("timestamp from the future")
        if now - created > self._max_age + self._skew:
            raise SignatureError("timestamp too old")
        if expires_text is not None and _parse_iso(expires_text) < now - self._skew:
            raise SignatureError("timestamp expired")


def _only(found: list[Element], what: str) -> Element:
    if len(found) != 1:
        raise SignatureError(f"expected exactly one {what}, found {len(found)}")
    return found[0]


def _header_and_body(envelope: Element, create_header: bool) -> tuple[Element, Element]:
    if envelope.tag != qname(SOAP, "Envelope"):
        raise SignatureError("not a SOAP 1.1 envelope")
    body = _only(envelope.findall(qname(SOAP, "Body")), "soap:Body")
    headers = envelope.findall(qname(SOAP, "Header"))
    if not headers and create_header:
        header = etree.Element(qname(SOAP, "Header"))
        envelope.insert(0, header)
        return header, body
    return _only(headers, "soap:Header"), body


def _check_unique_ids(envelope: Element) -> None:
    seen: set[str] = set()
    for node in envelope.iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if etree.QName(name).localname.lower() != "id":
                continue
            text = str(value)
            if text in seen:
                raise SignatureError("duplicate id in the message (signature wrapping)")
            seen.add(text)


def _check_signed_info(signature: Element, body: Element, timestamp: Element) -> None:
    signed_info = _only(signature.findall(qname(DS, "SignedInfo")), "ds:SignedInfo")
    c14n = signed_info.find(qname(DS, "CanonicalizationMethod"))
    method = signed_info.find(qname(DS, "SignatureMethod"))
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise SignatureError("canonicalization must be exclusive c14n")
    if method is None or method.get("Algorithm") != RSA_SHA256:
        raise SignatureError("signature method must be RSA-SHA256")
    expected = {"#" + (body.get(_ID) or "-"), "#" + (timestamp.get(_ID) or "-")}
    references = signed_info.findall(qname(DS, "Reference"))
    uris = [ref.get("URI", "") for ref in references]
    if len(uris) != 2 or set(uris) != expected:
        raise SignatureError("the signature must cover exactly the Body and the Timestamp")
    for ref in references:
        _check_reference(ref)


def _check_reference(reference: Element) -> None:
    digest = reference.find(qname(DS, "DigestMethod"))
    if digest is None or digest.get("Algorithm") != SHA256:
        raise SignatureError("digest method must be SHA-256")
    transforms = reference.findall(f"{qname(DS, 'Transforms')}/{qname(DS, 'Transform')}")
    if any(t.get("Algorithm") != EXC_C14N for t in transforms):
        raise SignatureError("only the exclusive c14n transform is allowed")
