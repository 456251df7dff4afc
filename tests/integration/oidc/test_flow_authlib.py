"""The whole flow driven by Authlib's client: discovery, login, consent, token, ID token
validated with our JWKS, userinfo, refresh, revocation, logout."""

from __future__ import annotations

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Flask

from tests.helpers import Browser
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp


def test_discovery_names_our_endpoints(app: Flask) -> None:
    meta = flow.discovery(app)
    assert meta["issuer"] == flow.ISSUER
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    for name in (
        "authorization",
        "token",
        "userinfo",
        "revocation",
        "introspection",
        "end_session",
    ):
        assert meta[f"{name}_endpoint"].startswith(flow.ISSUER + "/oidc/")
    keys = flow.jwks(app)
    assert keys.keys and all(not k.is_private for k in keys.keys)


def test_code_flow_with_authlib(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, citizen_browser)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
        state=login.state,
    )
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    claims = flow.validated_id_token(app, token["id_token"], rp, login.nonce)
    assert claims["acr"] == "http://eidas.europa.eu/LoA/low" and claims["amr"] == ["pwd"]
    assert claims["sid"] and claims["auth_time"] <= claims["iat"]
    info = client.get(flow.ISSUER + "/oidc/userinfo").json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "erika@example.org" and info["email_verified"] is True
    assert "address" not in info  # not asked for
    # refresh (rotation): the new refresh token differs, the old one is spent
    old = token["refresh_token"]
    renewed = client.refresh_token(flow.ISSUER + "/oidc/token", refresh_token=old)
    assert renewed["refresh_token"] != old
    assert client.get(flow.ISSUER + "/oidc/userinfo").status_code == 200
    # revocation (RFC 7009) of the refresh token ends the family
    client.revoke_token(
        flow.ISSUER + "/oidc/revoke", renewed["refresh_token"], token_type_hint="refresh_token"
    )
    with pytest.raises((OAuthError, OAuth2Error)):
        client.refresh_token(flow.ISSUER + "/oidc/token", refresh_token=renewed["refresh_token"])


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_id_token_algorithm_per_client(app: Flask, citizen_browser: Browser, alg: str) -> None:
    from joserfc import jwt as jose_jwt

    from tests.integration.oidc.support import register

    rp = register(app, id_token_alg=alg)
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, citizen_browser)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    # verified by the client library from the JWKS exactly as published (no key edited)
    decoded = jose_jwt.decode(token["id_token"], flow.jwks(app), algorithms=[alg])
    assert decoded.header["alg"] == alg and decoded.claims["aud"] == rp.client_id
    assert decoded.claims["nonce"] == login.nonce
    # PyJWT too: the RP names the algorithm it registered for, the key comes from our JWKS
    import jwt as pyjwt

    with flow.http(app) as http:
        published = http.get("/oidc/jwks").json()["keys"]
    jwk = next(k for k in published if k["kid"] == decoded.header["kid"])
    verified = pyjwt.decode(
        token["id_token"], pyjwt.PyJWK(jwk, algorithm=alg), algorithms=[alg], audience=rp.client_id
    )
    assert verified["nonce"] == login.nonce
    access = jose_jwt.decode(token["access_token"], flow.jwks(app), algorithms=["ES256", "RS256"])
    assert access.header["typ"] == "at+jwt"
    assert access.claims["client_id"] == rp.client_id and access.claims["aud"] == flow.ISSUER


def test_first_party_client_skips_consent(app: Flask, citizen_browser: Browser) -> None:
    from tests.integration.oidc.support import authorize_path, pkce, redirect_params, register

    rp = register(app, consent="skip")
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge))
    assert "code" in redirect_params(response)[1]
