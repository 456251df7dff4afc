"""OpenID Connect requests per second per core, beside the cost of signing alone.

(a) the keyring signing a JWT alone: RS256 (RSA-3072) and ES256 (P-256);
(b) through the app with Flask's test client: ``POST /oidc/token`` redeeming a code,
    ``POST /oidc/token`` with a refresh token (rotation), ``GET /oidc/userinfo``;
(c) the same through gunicorn with one sync worker, over HTTP.

A code redemption signs twice (ID token RS256 by default, access token ES256 by default) and
writes a refresh token; a refresh does the same; userinfo verifies one signature and reads the
profile. Getting a fresh code (the authorization request with the citizen's session) is
preparation and not timed.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask

from bench.login import (
    EMAIL,
    PASSWORD,
    BenchError,
    _build_app,
    _cookies,
    _cpu,
    _create_verified_citizen,
    _csrf,
    _gunicorn,
    _header,
    _jar,
)
from bench.report import Config, Op, Table, fmt, interleaved_rounds, median
from core import migrate
from core.db import db

REDIRECT = "https://rp.bench.example/cb"
CHALLENGE_VERIFIER = "bench-verifier-" + "v" * 40
SIGN_RS = "(a) keyring sign_jwt RS256 (RSA-3072) alone"
SIGN_ES = "(a) keyring sign_jwt ES256 (P-256) alone"


def run(config: Config) -> Table:
    with TemporaryDirectory(prefix="bench-oidc-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'bench.db'}"
        migrate.upgrade(database_url)
        app = _build_app(workdir, database_url)
        _create_verified_citizen(app)
        client_id, secret = _register(app)
        ops: dict[str, Op] = {SIGN_RS: _sign_op(app, "RS256"), SIGN_ES: _sign_op(app, "ES256")}
        ops.update(_flows("(b) test client", _TestClientHub(app), client_id, secret))
        if config.gunicorn:
            port = stack.enter_context(_gunicorn(workdir, database_url))
            ops.update(_flows("(c) gunicorn 1 sync worker", _HttpHub(port), client_id, secret))
        results = interleaved_rounds(config, ops)
        with app.app_context():
            db.engine.dispose()
    return _table(config, results)


def _register(app: Flask) -> tuple[str, str]:
    from idp.oidc import registry
    from idp.oidc.registry import ClientSpec

    spec = ClientSpec(
        name="Bench",
        redirect_uris=[REDIRECT],
        scopes=["openid", "profile", "email"],
        release=["given_names", "family_names", "email"],
        consent="skip",
    )
    with app.test_request_context():
        _client, secret = registry.register(spec, client_id="bench")
    if secret is None:
        raise BenchError("no client secret")
    return "bench", secret


def _sign_op(app: Flask, alg: str) -> Op:
    from certs import KeyPurpose, keyring

    claims = {"iss": "http://127.0.0.1", "sub": "x" * 43, "aud": "bench", "exp": 2_000_000_000}

    def sign() -> None:
        with app.app_context():
            keyring().sign_jwt(KeyPurpose.OIDC_SIGNING, claims, alg=alg, headers={"typ": "JWT"})

    return sign


# --- two ways to talk to the hub -----------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]


class _TestClientHub:
    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def request(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Answer:
        response = self.client.open(path, method=method, data=body, headers=headers)
        return response.status_code, dict(response.headers), response.get_data()


class _HttpHub:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Answer:
        sent = dict(headers)
        if self.cookies:
            sent["Cookie"] = _jar(self.cookies)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            pairs = response.getheaders()
            self.cookies.update(_cookies(pairs))
            return response.status, {k: v for k, v in pairs}, response.read()
        finally:
            connection.close()


Hub = _TestClientHub | _HttpHub
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _log_in(hub: Hub) -> None:
    _status, _headers, page = hub.request("GET", "/anmelden", None, {})
    body = urlencode({"csrf_token": _csrf(page.decode()), "email": EMAIL, "password": PASSWORD})
    status, _headers, _ = hub.request("POST", "/anmelden", body, FORM)
    if status != 303:
        raise BenchError(f"login failed: {status}")


def _challenge() -> str:
    import hashlib

    digest = hashlib.sha256(CHALLENGE_VERIFIER.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _code(hub: Hub, client_id: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid profile email",
            "code_challenge": _challenge(),
            "code_challenge_method": "S256",
            "state": "s",
        }
    )
    status, headers, _ = hub.request("GET", "/oidc/authorize?" + query, None, {})
    location = _header(list(headers.items()), "Location") or ""
    codes = parse_qs(urlsplit(location).query).get("code")
    if status != 303 or not codes:
        raise BenchError(f"no code: {status} {location[:80]}")
    return codes[0]


def _flows(prefix: str, hub: Hub, client_id: str, secret: str) -> dict[str, Op]:
    _log_in(hub)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    auth = {**FORM, "Authorization": f"Basic {basic}"}
    state: dict[str, Any] = {}

    def token_request(form: dict[str, str]) -> tuple[float, dict[str, Any]]:
        body = urlencode(form)
        start = time.perf_counter()
        status, _headers, raw = hub.request("POST", "/oidc/token", body, auth)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise BenchError(f"token endpoint answered {status}: {raw[:200]!r}")
        answer: dict[str, Any] = json.loads(raw)
        state.update(access=answer["access_token"], refresh=answer["refresh_token"])
        return elapsed, answer

    def redeem() -> float:
        code = _code(hub, client_id)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": CHALLENGE_VERIFIER,
        }
        return token_request(form)[0]

    def refresh() -> float:
        return token_request({"grant_type": "refresh_token", "refresh_token": state["refresh"]})[0]

    def userinfo() -> float:
        headers = {"Authorization": f"Bearer {state['access']}"}
        start = time.perf_counter()
        status, _h, raw = hub.request("GET", "/oidc/userinfo", None, headers)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise BenchError(f"userinfo answered {status}: {raw[:200]!r}")
        return elapsed

    redeem()  # a first token for refresh and userinfo
    return {
        f"{prefix}: POST /oidc/token (code)": redeem,
        f"{prefix}: POST /oidc/token (refresh)": refresh,
        f"{prefix}: GET /oidc/userinfo": userinfo,
    }


def _table(config: Config, results: dict[str, list[float]]) -> Table:
    table = Table(
        title="OpenID Connect requests per core vs. signing alone",
        columns=("measured", "per second", "ms each", "rounds ms"),
    )
    for label, rounds in results.items():
        seconds = median(rounds)
        spread = f"{min(rounds) * 1000:.2f}–{max(rounds) * 1000:.2f}"
        table.add(label, fmt(1 / seconds), fmt(seconds * 1000, 2), spread)
    table.notes += [
        f"{config.n} operations per round, {config.warmup} warm-up each, {config.rounds} rounds "
        "run interleaved; medians; one process (one core) each. SQLite file, in-process store.",
        "A code redemption and a refresh each sign an ID token (RS256) and an access token "
        "(ES256) and write a refresh token; userinfo verifies one ES256 signature.",
        f"CPU: {_cpu()}.",
    ]
    return table
