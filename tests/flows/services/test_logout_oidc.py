"""Logout of the OIDC services through the real hub over HTTP: the citizen logs out at one
service (RP-Initiated Logout 1.0: id_token_hint, registered post_logout_redirect_uri, state
checked on return), the hub ends its session and its back-channel logout tokens end the other
service's session (Back-Channel Logout 1.0); forged, expired and malformed logout tokens, a
replayed one and a wrong state change nothing and get a 400, never a 500."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.store.base import KeyValueStore
from services import meldebescheinigung, ummeldung
from services.kit.models import HubLogin
from services.kit.models import db as kit_db
from tests.flows.services.steps import log_in, onward_of
from tests.flows.services.world import CSRF_RE, HttpBrowser, ServiceHandle, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
}
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {  # level low: a password session at the hub (the card has its own tests)
        "ummeldung": at_level(ummeldung.SERVICE, "low"),
        "meldebescheinigung": at_level(meldebescheinigung.SERVICE, "low"),
    }
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def _logged_in_at(browser: HttpBrowser, svc: ServiceHandle) -> bool:
    answer = browser.session.get(svc.page("/antrag"), allow_redirects=False, timeout=30)
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def _both(town: World) -> tuple[HttpBrowser, ServiceHandle, ServiceHandle]:
    a, b = town.service("ummeldung"), town.service("meldebescheinigung")
    citizen = HttpBrowser()
    assert log_in(citizen, a, EMAIL, PASSWORD).url == a.page("/antrag")
    assert citizen.go(b.page("/anmelden")).url == b.page("/antrag")  # SSO: no password again
    return citizen, a, b


def _log_out(browser: HttpBrowser, svc: ServiceHandle) -> requests.Response:
    page = browser.go(svc.page("/antrag"))
    match = CSRF_RE.search(page.text)
    assert match and 'action="/abmelden"' in page.text
    # the form's redirect continues at the hub: the page's CSP form-action must admit it,
    # or Chromium holds the redirect (w3c/webappsec-csp#8)
    hub = svc.app.extensions["kit_config"].hub_url
    form_action = page.headers["Content-Security-Policy"].split("form-action ")[1].split(";")[0]
    assert hub in form_action.split(), form_action
    return browser.post(svc.page("/abmelden"), {"csrf_token": match.group(1)}, follow=False)


def test_logout_at_one_service_ends_the_hub_session_and_the_other_service(town: World) -> None:
    citizen, a, b = _both(town)
    leaving = _log_out(citizen, a)
    target = urlsplit(onward_of(leaving))
    assert f"{target.scheme}://{target.netloc}{target.path}" == town.hub_url + "/oidc/logout"
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert params["post_logout_redirect_uri"] == a.page("/abgemeldet")
    assert params["client_id"] == "svc-ummeldung" and len(params["state"]) >= 20
    assert jwt.decode(params["id_token_hint"], options={"verify_signature": False})["aud"]
    assert not _logged_in_at(citizen, a)  # ended here before the hub was even asked
    back = citizen.follow(leaving)
    assert back.status_code == 200 and back.url.startswith(a.page("/abgemeldet?"))
    assert "im Bürgerportal abgemeldet" in back.text
    assert parse_qs(urlsplit(back.url).query)["state"] == [params["state"]]
    sender = town.hub.extensions["oidc_backchannel"]
    assert sender.flush(30)
    assert sender.delivered == 2 and sender.refused == 0  # one token per service
    assert not _logged_in_at(citizen, b)
    hub = citizen.go(town.hub_url + "/konto/antraege")
    assert "/anmelden" in hub.url  # the hub's session is over too
    with b.app.app_context():
        assert kit_db.session.scalar(kit_db.select(kit_db.func.count(HubLogin.id))) == 0


def test_a_wrong_or_missing_state_is_not_confirmed(town: World) -> None:
    citizen, a, _b = _both(town)
    leaving = _log_out(citizen, a)
    state = parse_qs(urlsplit(onward_of(leaving)).query)["state"][0]
    wrong = citizen.go(a.page("/abgemeldet?state=" + state[::-1]))
    assert wrong.status_code == 400 and "nicht bestätigen" in wrong.text
    late = citizen.go(a.page("/abgemeldet?state=" + state))  # the pending state is spent
    assert late.status_code == 400
    stranger = HttpBrowser().go(a.page("/abgemeldet"))
    assert stranger.status_code == 400
    assert not _logged_in_at(citizen, a)


def test_logout_at_the_hub_ends_both_services_sessions(town: World) -> None:
    citizen, a, b = _both(town)
    page = citizen.go(town.hub_url + "/konto/antraege")
    match = CSRF_RE.search(page.text)
    assert match and 'action="/abmelden"' in page.text
    citizen.post(town.hub_url + "/abmelden", {"csrf_token": match.group(1)})
    sender = town.hub.extensions["oidc_backchannel"]
    assert sender.flush(30) and sender.delivered == 2 and sender.refused == 0
    assert not _logged_in_at(citizen, a) and not _logged_in_at(citizen, b)


# --- back-channel logout tokens --------------------------------------------------------------


def _sid(svc: ServiceHandle) -> str:
    with svc.app.app_context():
        (login,) = kit_db.session.scalars(kit_db.select(HubLogin)).all()
        return str(login.hub_session)


def _hub_token(town: World, claims: dict[str, Any], typ: str = "logout+jwt") -> str:
    """A token signed with the hub's own key (as the hub would make one)."""
    from idp.oidc import signing

    with town.hub.test_request_context():
        return signing.sign(claims, "RS256", typ)


def _claims(town: World, svc: ServiceHandle, **changes: Any) -> dict[str, Any]:
    from idp.oidc.config import oidc

    with town.hub.test_request_context():
        issuer = oidc().issuer
    moment = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": "svc-meldebescheinigung",
        "iat": moment,
        "exp": moment + 120,
        "jti": uuid.uuid4().hex,
        "sid": changes["sid"] if "sid" in changes else _sid(svc),
        "events": {EVENT: {}},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _post(svc: ServiceHandle, token: str, channel: str = "citizen") -> requests.Response:
    return requests.post(
        svc.page(f"/oidc/backchannel-logout/{channel}"),
        data={"logout_token": token},
        allow_redirects=False,
        timeout=30,
    )


def test_bad_logout_tokens_change_nothing(town: World) -> None:
    citizen, _a, b = _both(town)
    good = _hub_token(town, _claims(town, b))
    fresh_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = fresh_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = jwt.get_unverified_header(good)["kid"]
    forged = jwt.encode(
        _claims(town, b), pem, algorithm="RS256", headers={"kid": kid, "typ": "logout+jwt"}
    )
    moment = int(time.time())
    bad = {
        "forged signature": forged,
        "expired": _hub_token(town, _claims(town, b, iat=moment - 600, exp=moment - 480)),
        "issued long ago": _hub_token(town, _claims(town, b, iat=moment - 900, exp=None)),
        "with a nonce": _hub_token(town, _claims(town, b, nonce="n-1")),
        "no events": _hub_token(town, _claims(town, b, events=None)),
        "wrong event": _hub_token(town, _claims(town, b, events={EVENT: "yes"})),
        "other audience": _hub_token(town, _claims(town, b, aud="svc-ummeldung")),
        "other issuer": _hub_token(town, _claims(town, b, iss="https://elsewhere.example")),
        "no jti": _hub_token(town, _claims(town, b, jti=None)),
        "neither sid nor sub": _hub_token(town, _claims(town, b, sid=None)),
        "an ID token's typ": _hub_token(town, _claims(town, b), typ="JWT"),
        "not a JWT": "abc.def.ghi",
        "empty": "",
    }
    for name, token in bad.items():
        answer = _post(b, token)
        assert answer.status_code == 400, name
        assert answer.json()["error"] == "invalid_request", name
        assert answer.headers["Cache-Control"] == "no-store"
        assert _logged_in_at(citizen, b), name
    assert _post(b, good, channel="nobody").status_code == 404
    assert _post(b, good, channel="clerk").status_code == 400  # the clerk client's audience
    assert _logged_in_at(citizen, b)
    accepted = _post(b, good)
    assert accepted.status_code == 200 and accepted.headers["Cache-Control"] == "no-store"
    assert not _logged_in_at(citizen, b)
    assert _post(b, good).status_code == 400  # the same jti again


def test_a_logout_token_with_only_sub_ends_every_session_of_the_citizen(town: World) -> None:
    first, _a, b = _both(town)
    second = HttpBrowser()  # the same citizen in a second browser
    assert log_in(second, b, EMAIL, PASSWORD).url == b.page("/antrag")
    subject = _subject_of_any(b)
    token = _hub_token(town, _claims(town, b, sid=None, sub=subject))
    assert _post(b, token).status_code == 200
    assert not _logged_in_at(first, b) and not _logged_in_at(second, b)


def _subject_of_any(svc: ServiceHandle) -> str:
    with svc.app.app_context():
        subjects = set(kit_db.session.scalars(kit_db.select(HubLogin.subject)))
    assert len(subjects) == 1
    return str(subjects.pop())
