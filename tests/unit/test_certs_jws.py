"""Verifying tokens against our published keys: the algorithm is pinned to the key (RFC 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from certs import jws, material
from certs.keyring import PublishedKey
from certs.material import PrivateKey
from certs.types import KeyAlgorithm, KeyPurpose, KeyState
from tests.unit.test_certs_imports import ec_key, rsa_key

NOW = 1_780_000_000.0
RSA = rsa_key()
EC = ec_key()


def published(key: PrivateKey) -> PublishedKey:
    algorithm, size = material.classify(key.public_key())
    moment = datetime.fromtimestamp(NOW, UTC)
    return PublishedKey(
        id="id-" + algorithm.value,
        purpose=KeyPurpose.OIDC_SIGNING,
        algorithm=algorithm,
        key_size=size,
        state=KeyState.ACTIVE,
        kid=material.thumbprint(key.public_key()),
        fingerprint="",
        public_key=key.public_key(),
        certificate=None,
        chain=(),
        origin="generated",
        created_at=moment,
        not_before=moment,
        not_after=moment,
        activated_at=moment,
        retired_at=None,
        wrapped_key=b"",
        kek_id="",
    )


KEYS = {k.kid: k for k in (published(RSA), published(EC))}
RSA_KID, EC_KID = published(RSA).kid, published(EC).kid
CLAIMS = {"iss": "https://konto.example", "aud": "client-1", "sub": "s", "exp": NOW + 300}


def sign(
    key: PrivateKey, alg: str, kid: str | None, claims: dict[str, Any] | None = None, **headers: Any
) -> str:
    extra = {"kid": kid, **headers} if kid else headers
    return jwt.encode(claims or CLAIMS, key, algorithm=alg, headers=extra)


def decode(token: str, **kw: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "now": NOW,
        "audience": "client-1",
        "issuer": "https://konto.example",
        "algorithms": None,
        "leeway": 0,
    }
    options.update(kw)
    return jws.decode(token, KEYS.get, **options)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("key", "alg", "kid"), [(RSA, "RS256", RSA_KID), (RSA, "PS256", RSA_KID), (EC, "ES256", EC_KID)]
)
def test_tokens_of_our_keys_verify(key: PrivateKey, alg: str, kid: str) -> None:
    assert decode(sign(key, alg, kid)) == CLAIMS


def test_alg_none_is_refused() -> None:
    token = _b64({"alg": "none", "kid": RSA_KID}) + "." + _b64(CLAIMS) + "."
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(token)


def test_hs256_with_the_public_key_as_secret_is_refused() -> None:
    secret = RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "kid": RSA_KID, "typ": "JWT"})
    body = _b64(CLAIMS)
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    token = f"{header}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(token)


def test_the_algorithm_must_fit_the_key_named_by_kid() -> None:
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(sign(RSA, "RS256", EC_KID))
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(sign(EC, "ES256", RSA_KID))


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS384", "PS512"])
def test_an_rsa_key_verifies_rs256_and_ps256_only(alg: str) -> None:
    """The RSA JWK names no ``alg``; our own verifier still pins RSA to RS256/PS256."""
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(sign(RSA, alg, RSA_KID))


def test_a_signature_by_another_key_under_our_kid_is_refused() -> None:
    with pytest.raises(jwt.InvalidSignatureError):
        decode(sign(rsa_key(3072, "stranger"), "RS256", RSA_KID))


def test_callers_can_narrow_the_algorithms() -> None:
    token = sign(RSA, "PS256", RSA_KID)
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(token, algorithms=["RS256"])
    assert decode(token, algorithms=["PS256", "ES256"])["sub"] == "s"


@pytest.mark.parametrize("kid", [None, "unknown-kid"])
def test_missing_or_unknown_kid_is_refused(kid: str | None) -> None:
    with pytest.raises(jws.UnknownKey):
        decode(sign(RSA, "RS256", kid))
    assert issubclass(jws.UnknownKey, jwt.InvalidTokenError)


def test_critical_headers_are_refused() -> None:
    with pytest.raises(jwt.InvalidTokenError):
        decode(sign(RSA, "RS256", RSA_KID, crit=["exp"]))


def test_exp_is_required_and_checked_with_the_given_clock() -> None:
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode(sign(RSA, "RS256", RSA_KID, {**CLAIMS, "exp": None}))
    token = sign(RSA, "RS256", RSA_KID)
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(token, now=NOW + 300)
    assert decode(token, now=NOW + 300, leeway=5)["sub"] == "s"
    with pytest.raises(jwt.DecodeError):
        decode(sign(RSA, "RS256", RSA_KID, {**CLAIMS, "exp": "tomorrow"}))


def test_nbf_and_iat_in_the_future_are_refused() -> None:
    with pytest.raises(jwt.ImmatureSignatureError):
        decode(sign(RSA, "RS256", RSA_KID, {**CLAIMS, "nbf": NOW + 60}))
    with pytest.raises(jwt.ImmatureSignatureError):
        decode(sign(RSA, "RS256", RSA_KID, {**CLAIMS, "iat": NOW + 60}))
    assert decode(sign(RSA, "RS256", RSA_KID, {**CLAIMS, "iat": NOW + 60}), leeway=60)


def test_audience_and_issuer() -> None:
    token = sign(RSA, "RS256", RSA_KID)
    with pytest.raises(jwt.InvalidAudienceError):
        decode(token, audience="client-2")
    with pytest.raises(jwt.InvalidIssuerError):
        decode(token, issuer="https://evil.example")
    assert decode(token, audience=None, issuer=None)["aud"] == "client-1"
    without = sign(RSA, "RS256", RSA_KID, {"sub": "s", "exp": NOW + 1})
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode(without)


def test_garbage_tokens_raise_invalid_token_errors_only() -> None:
    for token in ("", "a.b", "a.b.c", "e30.e30.", "x" * 50):
        with pytest.raises(jwt.InvalidTokenError):
            decode(token)


def test_algorithms_of_rsa_and_ec_keys() -> None:
    assert published(RSA).jws_algorithms == ("RS256", "PS256")
    assert published(EC).jws_algorithms == ("ES256",)
    assert published(RSA).jwk_alg is None  # RS256 and PS256: the JWK names neither
    assert published(EC).jwk_alg == "ES256"
    assert published(RSA).algorithm is KeyAlgorithm.RSA_3072
