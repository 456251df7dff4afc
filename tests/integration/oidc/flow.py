"""An independent relying party: Authlib's OAuth 2.0 client over httpx, pointed at the hub's
WSGI app; the citizen's part (login, consent) is done by a test browser with its own cookies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.helpers import Browser, csrf_token
from tests.integration.oidc.support import Rp, consent_action

ISSUER = "http://portal.test"


def http(app: Flask) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=ISSUER)


def discovery(app: Flask) -> dict[str, Any]:
    with http(app) as client:
        data: dict[str, Any] = client.get("/.well-known/openid-configuration").json()
        return data


def oauth_client(app: Flask, rp: Rp, **options: Any) -> OAuth2Client:
    options.setdefault("token_endpoint_auth_method", "client_secret_basic")
    return OAuth2Client(
        client_id=rp.client_id,
        client_secret=rp.secret,
        scope=options.pop("scope", "openid profile email"),
        redirect_uri=rp.redirect_uri,
        code_challenge_method="S256",
        transport=httpx.WSGITransport(app=app),
        **options,
    )


@dataclass
class Login:
    callback: str
    verifier: str
    state: str
    nonce: str


def authorize(client: OAuth2Client, browser: Browser, **params: str) -> Login:
    """Through the browser: authorization request, (login), consent; returns the callback."""
    from authlib.common.security import generate_token

    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        ISSUER + "/oidc/authorize", code_verifier=verifier, nonce=nonce, **params
    )
    response = browser.get(url.removeprefix(ISSUER))
    for _ in range(5):
        location = response.headers.get("Location", "")
        if response.status_code == 303 and location.startswith(client.redirect_uri):
            return Login(location, verifier, state, nonce)
        if response.status_code == 303:
            response = browser.get(location)
            continue
        assert response.status_code == 200, response.status_code
        response = browser.post(
            consent_action(response.text),
            {"csrf_token": csrf_token(response.text), "decision": "allow"},
        )
    raise AssertionError("no authorization response")


def jwks(app: Flask) -> KeySet:
    with http(app) as client:
        return KeySet.import_key_set(client.get("/oidc/jwks").json())


def validated_id_token(app: Flask, token: str, rp: Rp, nonce: str | None) -> dict[str, Any]:
    decoded = jwt.decode(token, jwks(app), algorithms=["RS256", "ES256", "PS256"])
    expected: dict[str, Any] = {"iss": {"essential": True, "value": ISSUER}}
    expected["aud"] = {"essential": True, "value": rp.client_id}
    if nonce is not None:
        expected["nonce"] = {"essential": True, "value": nonce}
    JWTClaimsRegistry(**expected).validate(decoded.claims)
    return dict(decoded.claims)


def code_of(callback: str) -> str:
    match = re.search(r"[?&]code=([^&]+)", urlsplit(callback).query and callback)
    assert match
    return match.group(1)
