"""Back-channel logout off the request thread: a slow relying party does not hold up the
citizen's logout; failed deliveries are retried a bounded number of times; the logout token
still follows Back-Channel Logout 1.0 §2.4. Relying parties are real HTTP servers on the
loopback interface; waits are bounded, nothing is timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from joserfc import jwt

from idp.oidc.backchannel import ATTEMPTS, BackchannelSender
from tests.helpers import Browser
from tests.integration.oidc import flow
from tests.integration.oidc.support import register
from tests.integration.oidc.test_logout import Receiver, _login, delivered

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def sender(app: Flask) -> BackchannelSender:
    """The hub's sender with short pauses between attempts (the defaults are seconds)."""
    quick = BackchannelSender(backoff=(0.01, 0.02))
    app.extensions["oidc_backchannel"] = quick
    return quick


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def _receiver(made: list[Receiver], *statuses: int, **options: object) -> Receiver:
    receiver = Receiver(statuses or (200,), **options)  # type: ignore[arg-type]
    made.append(receiver)
    return receiver


def _valid_logout_token(app: Flask, token: str, client_id: str) -> dict[str, object]:
    decoded = jwt.decode(token, flow.jwks(app))
    assert decoded.header["typ"] == "logout+jwt"
    claims = dict(decoded.claims)
    assert claims["iss"] == flow.ISSUER and claims["aud"] == client_id
    assert claims["sub"] and claims["sid"] and claims["jti"] and EVENT in claims["events"]
    assert "nonce" not in claims
    return claims


def test_a_slow_relying_party_does_not_hold_up_the_logout(
    app: Flask, citizen_browser: Browser, sender: BackchannelSender, receivers: list[Receiver]
) -> None:
    gate = threading.Event()
    slow = _receiver(receivers, gate=gate)
    quick = _receiver(receivers)
    rp = register(app, backchannel_logout_uri=slow.url)
    other = register(app, name="Sperrmüll", backchannel_logout_uri=quick.url)
    _login(app, citizen_browser, rp)
    _login(app, citizen_browser, other)

    answer = citizen_browser.logout()  # returns while the slow RP still holds its request

    assert answer.status_code == 303
    assert citizen_browser.get("/konto/profil").status_code != 200  # logged out
    assert slow.holding.wait(30)  # the token reached it; its answer is still outstanding
    assert sender.delivered < 2
    gate.set()
    delivered(app)
    assert sender.delivered == 2 and sender.given_up == 0
    assert len(slow.tokens) == 1 and len(quick.tokens) == 1
    _valid_logout_token(app, slow.tokens[0], rp.client_id)
    _valid_logout_token(app, quick.tokens[0], other.client_id)


def test_a_failing_relying_party_is_tried_again(
    app: Flask, citizen_browser: Browser, sender: BackchannelSender, receivers: list[Receiver]
) -> None:
    flaky = _receiver(receivers, 503, 502, 200)
    rp = register(app, backchannel_logout_uri=flaky.url)
    _login(app, citizen_browser, rp)
    citizen_browser.logout()
    delivered(app)
    assert sender.delivered == 1 and sender.given_up == 0
    assert len(flaky.tokens) == 3 and len(set(flaky.tokens)) == 1  # the same token each time
    _valid_logout_token(app, flaky.tokens[0], rp.client_id)


def test_retries_are_bounded(
    app: Flask, citizen_browser: Browser, sender: BackchannelSender, receivers: list[Receiver]
) -> None:
    down = _receiver(receivers, 503)
    fine = _receiver(receivers)
    rp = register(app, backchannel_logout_uri=down.url)
    other = register(app, name="Sperrmüll", backchannel_logout_uri=fine.url)
    _login(app, citizen_browser, rp)
    _login(app, citizen_browser, other)
    citizen_browser.logout()
    delivered(app)
    assert len(down.tokens) == ATTEMPTS and sender.given_up == 1
    assert len(fine.tokens) == 1 and sender.delivered == 1


def test_an_unreachable_relying_party_is_given_up(
    app: Flask, citizen_browser: Browser, sender: BackchannelSender
) -> None:
    gone = Receiver()
    url = gone.url
    gone.close()  # nothing listens on that port any more
    rp = register(app, backchannel_logout_uri=url)
    _login(app, citizen_browser, rp)
    assert citizen_browser.logout().status_code == 303
    delivered(app)
    assert sender.given_up == 1 and sender.delivered == 0


def test_a_refusal_is_final_and_redirects_are_not_followed(
    app: Flask, citizen_browser: Browser, sender: BackchannelSender, receivers: list[Receiver]
) -> None:
    refusing = _receiver(receivers, 400)
    elsewhere = _receiver(receivers)
    moving = _receiver(receivers, 307, headers={"Location": elsewhere.url})
    rp = register(app, backchannel_logout_uri=refusing.url)
    other = register(app, name="Sperrmüll", backchannel_logout_uri=moving.url)
    _login(app, citizen_browser, rp)
    _login(app, citizen_browser, other)
    citizen_browser.logout()
    delivered(app)
    assert len(refusing.tokens) == 1 and len(moving.tokens) == 1
    assert elsewhere.tokens == []
    assert sender.refused == 2 and sender.delivered == 0 and sender.given_up == 0
