"""Importing keys and certificates from a city PKI: what is accepted, and every refusal.

The helpers at the top build a small PKI (root -> intermediate -> leaf) with ``cryptography``;
the integration tests of ``certs`` use them as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from certs import imports
from certs.material import PrivateKey
from certs.types import ImportRefused, KeyAlgorithm, KeyPurpose, WeakKey

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "Stadt-PKI-Export-2026"
_KEYS: dict[str, PrivateKey] = {}


def rsa_key(bits: int = 3072, slot: str = "") -> rsa.RSAPrivateKey:
    """RSA keys, cached per size and slot (generation is slow)."""
    name = f"rsa{bits}{slot}"
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    key = _KEYS[name]
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stadt Musterstadt"),
        ]
    )


def certificate(
    key: PrivateKey,
    cn: str,
    *,
    issuer_key: PrivateKey | None = None,
    issuer: x509.Certificate | None = None,
    ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: str = "sign",
) -> x509.Certificate:
    start = not_before or NOW - timedelta(days=1)
    usage = {
        "sign": dict(digital_signature=True, key_encipherment=False),
        "encrypt": dict(digital_signature=False, key_encipherment=True),
        "ca": dict(digital_signature=False, key_encipherment=False),
    }[("ca" if ca else key_usage)]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def sha1_resigned(cert: x509.Certificate, issuer_key: rsa.RSAPrivateKey) -> x509.Certificate:
    """The same certificate signed with RSA-SHA1 (``cryptography`` no longer builds those)."""
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")
    sha1_rsa = bytes.fromhex("06092a864886f70d010105")
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes.replace(sha256_rsa, sha1_rsa)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 (the point)
    der = der.replace(cert.tbs_certificate_bytes, tbs).replace(sha256_rsa, sha1_rsa)
    return x509.load_der_x509_certificate(der.replace(cert.signature, signature))


def p12(
    key: PrivateKey,
    cert: x509.Certificate | None,
    cas: list[x509.Certificate] | None = None,
    password: str = PASSWORD,
) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"portal", key, cert, cas, serialization.BestAvailableEncryption(password.encode())
    )


def pem(*certs: x509.Certificate, key: PrivateKey | None = None, password: str = "") -> bytes:
    out = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    if key is not None:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        out += key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
    return out


@dataclass(frozen=True)
class Pki:
    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate

    def leaf(
        self, key: PrivateKey, cn: str = "konto.musterstadt.de", **kw: object
    ) -> x509.Certificate:
        return certificate(
            key,
            cn,
            issuer_key=self.intermediate_key,
            issuer=self.intermediate,
            **kw,  # type: ignore[arg-type]
        )


def city_pki() -> Pki:
    root_key, intermediate_key = rsa_key(4096, "root"), rsa_key(3072, "intermediate")
    root = certificate(root_key, "Stadt Musterstadt Root CA", ca=True)
    intermediate = certificate(
        intermediate_key, "Stadt Musterstadt Issuing CA", issuer_key=root_key, issuer=root, ca=True
    )
    return Pki(root_key, root, intermediate_key, intermediate)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return city_pki()


# --- accepted -------------------------------------------------------------------------------


def test_pkcs12_with_chain_is_read_and_the_chain_kept_in_order(pki: Pki) -> None:
    key = rsa_key()
    leaf = pki.leaf(key)
    found = imports.read(p12(key, leaf, [pki.root, pki.intermediate]), password=PASSWORD)
    imports.check(found, KeyPurpose.SAML_SIGNING, NOW)
    assert found.algorithm is KeyAlgorithm.RSA_3072 and found.key_size == 3072
    assert found.certificate == leaf
    assert found.chain == (pki.intermediate, pki.root)


def test_pem_bundle_with_encrypted_key(pki: Pki) -> None:
    key = rsa_key()
    found = imports.read(
        pem(pki.leaf(key), pki.intermediate, key=key, password=PASSWORD), password=PASSWORD
    )
    assert found.chain == (pki.intermediate,)


def test_pem_certificate_and_separate_key_file(pki: Pki) -> None:
    key = ec_key()
    leaf = pki.leaf(key)
    found = imports.read(pem(leaf), key_data=pem(key=key))
    imports.check(found, KeyPurpose.OIDC_SIGNING, NOW)
    assert found.algorithm is KeyAlgorithm.EC_P256 and found.certificate == leaf


def test_der_certificate_and_pem_key(pki: Pki) -> None:
    key = rsa_key()
    leaf = pki.leaf(key, key_usage="encrypt")
    found = imports.read(leaf.public_bytes(serialization.Encoding.DER), key_data=pem(key=key))
    imports.check(found, KeyPurpose.SAML_ENCRYPTION, NOW)
    assert found.certificate == leaf


def test_a_bare_key_is_enough_for_oidc_but_not_for_saml() -> None:
    found = imports.read(pem(key=ec_key()))
    imports.check(found, KeyPurpose.OIDC_SIGNING, NOW)
    with pytest.raises(ImportRefused, match="Zertifikat"):
        imports.check(found, KeyPurpose.SAML_SIGNING, NOW)


def test_rsa_4096_is_accepted_as_rsa(pki: Pki) -> None:
    key = rsa_key(4096, "leaf")
    found = imports.read(p12(key, pki.leaf(key)), password=PASSWORD)
    assert found.algorithm is KeyAlgorithm.RSA_3072 and found.key_size == 4096


# --- refused: the file --------------------------------------------------------------------


def test_wrong_password_is_refused(pki: Pki) -> None:
    key = rsa_key()
    with pytest.raises(ImportRefused, match="Passwort"):
        imports.read(p12(key, pki.leaf(key)), password="falsch")


def test_missing_password_for_an_encrypted_pem_key_is_refused(pki: Pki) -> None:
    key = rsa_key()
    with pytest.raises(ImportRefused, match="Passwort fehlt"):
        imports.read(pem(pki.leaf(key), key=key, password=PASSWORD))


def test_wrong_password_for_a_pem_key_is_refused(pki: Pki) -> None:
    key = rsa_key()
    with pytest.raises(ImportRefused, match="falsches Passwort"):
        imports.read(pem(pki.leaf(key), key=key, password=PASSWORD), password="falsch")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\x01\x02 not a key",
        b"0\x82\x01\x00" + b"\x17" * 300,
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        b"   \n",
    ],
)
def test_garbage_is_refused(garbage: bytes) -> None:
    with pytest.raises(ImportRefused):
        imports.read(garbage, password=PASSWORD)


def test_oversized_upload_is_refused() -> None:
    with pytest.raises(ImportRefused, match="zu groß"):
        imports.read(b"-----BEGIN" + b"A" * imports.MAX_IMPORT_BYTES)


def test_two_private_keys_are_refused() -> None:
    with pytest.raises(ImportRefused, match="Mehr als ein"):
        imports.read(pem(key=ec_key()) + pem(key=ec_key()))


# --- refused: the material ----------------------------------------------------------------


def test_key_and_certificate_mismatch_is_refused(pki: Pki) -> None:
    other = pki.leaf(ec_key())
    with pytest.raises(ImportRefused, match="passen nicht"):
        imports.read(pem(other, key=ec_key()))


def test_expired_certificate_is_refused(pki: Pki) -> None:
    key = rsa_key()
    old = pki.leaf(key, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    found = imports.read(p12(key, old), password=PASSWORD)
    with pytest.raises(ImportRefused, match="abgelaufen"):
        imports.check(found, KeyPurpose.SAML_SIGNING, NOW)


def test_expired_intermediate_is_refused(pki: Pki) -> None:
    stale = certificate(
        pki.intermediate_key,
        "Stadt Musterstadt Issuing CA",
        issuer_key=pki.root_key,
        issuer=pki.root,
        ca=True,
        not_before=NOW - timedelta(days=800),
        not_after=NOW - timedelta(days=2),
    )
    key = rsa_key()
    found = imports.read(p12(key, pki.leaf(key), [stale]), password=PASSWORD)
    with pytest.raises(ImportRefused, match="abgelaufen"):
        imports.check(found, KeyPurpose.SAML_SIGNING, NOW)


def test_rsa_2048_is_refused(pki: Pki) -> None:
    key = rsa_key(2048)
    with pytest.raises(WeakKey, match="2048"):
        imports.read(p12(key, pki.leaf(key)), password=PASSWORD)


def test_p384_is_refused(pki: Pki) -> None:
    key = ec_key(ec.SECP384R1())
    with pytest.raises(WeakKey, match="secp384r1"):
        imports.read(pem(pki.leaf(key), key=key))


def test_ed25519_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(WeakKey):
        imports.read(data)


def test_small_public_exponent_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=3, key_size=3072)
    with pytest.raises(WeakKey, match="Exponent"):
        imports.read(pem(key=key))


def test_sha1_signed_leaf_is_refused(pki: Pki) -> None:
    key = rsa_key()
    leaf = sha1_resigned(pki.leaf(key), pki.intermediate_key)
    with pytest.raises(WeakKey, match="SHA1"):
        imports.read(pem(leaf, pki.intermediate, key=key))


def test_sha1_signed_intermediate_is_refused(pki: Pki) -> None:
    key = rsa_key()
    weak = sha1_resigned(pki.intermediate, pki.root_key)
    with pytest.raises(WeakKey, match="SHA1"):
        imports.read(pem(pki.leaf(key), weak, pki.root, key=key))


def test_weak_issuer_key_is_refused() -> None:
    ca_key = rsa_key(2048, "ca")
    ca = certificate(ca_key, "Alte CA", ca=True)
    key = rsa_key()
    found = imports.read(pem(certificate(key, "leaf", issuer_key=ca_key, issuer=ca), ca, key=key))
    with pytest.raises(WeakKey, match="2048"):
        imports.check(found, KeyPurpose.SAML_SIGNING, NOW)


def test_certificate_outside_the_chain_is_refused(pki: Pki) -> None:
    key = rsa_key()
    stranger = certificate(ec_key(), "Fremde CA", ca=True)
    with pytest.raises(ImportRefused, match="gehört nicht zur Kette"):
        imports.read(pem(pki.leaf(key), pki.intermediate, stranger, key=key))


def test_ec_key_for_saml_encryption_is_refused(pki: Pki) -> None:
    key = ec_key()
    found = imports.read(pem(pki.leaf(key, key_usage="encrypt"), key=key))
    with pytest.raises(WeakKey, match="saml-encryption"):
        imports.check(found, KeyPurpose.SAML_ENCRYPTION, NOW)


def test_key_usage_must_fit_the_purpose(pki: Pki) -> None:
    key = rsa_key()
    found = imports.read(pem(pki.leaf(key, key_usage="encrypt"), key=key))
    with pytest.raises(ImportRefused, match="KeyUsage"):
        imports.check(found, KeyPurpose.SAML_SIGNING, NOW)
    imports.check(found, KeyPurpose.SAML_ENCRYPTION, NOW)
