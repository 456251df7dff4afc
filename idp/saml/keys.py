"""Which keys sign and decrypt SAML messages.

The purposes are the ``certs`` key purposes (``KeyPurpose.SAML_SIGNING`` and
``KeyPurpose.SAML_ENCRYPTION`` are string enums with exactly these values). Until the keyring of
``certs`` is wired in, development and test apps use :class:`EphemeralKeys`: RSA-3072 keys made
once per process and never written anywhere; production refuses to start with them.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Hashable

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
