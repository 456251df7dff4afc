"""Which keys sign and decrypt SAML messages.

The purposes are the ``certs`` key purposes (``KeyPurpose.SAML_SIGNING`` and
``KeyPurpose.SAML_ENCRYPTION`` are string enums with exactly these values). The app uses the
keyring of ``certs`` (:class:`KeyringSource`); :class:`EphemeralKeys` (RSA-3072 keys made once
per process, never written anywhere) serves only an app built without ``certs``, never
production.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Hashable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SIGNING = "saml-signing"
ENCRYPTION = "saml-encryption"

_lock = threading.Lock()
_made: dict[str, tuple[bytes, bytes]] = {}


def _make(purpose: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bürgerportal (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"SAML {purpose}"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        certificate.public_bytes(serialization.Encoding.PEM),
    )


class EphemeralKeys:
    """A :class:`certs.xmlsig.KeySource` of per-process keys (development and tests only)."""

    def _pair(self, purpose: Hashable) -> tuple[bytes, bytes]:
        name = str(purpose)
        with _lock:
            if name not in _made:
                _made[name] = _make(name)
            return _made[name]

    def current_certificate(self, purpose: Hashable) -> bytes:
        return self._pair(purpose)[1]

    def next_certificate(self, purpose: Hashable) -> bytes | None:
        return None

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        private, certificate = self._pair(purpose)
        if certificate.strip() != certificate_pem.strip():
            raise KeyError("no such key")
        return private


class KeyringSource:
    """The keyring of ``certs`` as the SAML key source: the active key signs and decrypts; the
    metadata publish the active and the next certificates (``saml_key_descriptors``)."""

    def __init__(self, ring: object) -> None:
        self._ring: Any = ring

    def current_certificate(self, purpose: Hashable) -> bytes:
        pem: bytes = self._ring.current_certificate(purpose)
        return pem

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        pem: bytes = self._ring.private_key(purpose, certificate_pem)
        return pem

    def next_certificate(self, purpose: Hashable) -> bytes | None:
        use = "signing" if str(purpose) == SIGNING else "encryption"
        for descriptor in self._ring.saml_key_descriptors():
            if descriptor.use == use and str(descriptor.state) == "next":
                body = str(descriptor.certificate)
                lines = [body[i : i + 64] for i in range(0, len(body), 64)]
                pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines)
                return (pem + "\n-----END CERTIFICATE-----\n").encode("ascii")
        return None
