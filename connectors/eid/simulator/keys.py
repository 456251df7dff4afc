"""The simulator's own key material: generated at first start in its var directory (never
committed), self-signed, RSA-3072 (BSI TR-02102-1)."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key_pem: bytes
    cert_pem: bytes


def self_signed(common_name: str, key_size: int = 3072, days: int = 825) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def load_or_create(directory: Path, name: str, common_name: str) -> KeyPair:
    """``<name>.key`` (mode 0600) and ``<name>.crt`` in ``directory``; made when missing."""
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    if key_path.is_file() and cert_path.is_file():
        return KeyPair(key_path.read_bytes(), cert_path.read_bytes())
    directory.mkdir(parents=True, exist_ok=True)
    pair = self_signed(common_name)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pair.key_pem)
    cert_path.write_bytes(pair.cert_pem)
    return pair
