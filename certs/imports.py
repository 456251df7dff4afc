"""Reading keys and certificates from the city's PKI: PEM bundles and PKCS#12 (RFC 7292).

Everything is checked before anything is stored: the file can be read (password), the key is
strong enough and fits the purpose, the certificate belongs to the key, nothing in the chain is
expired or signed with SHA-1/MD5, and the chain links up from the leaf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from flask_babel import lazy_gettext as _l

from certs import material
from certs.material import PrivateKey
from certs.types import (
    ALLOWED_ALGORITHMS,
    CERTIFICATE_PURPOSES,
    ImportRefused,
    KeyAlgorithm,
    KeyPurpose,
    WeakKey,
    is_signing,
)

MAX_IMPORT_BYTES = 512 * 1024
_PEM_KEY = re.compile(
    rb"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END \1-----", re.DOTALL
)


@dataclass(frozen=True)
class ImportedKey:
    private_key: PrivateKey
    algorithm: KeyAlgorithm
    key_size: int
    certificate: x509.Certificate | None
    #: Issuer certificates from the leaf's issuer upwards (the root last, if given).
    chain: tuple[x509.Certificate, ...]


def read(data: bytes, key_data: bytes | None = None, password: str | None = None) -> ImportedKey:
    """Parse an upload: a PEM bundle (certificates and key, or the key in ``key_data``) or a
    PKCS#12 file. Raises :class:`ImportRefused` or :class:`WeakKey`; checks only the material
    itself (see :func:`check` for purpose and time)."""
    if len(data) > MAX_IMPORT_BYTES or (key_data and len(key_data) > MAX_IMPORT_BYTES):
        raise ImportRefused(_l("Die Datei ist zu groß."))
    if not data.strip():
        raise ImportRefused(_l("Die Datei ist leer."))
    if b"-----BEGIN" in data:
        key, certs = _read_pem(data, key_data, password)
    elif key_data:
        key, certs = _read_pem(key_data, None, password)
        certs.append(_der_certificate(data))
    else:
        key, certs = _read_pkcs12(data, password)
    return _assemble(key, certs)


def _der_certificate(data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise ImportRefused(
            _l("Das Zertifikat lässt sich nicht lesen (weder PEM noch DER).")
        ) from None


def _password(password: str | None) -> bytes | None:
    return password.encode() if password else None


def _read_pkcs12(data: bytes, password: str | None) -> tuple[object, list[x509.Certificate]]:
    if not data.startswith(b"\x30"):
        raise ImportRefused(_l("Die Datei ist weder PEM noch PKCS#12."))
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, _password(password))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ImportRefused(
            _l("Die PKCS#12-Datei lässt sich nicht öffnen: falsches Passwort oder beschädigt.")
        ) from None
    if key is None:
        raise ImportRefused(_l("Die PKCS#12-Datei enthält keinen privaten Schlüssel."))
    return key, ([cert] if cert is not None else []) + list(extra)


def _read_pem(
    data: bytes, key_data: bytes | None, password: str | None
) -> tuple[object, list[x509.Certificate]]:
    blocks = [m.group(0) for m in _PEM_KEY.finditer(data + b"\n" + (key_data or b""))]
    if not blocks:
        raise ImportRefused(_l("Kein privater Schlüssel gefunden (PEM)."))
    if len(blocks) > 1:
        raise ImportRefused(_l("Mehr als ein privater Schlüssel gefunden."))
    try:
        key = serialization.load_pem_private_key(blocks[0], _password(password))
    except TypeError:
        raise ImportRefused(
            _l("Der Schlüssel ist verschlüsselt: Passwort fehlt.")
            if not password
            else _l("Der Schlüssel ist nicht verschlüsselt: bitte ohne Passwort importieren.")
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ImportRefused(
            _l("Der Schlüssel lässt sich nicht lesen: falsches Passwort oder beschädigt.")
        ) from None
    return key, _pem_certificates(data) + (_pem_certificates(key_data) if key_data else [])


def _pem_certificates(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ImportRefused(_l("Ein Zertifikat in der Datei ist beschädigt.")) from None


def _assemble(key: object, certs: list[x509.Certificate]) -> ImportedKey:
    if not isinstance(key, material.PrivateKey):
        raise WeakKey(_l("Nur RSA- und ECDSA-Schlüssel (P-256) werden unterstützt."))
    algorithm, size = material.classify(key.public_key())
    spki = material.spki_der(key.public_key())
    leaves = [c for c in certs if _spki(c) == spki]
    if certs and not leaves:
        raise ImportRefused(_l("Zertifikat und privater Schlüssel passen nicht zusammen."))
    leaf = leaves[0] if leaves else None
    others: list[x509.Certificate] = []
    for cert in certs:
        if cert != leaf and cert not in others:
            others.append(cert)
    # before linking the chain: libraries cannot even verify SHA-1 signatures any more
    if leaf is not None:
        material.check_signature_hash(leaf)
    for cert in others:
        if not _self_issued(cert):
            material.check_signature_hash(cert)
    chain = _order_chain(leaf, others) if leaf is not None else ()
    return ImportedKey(key, algorithm, size, leaf, chain)


def _spki(cert: x509.Certificate) -> bytes:
    try:
        return cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (ValueError, UnsupportedAlgorithm):
        return b""


def _order_chain(
    leaf: x509.Certificate, others: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """Link issuer to issuer from the leaf; a certificate that does not fit is refused."""
    chain: list[x509.Certificate] = []
    current, remaining = leaf, list(others)
    while remaining and not _self_issued(current):
        issuer = next((c for c in remaining if _issued_by(current, c)), None)
        if issuer is None:
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    if remaining:
        raise ImportRefused(
            _l(
                "Das Zertifikat „%(subject)s“ gehört nicht zur Kette des Schlüssels.",
                subject=remaining[0].subject.rfc4514_string(),
            )
        )
    return tuple(chain)


def _self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def check(imported: ImportedKey, purpose: KeyPurpose, now: datetime) -> None:
    """Does ``imported`` fit ``purpose`` now? Raises :class:`ImportRefused` / :class:`WeakKey`."""
    if imported.algorithm not in ALLOWED_ALGORITHMS[purpose]:
        raise WeakKey(
            _l(
                "%(alg)s ist für %(purpose)s nicht zulässig.",
                alg=imported.algorithm.value,
                purpose=purpose.value,
            )
        )
    leaf = imported.certificate
    if leaf is None:
        if purpose in CERTIFICATE_PURPOSES:
            raise ImportRefused(_l("Für diesen Zweck ist ein Zertifikat nötig."))
        return
    _check_key_usage(leaf, purpose)
    for cert in (leaf, *imported.chain):
        if cert.not_valid_after_utc <= now:
            raise ImportRefused(
                _l(
                    "Das Zertifikat „%(subject)s“ ist am %(date)s abgelaufen.",
                    subject=cert.subject.rfc4514_string(),
                    date=cert.not_valid_after_utc.date().isoformat(),
                )
            )
    for cert in imported.chain:
        _check_ca_key(cert)


def _check_key_usage(leaf: x509.Certificate, purpose: KeyPurpose) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    fits = usage.digital_signature if is_signing(purpose) else usage.key_encipherment
    if not fits:
        raise ImportRefused(
            _l("Die Schlüsselverwendung (KeyUsage) des Zertifikats passt nicht zum Zweck.")
        )


def _check_ca_key(cert: x509.Certificate) -> None:
    """Issuers may use P-384/P-521 as well; RSA must still reach the BSI minimum."""
    public_key = cert.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.key_size >= 256:
        return
    material.classify(public_key)
