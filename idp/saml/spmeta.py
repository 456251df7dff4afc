"""Reading and validating an SP's metadata before it is registered (SAML Metadata §2.4.4).

What is refused, with a message an administrator can act on: anything that is not exactly one
``md:EntityDescriptor`` with one ``md:SPSSODescriptor`` for SAML 2.0, a document type
declaration, an expired ``validUntil``, an AssertionConsumerService without HTTP-POST, ACS or
SLO URLs that are not absolute http(s) (https in production), certificates with keys weaker
than BSI TR-02102-1 allows (RSA below 3072 bits, EC below P-256) or signed with SHA-1/MD5,
expired certificates, and signing/digest methods announced as SHA-1 only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask_babel import lazy_gettext as _l
from lxml import etree

from core import safexml

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
ALG = "urn:oasis:names:tc:SAML:metadata:algsupport"
NS = {"md": MD, "ds": DS, "alg": ALG}
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
MAX_METADATA_BYTES = 512 * 1024
RSA_MIN_BITS = 3072
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)
_SHA1_URIS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    }
)


class MetadataRefused(ValueError):  # noqa: N818
    """The metadata cannot be registered; ``message`` is shown to the administrator."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Endpoint:
    binding: str
    location: str
    response_location: str | None = None
    index: int | None = None
    #: The isDefault attribute (SAML Metadata §2.2.3): True, False, or None when absent.
    is_default: bool | None = None


@dataclass(frozen=True)
class SpMetadata:
    entity_id: str
    display_name: str
    acs: tuple[Endpoint, ...]
    slo: tuple[Endpoint, ...]
    signing_certs: tuple[bytes, ...]
    encryption_certs: tuple[bytes, ...]
    name_id_formats: tuple[str, ...]
    authn_requests_signed: bool
    want_assertions_signed: bool
    xml: str = field(repr=False)
    #: When the metadata stop being usable: the earlier of validUntil and the first certificate
    #: expiry (checked again on every use of a cached copy).
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def acs_by_index(self, index: int) -> Endpoint | None:
        return next((e for e in self.acs if e.index == index), None)

    def default_acs(self) -> Endpoint:
        """SAML Metadata §2.2.3: the first with isDefault="true", else the first without
        isDefault="false", else the first of all."""
        for wanted in (True, None):
            for endpoint in self.acs:
                if endpoint.is_default is wanted:
                    return endpoint
        return self.acs[0]


def parse(data: bytes | str, *, require_https: bool, now: datetime | None = None) -> SpMetadata:
    """Validate ``data`` as one SP's metadata; :class:`MetadataRefused` says what is wrong."""
    try:
        root = safexml.parse(data, MAX_METADATA_BYTES)
    except safexml.UnsafeXml as exc:
        raise MetadataRefused(
            _l("Die Metadaten sind kein gültiges XML: %(e)s", e=str(exc))
        ) from None
    if root.tag != f"{{{MD}}}EntityDescriptor":
        raise MetadataRefused(_l("Erwartet wird genau ein md:EntityDescriptor."))
    entity_id = (root.get("entityID") or "").strip()
    if not entity_id or len(entity_id) > 1024:
        raise MetadataRefused(_l("Die Metadaten nennen keine gültige entityID."))
    valid_until = _check_valid_until(root, now or datetime.now(UTC))
    sp = _sp_descriptor(root)
    signing, encryption = _certificates(sp, now or datetime.now(UTC))
    _check_algorithms(root)
    ends = [valid_until] if valid_until else []
    ends += [x509.load_pem_x509_certificate(c).not_valid_after_utc for c in signing + encryption]
    return SpMetadata(
        entity_id=entity_id,
        display_name=_display_name(root, entity_id),
        acs=_endpoints(sp, "AssertionConsumerService", require_https, indexed=True),
        slo=_endpoints(sp, "SingleLogoutService", require_https, indexed=False),
        signing_certs=signing,
        encryption_certs=encryption,
        name_id_formats=tuple(
            (e.text or "").strip() for e in sp.findall("md:NameIDFormat", NS) if e.text
        ),
        authn_requests_signed=sp.get("AuthnRequestsSigned") in {"true", "1"},
        want_assertions_signed=sp.get("WantAssertionsSigned") in {"true", "1"},
        xml=safexml.to_bytes(root).decode("utf-8"),
        expires_at=min(ends) if ends else None,
    )


def _check_valid_until(root: etree._Element, now: datetime) -> datetime | None:
    valid_until = root.get("validUntil")
    if not valid_until:
        return None
    try:
        until = datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
    except ValueError:
        raise MetadataRefused(_l("validUntil ist kein gültiger Zeitpunkt.")) from None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    if until <= now:
        raise MetadataRefused(_l("Die Metadaten sind abgelaufen (validUntil)."))
    return until


def _sp_descriptor(root: etree._Element) -> etree._Element:
    descriptors = root.findall("md:SPSSODescriptor", NS)
    if len(descriptors) != 1:
        raise MetadataRefused(_l("Erwartet wird genau ein md:SPSSODescriptor."))
    sp = descriptors[0]
    if PROTOCOL not in (sp.get("protocolSupportEnumeration") or "").split():
        raise MetadataRefused(_l("Der SP unterstützt laut Metadaten kein SAML 2.0."))
    return sp


def _endpoints(
    sp: etree._Element, name: str, require_https: bool, *, indexed: bool
) -> tuple[Endpoint, ...]:
    found = []
    for element in sp.findall(f"md:{name}", NS):
        binding = element.get("Binding") or ""
        if binding not in {BINDING_POST, BINDING_REDIRECT}:
            continue
        if indexed and binding != BINDING_POST:
            continue  # responses go by HTTP-POST only (SAML Bindings §3.4.1: too large)
        location = _url(element.get("Location") or "", require_https)
        response = element.get("ResponseLocation")
        index_text = element.get("index")
        try:
            index = int(index_text) if index_text is not None else None
        except ValueError:
            raise MetadataRefused(_l("Ein Endpunkt hat einen ungültigen index.")) from None
        found.append(
            Endpoint(
                binding,
                location,
                _url(response, require_https) if response else None,
                index,
                _flag(element.get("isDefault")),
            )
        )
    if indexed and not found:
        raise MetadataRefused(
            _l("Der SP braucht mindestens einen AssertionConsumerService mit HTTP-POST.")
        )
    return tuple(found)


def _flag(value: str | None) -> bool | None:
    """An xs:boolean attribute: True, False, or None when absent (or not a boolean)."""
    return {"true": True, "1": True, "false": False, "0": False}.get((value or "").strip())


def _url(value: str, require_https: bool) -> str:
    parts = urlsplit(value)
    allowed = {"https"} if require_https else {"https", "http"}
    if parts.scheme not in allowed or not parts.netloc or parts.fragment:
        raise MetadataRefused(
            _l("Endpunkt-Adresse nicht zulässig (nur absolute https-Adressen): %(u)s", u=value)
        )
    return value


def _certificates(sp: etree._Element, now: datetime) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    signing: list[bytes] = []
    encryption: list[bytes] = []
    for descriptor in sp.findall("md:KeyDescriptor", NS):
        use = descriptor.get("use") or ""
        for element in descriptor.findall(".//ds:X509Certificate", NS):
            pem = certificate_pem(element.text or "", now)
            if use in {"", "signing"}:
                signing.append(pem)
            if use in {"", "encryption"}:
                encryption.append(pem)
    return tuple(signing), tuple(encryption)


def certificate_pem(b64: str, now: datetime) -> bytes:
    """The certificate as PEM after the strength checks (BSI TR-02102-1)."""
    try:
        der = base64.b64decode("".join(b64.split()), validate=True)
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise MetadataRefused(_l("Ein Zertifikat in den Metadaten ist nicht lesbar.")) from None
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < RSA_MIN_BITS:
            raise MetadataRefused(
                _l(
                    "Schwacher Schlüssel: RSA mit %(n)d Bit (mindestens %(m)d).",
                    n=key.key_size,
                    m=RSA_MIN_BITS,
                )
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 256:
            raise MetadataRefused(_l("Schwacher Schlüssel: EC unter 256 Bit."))
    else:
        raise MetadataRefused(_l("Nur RSA- und EC-Schlüssel werden angenommen."))
    algorithm = cert.signature_hash_algorithm
    if algorithm is None or isinstance(algorithm, _WEAK_HASHES):
        raise MetadataRefused(_l("Zertifikate mit SHA-1- oder MD5-Signatur werden abgelehnt."))
    if cert.not_valid_after_utc <= now:
        raise MetadataRefused(_l("Ein Zertifikat in den Metadaten ist abgelaufen."))
    return cert.public_bytes(serialization.Encoding.PEM)


def _check_algorithms(root: etree._Element) -> None:
    """Metadata that announce only SHA-1 signing or digest methods are refused."""
    for tag in ("alg:SigningMethod", "alg:DigestMethod"):
        announced = {e.get("Algorithm") for e in root.iter(f"{{{ALG}}}{tag.split(':')[1]}")}
        if announced and announced <= _SHA1_URIS:
            raise MetadataRefused(_l("Die Metadaten bieten nur SHA-1 an."))
    signature = root.find("ds:Signature", NS)
    if signature is not None:
        method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
        if method is not None and method.get("Algorithm") in _SHA1_URIS:
            raise MetadataRefused(_l("Die Metadaten sind mit SHA-1 signiert."))


def _display_name(root: etree._Element, entity_id: str) -> str:
    for path in (
        "md:SPSSODescriptor/md:Extensions/*[local-name()='UIInfo']/*[local-name()='DisplayName']",
        "md:Organization/md:OrganizationDisplayName",
    ):
        found = root.xpath(path, namespaces=NS)
        if isinstance(found, list) and found:
            first = found[0]
            if isinstance(first, etree._Element) and first.text and first.text.strip():
                return first.text.strip()[:200]
    return urlsplit(entity_id).netloc or entity_id[:200]
