"""CSRF on the Online-Ausweis forms (as tests/integration/test_csrf.py for the others): without
the token, with a forged one or one of another browser's session the POST is refused with 400
and changes nothing; with the right token the same POST changes something."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from account.models import Citizen, EidLink
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub, follow, present_card
from tests.helpers import Browser, Portal, csrf_token
from tests.integration.test_csrf import EID_FORMS

PASSWORD = "Ein langer Satz als Passwort"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


@dataclass
class Attempt:
    browser: Browser
    path: str
    fields: dict[str, str]
    form_page: str


def _password_browser(hub: EidHub) -> Browser:
    Portal(hub.app, hub.clock).registered_citizen("erika@example.org", PASSWORD)
    browser = hub.browser()
    assert browser.login("erika@example.org", PASSWORD).status_code == 303
    return browser


def eid_register(hub: EidHub) -> Attempt:
    browser = hub.browser()
    follow(browser, present_card(hub, browser, "/anmelden/ausweis?registrieren=1"))
    fields = {"email": "erika@example.org", "password": "", "password_repeat": ""}
    return Attempt(browser, "/registrieren/ausweis", fields, "/registrieren/ausweis")


def eid_confirm_link(hub: EidHub) -> Attempt:
    browser = _password_browser(hub)
    present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten")
    return Attempt(browser, "/konto/ausweis/bestaetigen", {}, "/konto/ausweis/bestaetigen")


def eid_unlink(hub: EidHub) -> Attempt:
    browser = _password_browser(hub)
    present_card(hub, browser, "/konto/ausweis/verknuepfen")
    with hub.app.app_context():
        link_id = db.session.scalar(select(EidLink.id))
    return Attempt(browser, f"/konto/ausweis/{link_id}/loesen", {}, "/konto/sicherheit")


SCENARIOS: dict[str, Callable[[EidHub], Attempt]] = {
    "account.eid_register": eid_register,
    "account.eid_confirm_link": eid_confirm_link,
    "account.eid_unlink": eid_unlink,
}


def test_every_eid_form_is_covered_here() -> None:
    assert set(SCENARIOS) == EID_FORMS


def snapshot(hub: EidHub) -> tuple[object, ...]:
    with hub.app.app_context():
        citizens = db.session.scalars(select(Citizen).order_by(Citizen.id)).all()
        accounts = [
            (c.id, c.email, sorted((v.attribute, v.value, v.provenance) for v in c.profile_values))
            for c in citizens
        ]
        links = db.session.scalars(select(EidLink.restricted_id_digest)).all()
        audit = db.session.scalar(select(func.count()).select_from(AuditRecord))
        sessions = [
            (s.id, s.level)
            for c in citizens
            for s in hub.app.extensions["account"].sessions.list_for(c.id)
        ]
    return accounts, sorted(links), audit, sorted(sessions)


@pytest.mark.parametrize("endpoint", list(SCENARIOS))
def test_a_post_without_the_right_token_is_refused_and_changes_nothing(
    hub: EidHub, endpoint: str
) -> None:
    attempt = SCENARIOS[endpoint](hub)
    attempt.browser.get(attempt.form_page)
    before = snapshot(hub)
    stranger = hub.browser("203.0.113.66")
    tokens = {
        "missing": None,
        "forged": "IjEyMzQ1Njc4OTAi.forged.signature",
        "other-session": csrf_token(stranger.get("/registrieren").text),
    }
    for name, value in tokens.items():
        fields = dict(attempt.fields)
        if value is not None:
            fields["csrf_token"] = value
        response = attempt.browser.post(attempt.path, fields)
        assert response.status_code == 400, name
        assert "Das Formular ist abgelaufen" in response.text, name
        assert snapshot(hub) == before, f"{name} token changed something"


@pytest.mark.parametrize("endpoint", list(SCENARIOS))
def test_the_same_post_with_the_right_token_does_change_something(
    hub: EidHub, endpoint: str
) -> None:
    attempt = SCENARIOS[endpoint](hub)
    page = attempt.browser.get(attempt.form_page)
    before = snapshot(hub)
    response = attempt.browser.post(
        attempt.path, {**attempt.fields, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 303
    assert snapshot(hub) != before
