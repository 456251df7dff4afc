"""Key material: generation, strength rules, thumbprints, certificates, the KEK, settings."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certs import kek, material
from certs.kek import KeyEncryption
from certs.policy import parse_required
from certs.types import KeyAlgorithm, KeyPurpose, KeyUnavailable, WeakKey, key_algorithm_for_jws
from core.settings import Environment, Settings, SettingsError, decode_key_encryption_key
from tests.unit.test_certs_imports import ec_key, rsa_key

KEK_A = bytes(range(32))
KEK_B = bytes(range(32, 64))


def test_generated_keys_have_the_promised_strength() -> None:
    rsa_generated = material.generate(KeyAlgorithm.RSA_3072)
    ec_generated = material.generate(KeyAlgorithm.EC_P256)
    assert isinstance(rsa_generated, rsa.RSAPrivateKey) and rsa_generated.key_size == 3072
    assert isinstance(ec_generated, ec.EllipticCurvePrivateKey)
    assert isinstance(ec_generated.curve, ec.SECP256R1)
    assert material.classify(rsa_generated.public_key()) == (KeyAlgorithm.RSA_3072, 3072)
    assert material.classify(ec_generated.public_key()) == (KeyAlgorithm.EC_P256, 256)


@pytest.mark.parametrize("bits", [1024, 2048, 3071])
def test_rsa_below_3072_bits_is_weak(bits: int) -> None:
    key = rsa_key(bits) if bits != 3071 else rsa.generate_private_key(65537, 3071)
    with pytest.raises(WeakKey):
        material.classify(key.public_key())


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()])
def test_other_curves_are_not_supported(curve: ec.EllipticCurve) -> None:
    with pytest.raises(WeakKey):
        material.classify(ec_key(curve).public_key())


def test_rfc7638_thumbprint_example() -> None:
    """The example of RFC 7638 §3.1."""
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWh"
        "AI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    numbers = rsa.RSAPublicNumbers(65537, int.from_bytes(base64.urlsafe_b64decode(n + "=="), "big"))
    assert (
        material.thumbprint(numbers.public_key()) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    )


def test_ec_jwk_coordinates_are_padded_to_32_bytes() -> None:
    for _ in range(20):
        members = material.jwk_members(ec_key().public_key())
        assert len(base64.urlsafe_b64decode(members["x"] + "=")) == 32
        assert len(base64.urlsafe_b64decode(members["y"] + "=")) == 32


def test_public_jwk_never_has_private_members() -> None:
    jwk = material.public_jwk(rsa_key().public_key(), kid="k", use="sig", alg="RS256")
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(json.loads(json.dumps(jwk)))


def test_public_jwk_without_alg_leaves_the_member_out() -> None:
    """RFC 7517 §4.4: ``alg`` is optional; an RSA signing key serves RS256 and PS256."""
    jwk = material.public_jwk(rsa_key().public_key(), kid="k", use="sig", alg=None)
    assert set(jwk) == {"kty", "n", "e", "kid", "use"}


@pytest.mark.parametrize(
    ("purpose", "signs", "enciphers"),
    [(KeyPurpose.SAML_SIGNING, True, False), (KeyPurpose.SAML_ENCRYPTION, False, True)],
)
def test_self_signed_certificate(purpose: KeyPurpose, signs: bool, enciphers: bool) -> None:
    key = rsa_key()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = material.self_signed(key, purpose, "konto.example", start, start + timedelta(days=365))
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert cert.not_valid_before_utc == start
    assert cert.subject == cert.issuer
    assert "konto.example" in cert.subject.rfc4514_string()
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.key_encipherment) == (signs, enciphers)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(cert)


def test_fingerprint_is_sha256_of_the_certificate_or_the_public_key() -> None:
    key = ec_key()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = material.self_signed(key, KeyPurpose.EID_TLS, "h", start, start + timedelta(days=1))
    assert material.fingerprint(key.public_key(), cert) == cert.fingerprint(hashes.SHA256()).hex()
    assert material.fingerprint(key.public_key(), None) != material.fingerprint(
        key.public_key(), cert
    )


def test_jws_algorithms_map_to_key_types_only() -> None:
    assert key_algorithm_for_jws("RS256") is KeyAlgorithm.RSA_3072
    assert key_algorithm_for_jws("PS256") is KeyAlgorithm.RSA_3072
    assert key_algorithm_for_jws("ES256") is KeyAlgorithm.EC_P256
    for refused in ("none", "HS256", "RS1", "ES384", "EdDSA", ""):
        assert key_algorithm_for_jws(refused) is None


# --- the key-encryption key ---------------------------------------------------------------


def test_wrap_and_unwrap() -> None:
    sealed = KeyEncryption(KEK_A).wrap("id-1", "saml-signing", "rsa-3072", b"secret der")
    assert b"secret der" not in sealed
    opened = KeyEncryption(KEK_A).unwrap(
        "id-1", "saml-signing", "rsa-3072", sealed, kek.kek_id(KEK_A)
    )
    assert opened == b"secret der"


def test_nonces_differ_per_wrap() -> None:
    box = KeyEncryption(KEK_A)
    assert box.wrap("i", "p", "a", b"x") != box.wrap("i", "p", "a", b"x")


@pytest.mark.parametrize(
    ("key_id", "purpose", "algorithm"),
    [
        ("id-2", "saml-signing", "rsa-3072"),
        ("id-1", "oidc-signing", "rsa-3072"),
        ("id-1", "saml-signing", "ec-p256"),
    ],
)
def test_ciphertext_is_bound_to_row_purpose_and_algorithm(
    key_id: str, purpose: str, algorithm: str
) -> None:
    box = KeyEncryption(KEK_A)
    sealed = box.wrap("id-1", "saml-signing", "rsa-3072", b"secret")
    with pytest.raises(KeyUnavailable):
        box.unwrap(key_id, purpose, algorithm, sealed, box.current_id)


def test_tampered_ciphertext_and_wrong_kek_are_refused() -> None:
    box = KeyEncryption(KEK_A)
    sealed = bytearray(box.wrap("i", "p", "a", b"secret"))
    sealed[-1] ^= 1
    with pytest.raises(KeyUnavailable):
        box.unwrap("i", "p", "a", bytes(sealed), box.current_id)
    with pytest.raises(KeyUnavailable, match="unbekannten"):
        KeyEncryption(KEK_B).unwrap("i", "p", "a", box.wrap("i", "p", "a", b"x"), box.current_id)


def test_previous_kek_still_decrypts_and_current_encrypts() -> None:
    old = KeyEncryption(KEK_A).wrap("i", "p", "a", b"secret")
    rotated = KeyEncryption(KEK_B, [KEK_A])
    assert rotated.unwrap("i", "p", "a", old, kek.kek_id(KEK_A)) == b"secret"
    assert rotated.current_id == kek.kek_id(KEK_B) != kek.kek_id(KEK_A)
    assert rotated.knows(kek.kek_id(KEK_A))


def test_kek_must_have_32_bytes() -> None:
    with pytest.raises(ValueError):
        KeyEncryption(b"short")


def test_development_kek_is_kept_in_var_dir(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, var_dir=tmp_path)
    first = KeyEncryption.from_settings(settings)
    path = tmp_path / kek.DEV_KEK_FILE
    assert path.stat().st_mode & 0o077 == 0
    assert KeyEncryption.from_settings(settings).current_id == first.current_id


def test_production_without_kek_is_refused(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.PRODUCTION, var_dir=tmp_path)
    with pytest.raises(KeyUnavailable):
        KeyEncryption.from_settings(settings)
    assert not (tmp_path / kek.DEV_KEK_FILE).exists()


def test_kek_from_settings_standard_and_urlsafe_base64() -> None:
    raw = bytes([0xFB, 0xFF] * 16)
    standard, urlsafe = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()
    assert decode_key_encryption_key(standard) == raw == decode_key_encryption_key(urlsafe)
    assert decode_key_encryption_key(urlsafe.rstrip("=")) == raw
    for bad in ("", "not base64!", base64.b64encode(b"x" * 16).decode()):
        with pytest.raises(ValueError):
            decode_key_encryption_key(bad)


# --- settings and policy ------------------------------------------------------------------

GOOD_KEK = base64.b64encode(KEK_A).decode()


def _problems(**changes: object) -> list[str]:
    settings = replace(Settings(secret_key="s" * 40), **changes)  # type: ignore[arg-type]
    with pytest.raises(SettingsError) as caught:
        settings.validate()
    return caught.value.problems


def test_certs_settings_defaults_are_valid() -> None:
    Settings(secret_key="s" * 40, certs_kek=GOOD_KEK, certs_kek_previous=GOOD_KEK).validate()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"certs_kek": "abc"}, "CERTS_KEK"),
        ({"certs_kek_previous": GOOD_KEK + ",abc"}, "CERTS_KEK_PREVIOUS"),
        ({"certs_required_keys": "saml-signing"}, "CERTS_REQUIRED_KEYS"),
        ({"certs_publication_lead_time": 0}, "CERTS_PUBLICATION_LEAD_TIME"),
        ({"certs_max_token_lifetime": -1}, "CERTS_MAX_TOKEN_LIFETIME"),
        (
            {"certs_rollover_days": 7, "certs_publication_lead_time": 8 * 86400},
            "CERTS_ROLLOVER_DAYS",
        ),
        ({"certs_key_lifetime_days": 30, "certs_rollover_days": 30}, "CERTS_KEY_LIFETIME_DAYS"),
        ({"certs_cache_check_seconds": -1}, "CERTS_CACHE_CHECK_SECONDS"),
    ],
)
def test_certs_settings_are_validated(changes: dict[str, object], fragment: str) -> None:
    assert any(fragment in p for p in _problems(**changes))


def test_certs_settings_from_environment() -> None:
    settings = Settings.from_env(
        {
            "CERTS_KEK": GOOD_KEK,
            "CERTS_PUBLICATION_LEAD_TIME": "3600",
            "CERTS_ROTATE_IMPORTED": "yes",
        }
    )
    assert settings.certs_kek == GOOD_KEK
    assert settings.certs_publication_lead_time == 3600
    assert settings.certs_rotate_imported is True


def test_required_keys_parsing() -> None:
    found = parse_required(
        "saml-signing:rsa-3072, oidc-signing:ec-p256,oidc-signing:ec-p256", False
    )
    assert found == (
        (KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072),
        (KeyPurpose.OIDC_SIGNING, KeyAlgorithm.EC_P256),
    )


@pytest.mark.parametrize(
    "text",
    ["saml-signing:rsa-2048", "tls:rsa-3072", "saml-encryption:ec-p256"],
)
def test_required_keys_refuses_unknown_and_disallowed(text: str) -> None:
    with pytest.raises(SettingsError):
        parse_required(text, False)


def test_production_requires_the_mandatory_purposes() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_required("saml-signing:rsa-3072", True)
    assert "saml-encryption" in caught.value.problems[0]
    assert "oidc-signing" in caught.value.problems[0]
