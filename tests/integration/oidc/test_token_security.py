"""The RFC 9700 battery at the token, userinfo and introspection endpoints."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from flask import Flask
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from tests.helpers import Browser
from tests.integration.oidc import flow
from tests.integration.oidc.support import (
    Rp,
    forge_hs256_with_public_key,
    forge_none,
    register,
)

TOKEN = flow.ISSUER + "/oidc/token"
USERINFO = "/oidc/userinfo"


def _basic(rp: Rp) -> dict[str, str]:
    raw = f"{rp.client_id}:{rp.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _redeem(app: Flask, rp: Rp, login: flow.Login, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": flow.code_of(login.callback),
        "redirect_uri": rp.redirect_uri,
        "code_verifier": login.verifier,
    }
    form.update(changes)
    with flow.http(app) as client:
        return client.post("/oidc/token", data=form, headers=_basic(rp))


def _login(app: Flask, browser: Browser, rp: Rp) -> flow.Login:
    return flow.authorize(flow.oauth_client(app, rp), browser)


def _userinfo(app: Flask, token: str) -> httpx.Response:
    with flow.http(app) as client:
        return client.get(USERINFO, headers={"Authorization": f"Bearer {token}"})


def _refresh(app: Flask, rp: Rp, token: str) -> httpx.Response:
    with flow.http(app) as client:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return client.post("/oidc/token", data=form, headers=_basic(rp))


def _audit_events() -> list[str]:
    return [r.event for r in db.session.scalars(select(AuditRecord))]


# --- codes ---------------------------------------------------------------------------------


def test_code_reuse_fails_and_revokes_what_the_first_use_issued(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    login = _login(app, citizen_browser, rp)
    first = _redeem(app, rp, login)
    assert first.status_code == 200
    tokens = first.json()
    assert _userinfo(app, tokens["access_token"]).status_code == 200
    second = _redeem(app, rp, login)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert _userinfo(app, tokens["access_token"]).status_code == 401
    assert _refresh(app, rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    with app.app_context():
        assert "oidc.token_reuse_detected" in _audit_events()


def test_code_reuse_hours_later_still_revokes_the_refresh_family(
    app: Flask, citizen_browser: Browser, rp: Rp, clock: FrozenClock
) -> None:
    """The access tokens are long expired, the refresh family is not: a late replay ends it."""
    login = _login(app, citizen_browser, rp)
    tokens = _redeem(app, rp, login).json()
    clock.advance(2 * 3600)
    rotated = _refresh(app, rp, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    replay = _redeem(app, rp, login)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    later = _refresh(app, rp, rotated.json()["refresh_token"])
    assert later.status_code == 400 and later.json()["error"] == "invalid_grant"


def test_code_of_one_client_cannot_be_redeemed_by_another(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    other = register(app, name="Sperrmüll", redirect_uris=[rp.redirect_uri])
    login = _login(app, citizen_browser, rp)
    stolen = _redeem(app, other, login)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "changes",
    [
        {"redirect_uri": "https://rp.example/callback/"},
        {"redirect_uri": ""},
        {"code_verifier": generate_token(48)},
        {"code_verifier": ""},
        {"code_verifier": "short"},
        {"code": "not-a-code"},
    ],
)
def test_bound_code_refuses_mismatches(
    app: Flask, citizen_browser: Browser, rp: Rp, changes: dict[str, str]
) -> None:
    login = _login(app, citizen_browser, rp)
    response = _redeem(app, rp, login, **changes)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert response.headers["Cache-Control"] == "no-store"
    # the code is spent by the failed attempt (an injected code is worthless afterwards)
    assert _redeem(app, rp, login).status_code == (200 if "code" in changes else 400)


def test_code_lives_at_most_sixty_seconds(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    from idp.oidc.config import OidcConfig

    login = _login(app, citizen_browser, rp)
    config: OidcConfig = app.extensions["oidc"]
    remaining = config.store.ttl("oidc:code:" + config.keyed_hash(flow.code_of(login.callback)))
    assert remaining is not None and 0 < remaining <= 60


def test_expired_code(app: Flask, citizen_browser: Browser, rp: Rp, backend: str) -> None:
    if backend != "sqlite+memory":
        pytest.skip("Redis expires keys by its own clock; the TTL test covers it")
    login = _login(app, citizen_browser, rp)
    app.extensions["clock"].advance(61)
    assert _redeem(app, rp, login).status_code == 400


def test_exactly_one_of_concurrent_redemptions_wins(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    login = _login(app, citizen_browser, rp)
    results: list[int] = []
    barrier = threading.Barrier(6)

    def redeem() -> None:
        barrier.wait()
        results.append(_redeem(app, rp, login).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 400, 400, 400, 400, 400]


# --- client authentication -----------------------------------------------------------------


def test_client_authentication_failures(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    login = _login(app, citizen_browser, rp)
    form = {"grant_type": "authorization_code", "code": flow.code_of(login.callback)}
    wrong = Rp(rp.client_id, "wrong-secret", rp.redirect_uri)
    with flow.http(app) as client:
        answer = client.post("/oidc/token", data=form, headers=_basic(wrong))
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
        post = {**form, "client_id": rp.client_id, "client_secret": rp.secret or ""}
        assert client.post("/oidc/token", data=post).status_code == 401  # not its method
        both = client.post("/oidc/token", data=post, headers=_basic(rp))
        assert both.json()["error"] == "invalid_request"
        public = client.post("/oidc/token", data={**form, "client_id": rp.client_id})
        assert public.status_code == 401
        garbage = client.post("/oidc/token", data=form, headers={"Authorization": "Basic !!"})
        assert garbage.status_code == 401
        unknown = client.post(
            "/oidc/token", data={**form, "grant_type": "password"}, headers=_basic(rp)
        )
        assert unknown.json()["error"] == "unsupported_grant_type"


def test_public_client_with_pkce(app: Flask, citizen_browser: Browser) -> None:
    rp = register(app, auth_method="none")
    client = flow.oauth_client(app, rp, token_endpoint_auth_method="none")
    login = flow.authorize(client, citizen_browser)
    token = client.fetch_token(
        TOKEN, authorization_response=login.callback, code_verifier=login.verifier
    )
    assert flow.validated_id_token(app, token["id_token"], rp, login.nonce)


def test_client_secret_post(app: Flask, citizen_browser: Browser) -> None:
    rp = register(app, auth_method="client_secret_post")
    client = flow.oauth_client(app, rp, token_endpoint_auth_method="client_secret_post")
    login = flow.authorize(client, citizen_browser)
    token = client.fetch_token(
        TOKEN, authorization_response=login.callback, code_verifier=login.verifier
    )
    assert token["access_token"]


def _key_client(app: Flask) -> tuple[Rp, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk["kid"] = "rp-key-1"
    rp = register(app, auth_method="private_key_jwt", jwks={"keys": [public_jwk]})
    return rp, private


def test_private_key_jwt_and_its_replay_cache(app: Flask, citizen_browser: Browser) -> None:
    import jwt as pyjwt

    rp, private = _key_client(app)
    client = OAuth2Client(
        client_id=rp.client_id,
        scope="openid",
        redirect_uri=rp.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=PrivateKeyJWT(token_endpoint=flow.ISSUER),
        transport=httpx.WSGITransport(app=app),
    )
    # authlib signs the assertion with the "secret": here the PEM of the private key
    client.client_secret = private.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    ).decode()
    login = flow.authorize(client, citizen_browser)
    token = client.fetch_token(
        TOKEN, authorization_response=login.callback, code_verifier=login.verifier
    )
    assert token["access_token"]
    now = int(time.time())

    def assertion(**changes: Any) -> str:
        claims = {
            "iss": rp.client_id,
            "sub": rp.client_id,
            "aud": flow.ISSUER,
            "exp": now + 60,
            "jti": "j-1",
        }
        claims.update(changes)
        return pyjwt.encode(claims, private, algorithm="RS256", headers={"kid": "rp-key-1"})

    def attempt(value: str) -> httpx.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": value,
        }
        with flow.http(app) as http:
            return http.post("/oidc/token", data=form)

    assert attempt(assertion(aud=TOKEN)).status_code == 401  # audience must be the issuer
    assert attempt(assertion(aud="https://other.example")).status_code == 401
    assert attempt(assertion(exp=now + 7200)).status_code == 401
    assert attempt(assertion(exp=now - 5)).status_code == 401
    assert attempt(assertion(iss="someone-else")).status_code == 401
    assert (
        attempt(
            forge_none(
                {
                    "iss": rp.client_id,
                    "sub": rp.client_id,
                    "aud": flow.ISSUER,
                    "exp": now + 60,
                    "jti": "x",
                },
                "JWT",
            )
        ).status_code
        == 401
    )
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = pyjwt.encode(
        {"iss": rp.client_id, "sub": rp.client_id, "aud": flow.ISSUER, "exp": now + 60, "jti": "y"},
        other,
        algorithm="RS256",
        headers={"kid": "rp-key-1"},
    )
    assert attempt(foreign).status_code == 401
    good = assertion(jti="once")
    assert attempt(good).status_code == 200
    replay = attempt(good)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]


# --- forged and foreign tokens at userinfo -------------------------------------------------


def _tokens(
    app: Flask, browser: Browser, rp: Rp, scope: str = "openid profile email"
) -> dict[str, Any]:
    client = flow.oauth_client(app, rp, scope=scope)
    login = flow.authorize(client, browser)
    token: dict[str, Any] = client.fetch_token(
        TOKEN, authorization_response=login.callback, code_verifier=login.verifier
    )
    return token


def test_forged_access_tokens_are_refused(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    token = _tokens(app, citizen_browser, rp)
    import jwt as pyjwt

    claims = pyjwt.decode(token["access_token"], options={"verify_signature": False})
    with flow.http(app) as client:
        keys = client.get("/oidc/jwks").json()
    for forged in (
        forge_none(claims, "at+jwt"),
        forge_hs256_with_public_key(keys, claims, "at+jwt"),
        token["id_token"],  # an ID token is no access token (typ, aud)
        token["access_token"][:-4] + "AAAA",
        "not-a-jwt",
    ):
        answer = _userinfo(app, forged)
        assert answer.status_code == 401, forged[:20]
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert _userinfo(app, token["access_token"]).status_code == 200


def test_userinfo_by_post_and_token_rules(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    token = _tokens(app, citizen_browser, rp)["access_token"]
    with flow.http(app) as client:
        assert client.post(USERINFO, data={"access_token": token}).status_code == 200
        assert (
            client.post(USERINFO, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
        twice = client.post(
            USERINFO, data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
        )
        assert twice.status_code == 400
        missing = client.get(USERINFO)
        assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith(
            "Bearer"
        )
        assert (
            client.get(USERINFO + "?access_token=" + token).status_code == 401
        )  # never in the URL


def test_access_token_expires(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    token = _tokens(app, citizen_browser, rp)["access_token"]
    app.extensions["clock"].advance(301)
    assert _userinfo(app, token).status_code == 401


# --- refresh -------------------------------------------------------------------------------


def test_refresh_replay_revokes_the_family(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    first = _tokens(app, citizen_browser, rp)["refresh_token"]
    second = _refresh(app, rp, first).json()["refresh_token"]
    third = _refresh(app, rp, second).json()["refresh_token"]
    replay = _refresh(app, rp, first)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert _refresh(app, rp, third).json()["error"] == "invalid_grant"  # the family is gone
    with app.app_context():
        assert "oidc.token_reuse_detected" in _audit_events()


def test_refresh_is_bound_to_its_client_and_scope(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    other = register(app, name="Anderer Dienst")
    refresh_token = _tokens(app, citizen_browser, rp, scope="openid email")["refresh_token"]
    assert _refresh(app, other, refresh_token).json()["error"] == "invalid_grant"
    with flow.http(app) as client:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": "openid profile",
        }
        wider = client.post("/oidc/token", data=form, headers=_basic(rp))
    assert wider.json()["error"] == "invalid_scope"
    assert _refresh(app, rp, refresh_token).status_code == 200  # still usable by its owner


def test_refresh_family_has_an_absolute_expiry(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    token = _tokens(app, citizen_browser, rp)["refresh_token"]
    clock = app.extensions["clock"]
    for _ in range(3):
        clock.advance(2 * 3600)
        token = _refresh(app, rp, token).json()["refresh_token"]
    clock.advance(2 * 3600 + 1)
    assert _refresh(app, rp, token).json()["error"] == "invalid_grant"


# --- introspection and revocation -----------------------------------------------------------


def test_introspection(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    token = _tokens(app, citizen_browser, rp)
    other = register(app, name="Anderer Dienst")
    public = register(app, name="App", auth_method="none")
    with flow.http(app) as client:
        active = client.post(
            "/oidc/introspect", data={"token": token["access_token"]}, headers=_basic(rp)
        ).json()
        assert active["active"] is True and active["client_id"] == rp.client_id
        assert active["scope"] == "openid profile email"
        refresh = client.post(
            "/oidc/introspect", data={"token": token["refresh_token"]}, headers=_basic(rp)
        ).json()
        assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
        foreign = client.post(
            "/oidc/introspect", data={"token": token["access_token"]}, headers=_basic(other)
        ).json()
        assert foreign == {"active": False}
        denied = client.post(
            "/oidc/introspect", data={"token": token["access_token"], "client_id": public.client_id}
        )
        assert denied.status_code == 401
        assert (
            client.post("/oidc/introspect", data={"token": token["access_token"]}).status_code
            == 401
        )
        assert (
            client.post(
                "/oidc/revoke", data={"token": token["access_token"]}, headers=_basic(rp)
            ).status_code
            == 200
        )
        gone = client.post(
            "/oidc/introspect", data={"token": token["access_token"]}, headers=_basic(rp)
        ).json()
        assert gone == {"active": False}
        assert (
            client.post("/oidc/revoke", data={"token": "unknown"}, headers=_basic(rp)).status_code
            == 200
        )
    assert _userinfo(app, token["access_token"]).status_code == 401
