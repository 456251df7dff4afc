"""Zero-downtime rollover as a relying party sees it: tokens are verified only against the
published JWK Set (PyJWT's PyJWKSet, no shortcut into the hub), and SAML metadata data."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from flask import Flask

from certs import KeyAlgorithm, KeyPurpose, KeyRing, KeyState, NoActiveKey, keyring
from certs.jws import UnknownKey
from certs.lifecycle import Actor, KeyManager
from certs.types import ImportRefused
from core.clock import FrozenClock
from tests.integration.test_certs_lifecycle import count_rows, key_events
from tests.unit.test_certs_imports import PASSWORD, city_pki, p12, rsa_key

ADMIN = Actor("00000000-0000-4000-8000-00000000a0a0", "192.0.2.7", "web")
TEN_YEARS = 10 * 365 * 86400


@pytest.fixture
def keys(app: Flask) -> Iterator[KeyManager]:
    with app.app_context():
        yield app.extensions["certs"]


def verify_as_relying_party(
    published: dict[str, Any], token: str, expected: str | None = None
) -> dict[str, Any]:
    """What an RP does with our JWKS: pick the key by kid; the algorithm is the one the RP
    registered for (``expected``, e.g. ``id_token_signed_response_alg``), else the JWK's own
    (PyJWT: RS256 for an RSA JWK without ``alg``) — never the token's header."""
    keyset = jwt.PyJWKSet.from_dict(published)
    kid = jwt.get_unverified_header(token)["kid"]
    key = keyset[kid]
    if expected is not None:
        jwk = next(k for k in published["keys"] if k["kid"] == kid)
        key = jwt.PyJWK(jwk, algorithm=expected)
    claims: dict[str, Any] = jwt.decode(
        token, key=key, algorithms=[key.algorithm_name], audience="client-1"
    )
    return claims


def rfc7638(jwk: dict[str, Any]) -> str:
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("alg", "algorithm"),
    [
        ("RS256", KeyAlgorithm.RSA_3072),
        ("PS256", KeyAlgorithm.RSA_3072),
        ("ES256", KeyAlgorithm.EC_P256),
    ],
)
def test_tokens_of_key_1_verify_until_key_1_is_removed(
    keys: KeyManager, clock: FrozenClock, alg: str, algorithm: KeyAlgorithm
) -> None:
    ring, purpose = keyring(), KeyPurpose.OIDC_SIGNING
    claims = {"iss": "https://portal.test", "aud": "client-1", "exp": clock.now() + TEN_YEARS}
    key1 = keys.active_row(purpose, algorithm)
    assert key1 is not None
    token1 = ring.sign_jwt(purpose, {**claims, "n": 1}, alg=alg)
    assert jwt.get_unverified_header(token1)["kid"] == key1.kid

    key2 = keys.create(purpose, algorithm, ADMIN)  # published, not signing
    published = ring.jwks()
    assert {key1.kid, key2.kid} <= {k["kid"] for k in published["keys"]}
    assert verify_as_relying_party(published, token1, alg)["n"] == 1
    assert jwt.get_unverified_header(ring.sign_jwt(purpose, claims, alg=alg))["kid"] == key1.kid

    clock.advance(keys.policy.lead_time.total_seconds())
    keys.activate(key2.id, ADMIN)  # switch
    token2 = ring.sign_jwt(purpose, {**claims, "n": 2}, alg=alg)
    assert jwt.get_unverified_header(token2)["kid"] == key2.kid
    published = ring.jwks()
    assert (
        verify_as_relying_party(published, token1, alg)["n"] == 1
    )  # key 1 retired, still published
    assert verify_as_relying_party(published, token2, alg)["n"] == 2
    assert ring.decode_jwt(purpose, token1, audience="client-1", issuer="https://portal.test")

    with pytest.raises(Exception, match="frühestens"):
        keys.remove(key1.id, ADMIN)
    assert verify_as_relying_party(ring.jwks(), token1, alg)["n"] == 1

    clock.advance(keys.policy.retention.total_seconds())
    keys.remove(key1.id, ADMIN)
    published = ring.jwks()
    assert key1.kid not in {k["kid"] for k in published["keys"]}
    with pytest.raises(KeyError):
        verify_as_relying_party(published, token1, alg)
    with pytest.raises(UnknownKey):
        ring.decode_jwt(purpose, token1, audience="client-1", issuer=None)
    assert verify_as_relying_party(published, token2, alg)["n"] == 2


def test_published_jwks_holds_public_keys_with_rfc7638_kids(keys: KeyManager) -> None:
    keys.create(KeyPurpose.OIDC_SIGNING, KeyAlgorithm.RSA_3072, ADMIN)
    published = keyring().jwks(KeyPurpose.OIDC_SIGNING)
    assert len(published["keys"]) == 3  # active RSA, active EC, next RSA
    for jwk in published["keys"]:
        assert jwk["kid"] == rfc7638(jwk)
        assert jwk["use"] == "sig"
        # RSA serves RS256 and PS256: no fixed alg (RFC 7517 §4.4); P-256 has only ES256
        assert jwk.get("alg") == {"RSA": None, "EC": "ES256"}[jwk["kty"]]
        assert not {"d", "p", "q", "dp", "dq", "qi", "oth", "k"} & set(jwk)
    assert len(jwt.PyJWKSet.from_dict(published).keys) == 3
    encryption = keyring().jwks(KeyPurpose.SAML_ENCRYPTION)["keys"]
    assert [k["use"] for k in encryption] == ["enc"]
    assert "x5c" in encryption[0] and "x5t#S256" in encryption[0]


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_client_libraries_verify_every_algorithm_from_the_published_jwks(
    keys: KeyManager, clock: FrozenClock, alg: str
) -> None:
    """joserfc (Authlib's JOSE), authlib.jose and PyJWT, given our JWK Set exactly as
    published: strict libraries refuse a token whose alg differs from the JWK's ``alg``, so
    the RSA JWK names none and serves both RS256 and PS256."""
    from authlib.deprecate import AuthlibDeprecationWarning
    from joserfc import jwt as jose_jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.jose import JsonWebKey, JsonWebToken

    claims = {"iss": "https://portal.test", "aud": "client-1", "exp": clock.now() + TEN_YEARS}
    token = keyring().sign_jwt(KeyPurpose.OIDC_SIGNING, claims, alg=alg)
    published = json.loads(json.dumps(keyring().jwks()))  # what /oidc/jwks serves
    decoded = jose_jwt.decode(token, KeySet.import_key_set(published), algorithms=[alg])
    assert decoded.header["alg"] == alg and decoded.claims["aud"] == "client-1"
    legacy = JsonWebToken([alg]).decode(token, JsonWebKey.import_key_set(published))
    assert legacy["aud"] == "client-1"
    assert verify_as_relying_party(published, token, alg)["aud"] == "client-1"
    # a client that expects another algorithm still refuses the token
    other = {"RS256": "PS256", "PS256": "RS256", "ES256": "RS256"}[alg]
    with pytest.raises(JoseError):
        jose_jwt.decode(token, KeySet.import_key_set(published), algorithms=[other])


def test_signing_needs_an_active_key_of_a_fitting_type(keys: KeyManager) -> None:
    ring = keyring()
    assert sorted(ring.available_algorithms(KeyPurpose.OIDC_SIGNING)) == [
        "ES256",
        "PS256",
        "RS256",
    ]
    ec = keys.active_row(KeyPurpose.OIDC_SIGNING, KeyAlgorithm.EC_P256)
    assert ec is not None
    keys.retire(ec.id, ADMIN, force=True)
    assert ring.available_algorithms(KeyPurpose.OIDC_SIGNING) == ["RS256", "PS256"]
    with pytest.raises(NoActiveKey):
        ring.sign_jwt(KeyPurpose.OIDC_SIGNING, {"exp": 1}, alg="ES256")
    with pytest.raises(NoActiveKey):
        ring.sign_jwt(KeyPurpose.EID_WSSEC, {"exp": 1})
    for refused in ("none", "HS256"):
        with pytest.raises(ValueError):
            ring.sign_jwt(KeyPurpose.OIDC_SIGNING, {"exp": 1}, alg=refused)
    token = ring.sign_jwt(
        KeyPurpose.OIDC_SIGNING,
        {"exp": keys.clock.now() + 60},
        alg="PS256",
        headers={"typ": "at+jwt", "kid": "forged", "alg": "none"},
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "PS256" and header["typ"] == "at+jwt" and header["kid"] != "forged"
    assert ring.decode_jwt(KeyPurpose.OIDC_SIGNING, token, audience=None, issuer=None)


def test_tokens_of_one_purpose_do_not_verify_for_another(keys: KeyManager) -> None:
    ring = keyring()
    token = ring.sign_jwt(KeyPurpose.SAML_SIGNING, {"exp": keys.clock.now() + 60})
    with pytest.raises(UnknownKey):
        ring.decode_jwt(KeyPurpose.OIDC_SIGNING, token, audience=None, issuer=None)


def test_saml_key_descriptors_current_and_next(keys: KeyManager, clock: FrozenClock) -> None:
    ring: KeyRing = keyring()
    descriptors = ring.saml_key_descriptors()
    assert [(d.use, d.state) for d in descriptors] == [
        ("signing", KeyState.ACTIVE),
        ("encryption", KeyState.ACTIVE),
    ]
    for d in descriptors:
        cert = x509.load_der_x509_certificate(base64.b64decode(d.certificate))
        assert cert.fingerprint(hashes.SHA256()).hex() == d.fingerprint
    nxt = keys.create(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, ADMIN)
    assert [(d.use, d.state, d.kid) for d in ring.saml_key_descriptors()][:2] == [
        ("signing", KeyState.ACTIVE, descriptors[0].kid),
        ("signing", KeyState.NEXT, nxt.kid),
    ]
    clock.advance(keys.policy.lead_time.total_seconds())
    keys.activate(nxt.id, ADMIN)
    signing = [d for d in ring.saml_key_descriptors() if d.use == "signing"]
    assert [(d.state, d.kid) for d in signing] == [
        (KeyState.ACTIVE, nxt.kid)
    ]  # retired: not in metadata


def test_xml_key_source_gives_the_active_certificate_and_its_key(keys: KeyManager) -> None:
    ring = keyring()
    cert_pem = ring.current_certificate(KeyPurpose.SAML_SIGNING)
    cert = x509.load_pem_x509_certificate(cert_pem)
    private = serialization.load_pem_private_key(
        ring.private_key(KeyPurpose.SAML_SIGNING, cert_pem), None
    )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert private.public_key().public_bytes(serialization.Encoding.DER, spki) == (
        cert.public_key().public_bytes(serialization.Encoding.DER, spki)
    )
    with pytest.raises(NoActiveKey):
        ring.current_certificate(KeyPurpose.EID_TLS)


def test_city_pki_import_keeps_the_chain_and_is_published(keys: KeyManager) -> None:
    pki = city_pki()
    key = rsa_key(3072, "import")
    leaf = pki.leaf(key, not_after=None)
    bundle = p12(key, leaf, [pki.intermediate, pki.root])
    before_rows, before_events = count_rows(), len(key_events())
    for bad, password in ((bundle, "falsch"), (b"garbage", PASSWORD)):
        with pytest.raises(ImportRefused):
            keys.import_key(KeyPurpose.SAML_SIGNING, bad, password=password, actor=ADMIN)
    assert (count_rows(), len(key_events())) == (before_rows, before_events)

    row = keys.import_key(KeyPurpose.SAML_SIGNING, bundle, password=PASSWORD, actor=ADMIN)
    assert (row.state, row.origin) == ("next", "imported")
    assert row.chain is not None and row.chain.count("BEGIN CERTIFICATE") == 2
    assert "Stadt Musterstadt Issuing CA" in (row.issuer or "")
    event = key_events()[-1]
    assert event.event == "key.imported" and event.actor_id == ADMIN.citizen_id
    jwk = next(k for k in keyring().jwks(KeyPurpose.SAML_SIGNING)["keys"] if k["kid"] == row.kid)
    assert len(jwk["x5c"]) == 3
    with pytest.raises(ImportRefused, match="bereits"):
        keys.import_key(KeyPurpose.SAML_SIGNING, bundle, password=PASSWORD, actor=ADMIN)
    assert count_rows() == before_rows + 1


def test_an_imported_key_is_not_replaced_by_the_scheduled_rollover(
    keys: KeyManager, clock: FrozenClock
) -> None:
    from certs.rotation import rotate

    pki = city_pki()
    key = rsa_key(3072, "import")
    leaf = pki.leaf(
        key, not_before=keys.now() - timedelta(days=1), not_after=keys.now() + timedelta(days=90)
    )
    row = keys.import_key(KeyPurpose.SAML_SIGNING, p12(key, leaf), password=PASSWORD, actor=ADMIN)
    keys.activate(row.id, ADMIN, force=True, reason="Umstellung auf städtische PKI")
    clock.advance(timedelta(days=61).total_seconds())
    report = rotate(keys)
    assert any("import its successor" in w for w in report.warnings)
    assert keys.next_rows(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072) == []
