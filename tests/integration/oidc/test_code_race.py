"""Concurrent redemptions of one authorization code (RFC 6749 §4.1.2, RFC 9700 §4.5):
exactly one succeeds, and because every other one is a second use, what the winner was issued
ends — even when the replays arrive while the winner is still issuing."""

from __future__ import annotations

import base64
import threading

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select

from core.audit import AuditRecord
from core.db import db
from tests.helpers import Browser
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp


def _basic(rp: Rp) -> dict[str, str]:
    raw = f"{rp.client_id}:{rp.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _redeem_concurrently(app: Flask, rp: Rp, login: flow.Login, n: int) -> list[httpx.Response]:
    form = {
        "grant_type": "authorization_code",
        "code": flow.code_of(login.callback),
        "redirect_uri": rp.redirect_uri,
        "code_verifier": login.verifier,
    }
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def redeem() -> None:
        with flow.http(app) as http:
            barrier.wait()
            answer = http.post("/oidc/token", data=form, headers=_basic(rp))
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=redeem) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.parametrize("n", [2, 8])
def test_one_of_concurrent_redemptions_wins_and_its_tokens_are_revoked(
    app: Flask, citizen_browser: Browser, rp: Rp, n: int
) -> None:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, citizen_browser)
    answers = _redeem_concurrently(app, rp, login, n)

    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1
    losers = [a for a in answers if a.status_code != 200]
    assert all(a.status_code == 400 and a.json()["error"] == "invalid_grant" for a in losers)

    token = winners[0].json()
    holder = flow.oauth_client(app, rp, token={**token, "token_type": "Bearer"})
    assert holder.get(flow.ISSUER + "/oidc/userinfo").status_code == 401
    introspected = client.introspect_token(
        flow.ISSUER + "/oidc/introspect", token=token["access_token"]
    )
    assert introspected.json() == {"active": False}
    with flow.http(app) as http:
        refreshed = http.post(
            "/oidc/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            headers=_basic(rp),
        )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    with app.app_context():
        reuse = select(func.count()).where(AuditRecord.event == "oidc.token_reuse_detected")
        assert db.session.scalar(reuse) == 1  # audited once: the first second use


def test_a_single_redemption_keeps_its_tokens(app: Flask, citizen_browser: Browser, rp: Rp) -> None:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, citizen_browser)
    (answer,) = _redeem_concurrently(app, rp, login, 1)
    assert answer.status_code == 200
    token = answer.json()
    holder = flow.oauth_client(app, rp, token={**token, "token_type": "Bearer"})
    assert holder.get(flow.ISSUER + "/oidc/userinfo").status_code == 200
