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
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
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
