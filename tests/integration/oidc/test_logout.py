"""Logout: RP-initiated with id_token_hint, back-channel logout tokens, session list, consents."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from flask import Flask
from joserfc import jwt

from tests.helpers import Browser, csrf_token
from tests.integration.oidc import flow
from tests.integration.oidc.support import (
    Rp,
    forge_hs256_with_public_key,
    forge_none,
    redirect_params,
    register,
)

BYE = "https://rp.example/bye"


class Receiver:
    """A relying party's back-channel logout endpoint on the loopback interface.

    ``statuses`` are its answers in turn (the last one repeats); with ``gate`` it holds every
    request open, after reading it, until the gate is set (a slow relying party).
    """

    def __init__(
        self,
        statuses: tuple[int, ...] = (200,),
        gate: threading.Event | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.tokens: list[str] = []
        self.holding = threading.Event()  # set while a request waits at the gate
        received, answers, receiver = self.tokens, list(statuses), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                received.extend(form.get("logout_token", []))
                status = answers.pop(0) if len(answers) > 1 else answers[0]
                if gate is not None:
                    receiver.holding.set()
                    gate.wait(60)  # a bound only, so a broken test cannot hang forever
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def delivered(app: Flask) -> None:
    """Wait until the hub's back-channel sender has nothing queued or in flight."""
    assert app.extensions["oidc_backchannel"].flush()


def _login(app: Flask, browser: Browser, rp: Rp) -> dict[str, Any]:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, browser)
    token: dict[str, Any] = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    return token


def _logged_in(browser: Browser) -> bool:
    return browser.get("/konto/profil").status_code == 200


def _logout(browser: Browser, **params: str) -> Any:
    return browser.get("/oidc/logout?" + urlencode(params))


def test_rp_initiated_and_back_channel_logout(
    app: Flask, citizen_browser: Browser, receiver: Receiver
) -> None:
    rp = register(app, backchannel_logout_uri=receiver.url)
    other = register(app, name="Sperrmüll", backchannel_logout_uri=receiver.url)
    token = _login(app, citizen_browser, rp)
    _login(app, citizen_browser, other)
    sessions = citizen_browser.get("/konto/sicherheit").text
    assert "Hundesteuer, Sperrmüll" in sessions
    id_claims = flow.validated_id_token(app, token["id_token"], rp, None)
    response = _logout(
        citizen_browser,
        id_token_hint=token["id_token"],
        post_logout_redirect_uri=BYE,
        state="bye-1",
    )
    target, params = redirect_params(response)
    assert target == BYE and params == {"state": "bye-1"}
    assert not _logged_in(citizen_browser)
    delivered(app)
    assert len(receiver.tokens) == 2
    keys = flow.jwks(app)
    decoded = [jwt.decode(t, keys) for t in receiver.tokens]
    mine = next(d for d in decoded if d.claims["aud"] == rp.client_id)
    assert mine.header["typ"] == "logout+jwt"
    assert mine.claims["sub"] == id_claims["sub"] and mine.claims["sid"] == id_claims["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in mine.claims["events"]
    assert "nonce" not in mine.claims
    # the refresh token of the ended session is revoked
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=flow.ISSUER) as http:
        answer = http.post(
            "/oidc/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=(rp.client_id, rp.secret or ""),
        )
    assert answer.json()["error"] == "invalid_grant"


def test_logout_at_the_hub_tells_the_services(
    app: Flask, citizen_browser: Browser, receiver: Receiver
) -> None:
    rp = register(app, backchannel_logout_uri=receiver.url)
    _login(app, citizen_browser, rp)
    citizen_browser.logout()
    delivered(app)
    assert len(receiver.tokens) == 1


def test_unregistered_post_logout_redirect_is_refused(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    token = _login(app, citizen_browser, rp)
    for uri in (BYE + "/", "https://evil.example/", "https://rp.example/callback"):
        response = _logout(
            citizen_browser, id_token_hint=token["id_token"], post_logout_redirect_uri=uri
        )
        assert response.status_code == 400 and "Location" not in response.headers
    no_client = _logout(citizen_browser, post_logout_redirect_uri=BYE)
    assert no_client.status_code == 400
    assert _logged_in(citizen_browser)


def test_forged_or_foreign_id_token_hints_are_refused(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    token = _login(app, citizen_browser, rp)
    other = register(app, name="Anderer Dienst")
    claims = flow.validated_id_token(app, token["id_token"], rp, None)
    with flow.http(app) as http:
        keys = http.get("/oidc/jwks").json()
    for forged in (
        forge_none(claims, "JWT"),
        forge_hs256_with_public_key(keys, claims, "JWT"),
        token["access_token"],
    ):
        response = _logout(citizen_browser, id_token_hint=forged, post_logout_redirect_uri=BYE)
        assert response.status_code == 400
    foreign = _logout(citizen_browser, id_token_hint=token["id_token"], client_id=other.client_id)
    assert foreign.status_code == 400
    assert _logged_in(citizen_browser)


def test_logout_without_hint_asks_first(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    _login(app, citizen_browser, rp)
    page = _logout(citizen_browser, client_id=rp.client_id, post_logout_redirect_uri=BYE, state="s")
    assert page.status_code == 200 and "Möchten Sie sich jetzt abmelden?" in page.text
    assert _logged_in(citizen_browser)
    form = {"client_id": rp.client_id, "post_logout_redirect_uri": BYE, "state": "s"}
    assert citizen_browser.post("/oidc/abmelden", form).status_code == 400  # no CSRF token
    assert _logged_in(citizen_browser)
    done = citizen_browser.post("/oidc/abmelden", {**form, "csrf_token": csrf_token(page.text)})
    assert redirect_params(done) == (BYE, {"state": "s"})
    assert not _logged_in(citizen_browser)


def test_logged_out_citizen_is_just_sent_back(app: Flask, portal: Any, rp: Rp) -> None:
    browser = portal.new_browser()
    response = _logout(browser, client_id=rp.client_id, post_logout_redirect_uri=BYE)
    assert redirect_params(response)[0] == BYE
    assert _logout(browser).status_code == 200


def test_connected_services_and_revocation(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    token = _login(app, citizen_browser, rp)
    page = citizen_browser.get("/konto/dienste")
    assert page.status_code == 200 and "Hundesteuer" in page.text and "E-Mail-Adresse" in page.text
    action = f"/konto/dienste/{rp.client_id}/widerrufen"
    assert citizen_browser.post(action, {}).status_code == 400  # no CSRF token
    assert "Hundesteuer" in citizen_browser.get("/konto/dienste").text
    citizen_browser.post(action, {"csrf_token": csrf_token(page.text)})
    assert "Hundesteuer" not in citizen_browser.get("/konto/dienste").text
    with flow.http(app) as http:
        answer = http.post(
            "/oidc/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=(rp.client_id, rp.secret or ""),
        )
    assert answer.json()["error"] == "invalid_grant"
    from tests.integration.oidc.support import authorize_path, pkce

    _v, challenge = pkce()
    again = citizen_browser.get(authorize_path(rp, challenge))
    assert again.status_code == 200 and "Zulassen" in again.text  # asked again
