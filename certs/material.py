"""Key material: generation, strength checks, self-signed certificates, fingerprints, JWKs.

Only this package handles private keys; everything here works on ``cryptography`` objects.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask_babel import lazy_gettext as _l

from certs.types import (
    RSA_BITS,
    RSA_MAX_BITS,
    RSA_MIN_BITS,
    RSA_MIN_PUBLIC_EXPONENT,
    KeyAlgorithm,
    KeyPurpose,
    WeakKey,
    is_signing,
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

#: Signature hashes refused in certificates (BSI TR-02102-1 §4: SHA-2 or SHA-3 only).
WEAK_HASHES = (hashes.SHA1, hashes.MD5)

ORGANIZATION = "Bürgerportal"

_PURPOSE_NAMES = {
    KeyPurpose.SAML_SIGNING: "SAML signing",
    KeyPurpose.SAML_ENCRYPTION: "SAML encryption",
    KeyPurpose.OIDC_SIGNING: "OIDC signing",
    KeyPurpose.EID_WSSEC: "eID WS-Security",
    KeyPurpose.EID_TLS: "eID TLS client",
}


def generate(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm is KeyAlgorithm.RSA_3072:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return ec.generate_private_key(ec.SECP256R1())


def classify(public_key: object) -> tuple[KeyAlgorithm, int]:
    """The algorithm and size of ``public_key``; :class:`WeakKey` for anything we refuse."""
    if isinstance(public_key, rsa.RSAPublicKey):
        bits = public_key.key_size
        exponent = public_key.public_numbers().e
        if bits < RSA_MIN_BITS:
            raise WeakKey(
                _l(
                    "RSA-Schlüssel mit %(bits)s Bit sind zu schwach (mindestens %(min)s Bit, "
                    "BSI TR-02102).",
                    bits=bits,
                    min=RSA_MIN_BITS,
                )
            )
        if bits > RSA_MAX_BITS:
            raise WeakKey(
                _l("RSA-Schlüssel über %(max)s Bit werden nicht unterstützt.", max=RSA_MAX_BITS)
            )
        if exponent < RSA_MIN_PUBLIC_EXPONENT or exponent % 2 == 0:
            raise WeakKey(_l("Der öffentliche RSA-Exponent ist unzulässig (mindestens 65537)."))
        return KeyAlgorithm.RSA_3072, bits
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ec.SECP256R1):
            return KeyAlgorithm.EC_P256, 256
        raise WeakKey(
            _l(
                "Die elliptische Kurve %(curve)s wird nicht unterstützt (nur P-256).",
                curve=public_key.curve.name,
            )
        )
    raise WeakKey(_l("Nur RSA- und ECDSA-Schlüssel (P-256) werden unterstützt."))


def check_signature_hash(cert: x509.Certificate) -> None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if algorithm is None or isinstance(algorithm, WEAK_HASHES):
        name = algorithm.name if algorithm else "?"
        raise WeakKey(
            _l(
                "Das Zertifikat „%(subject)s“ ist mit %(hash)s signiert; verlangt ist SHA-256 "
                "oder stärker.",
                subject=cert.subject.rfc4514_string(),
                hash=name.upper(),
            )
        )


def self_signed(
    private_key: PrivateKey,
    purpose: KeyPurpose,
    host: str,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """A self-signed X.509 v3 certificate (RFC 5280) signed with SHA-256."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{host} {_PURPOSE_NAMES[purpose]}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    public_key = private_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(secrets.randbits(159) | 1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(purpose, public_key), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if purpose is KeyPurpose.EID_TLS:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(private_key, hashes.SHA256())


def _key_usage(purpose: KeyPurpose, public_key: PublicKey) -> x509.KeyUsage:
    encrypts = not is_signing(purpose)
    return x509.KeyUsage(
        digital_signature=not encrypts,
        content_commitment=False,
        key_encipherment=encrypts and isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def spki_der(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_pem(public_key: PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(public_key: PublicKey, cert: x509.Certificate | None) -> str:
    """SHA-256 of the certificate (DER), or of the SubjectPublicKeyInfo without one (hex)."""
    data = cert_der(cert) if cert is not None else spki_der(public_key)
    return hashlib.sha256(data).hexdigest()


def private_der(private_key: PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_der(der: bytes) -> PrivateKey:
    """Load a key that was validated when it was created or imported.

    The bytes come out of AES-GCM, which authenticates them, so the expensive RSA consistency
    check (~80 ms for RSA-3072) is not repeated; it ran once, before the key was stored.
    """
    key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise WeakKey(_l("Nur RSA- und ECDSA-Schlüssel (P-256) werden unterstützt."))
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(value: int, length: int | None = None) -> bytes:
    size = length or max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(size, "big")


def jwk_members(public_key: PublicKey) -> dict[str, str]:
    """The required members of the public JWK (RFC 7518 §6.2.1, §6.3.1)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return {"e": _b64url(_uint(numbers.e)), "kty": "RSA", "n": _b64url(_uint(numbers.n))}
    point = public_key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(_uint(point.x, 32)),
        "y": _b64url(_uint(point.y, 32)),
    }


def thumbprint(public_key: PublicKey) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, without whitespace."""
    canonical = json.dumps(jwk_members(public_key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(
    public_key: PublicKey,
    *,
    kid: str,
    use: str,
    alg: str | None,
    chain: list[x509.Certificate] | None = None,
) -> dict[str, Any]:
    """A public JWK (RFC 7517 §4) with ``x5c``/``x5t#S256`` when a certificate exists.

    ``alg`` None leaves the member out (RFC 7517 §4.4: OPTIONAL): the key then serves every
    algorithm of its type, e.g. an RSA key both RS256 and PS256 (RFC 7518 §3.3, §3.5).
    """
    jwk: dict[str, Any] = {**jwk_members(public_key), "kid": kid, "use": use}
    if alg is not None:
        jwk["alg"] = alg
    if chain:
        jwk["x5c"] = [base64.b64encode(cert_der(c)).decode() for c in chain]
        jwk["x5t#S256"] = _b64url(hashlib.sha256(cert_der(chain[0])).digest())
    return jwk
