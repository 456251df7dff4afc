"""The password policy as a citizen meets it on the pages, and the rehash on the next login
when the operators raise the Argon2id parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from argon2 import extract_parameters
from flask import Flask

from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.helpers import Citizen, Portal


def stored_hash(portal: Portal, email: str) -> str:
    row = portal.citizen_row(email)
    assert row is not None
    return str(row["password_hash"])


@pytest.mark.parametrize(
    "password",
    [
        "korrektes pferd batterie heftklammer",
        "🐕🐈🦔🦉🐝🐞🦋🐢",
        "  mit Leerzeichen am Rand  ",
        "Ä" + "ö" * 62 + "ß",  # 64 characters
        ("Die Würde des Menschen ist unantastbar. " * 5)[:200],
    ],
    ids=["lowercase-passphrase", "emoji", "spaces", "64-chars", "200-chars"],
)
def test_any_long_enough_password_is_accepted_and_works(portal: Portal, password: str) -> None:
    assert portal.register("anna@example.org", password).status_code == 303
    assert portal.verify_last_link("anna@example.org").status_code == 303
    assert portal.browser.login("anna@example.org", password).status_code == 303


def test_a_long_password_is_never_truncated(portal: Portal) -> None:
    password = ("Die Würde des Menschen ist unantastbar. " * 3)[:99] + "A"
    assert len(password) == 100
    portal.register("anna@example.org", password)
    portal.verify_last_link("anna@example.org")
    assert portal.browser.login("anna@example.org", password[:-1] + "B").status_code == 200
    assert portal.browser.login("anna@example.org", password[:72]).status_code == 200
    assert portal.browser.login("anna@example.org", password).status_code == 303


def test_composed_and_decomposed_umlauts_are_the_same_password(portal: Portal) -> None:
    portal.register("anna@example.org", "Caf\u00e9 am Marktplatz 7")
    portal.verify_last_link("anna@example.org")
    assert portal.browser.login("anna@example.org", "Cafe\u0301 am Marktplatz 7").status_code == 303


def test_fullwidth_characters_are_the_same_password(portal: Portal) -> None:
    portal.register("anna@example.org", "Ｓｃｈｌｏｓｓｐａｒｋ ２０２６")
    portal.verify_last_link("anna@example.org")
    assert portal.browser.login("anna@example.org", "Schlosspark 2026").status_code == 303


@pytest.mark.parametrize("common", ["password1", "PASSWORD1", "Passwort123", "iloveyou"])
def test_common_passwords_are_refused_in_any_case(portal: Portal, common: str) -> None:
    response = portal.register("anna@example.org", common)
    assert response.status_code == 400
    assert "sehr verbreitet" in response.text
    assert portal.citizen_row("anna@example.org") is None


def test_the_page_suggests_twelve_characters_and_allows_all(portal: Portal) -> None:
    page = portal.browser.get("/registrieren")
    assert "Mindestens 8 Zeichen" in page.text
    assert "12 oder mehr" in page.text
    assert "maxlength" not in page.text.split('name="password"')[1].split(">")[0]


# --- rehash when the parameters rise --------------------------------------------------------


@pytest.fixture
def stronger_app(settings: Settings, clock: FrozenClock, store: KeyValueStore) -> Iterator[Flask]:
    """A second hub on the same database after the operators raised ARGON2_TIME_COST."""
    import wsgi

    raised = dataclasses.replace(settings, argon2_time_cost=settings.argon2_time_cost + 1)
    application = wsgi.create_app(raised, clock=clock, store=store)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_hash_is_renewed_at_the_next_login_when_the_parameters_rise(
    portal: Portal, erika: Citizen, stronger_app: Flask, clock: FrozenClock
) -> None:
    old = stored_hash(portal, erika.email)
    assert extract_parameters(old).time_cost == 2
    upgraded = Portal(stronger_app, clock)
    assert upgraded.browser.login(erika.email, erika.password).status_code == 303
    new = stored_hash(portal, erika.email)
    assert new != old
    assert extract_parameters(new).time_cost == 3
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert events.count("password.rehashed") == 1
    upgraded.browser.logout()
    assert upgraded.browser.login(erika.email, erika.password).status_code == 303
    assert stored_hash(portal, erika.email) == new, "no second rehash"


def test_a_failed_login_never_rehashes(
    portal: Portal, erika: Citizen, stronger_app: Flask, clock: FrozenClock
) -> None:
    old = stored_hash(portal, erika.email)
    Portal(stronger_app, clock).browser.login(erika.email, "Ein falsches langes Passwort")
    assert stored_hash(portal, erika.email) == old


def test_a_hub_with_the_old_parameters_does_not_weaken_a_renewed_hash(
    portal: Portal, erika: Citizen, stronger_app: Flask, clock: FrozenClock
) -> None:
    """During a rolling upgrade old and new workers run side by side: no flip-flopping."""
    Portal(stronger_app, clock).browser.login(erika.email, erika.password)
    renewed = stored_hash(portal, erika.email)
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    assert stored_hash(portal, erika.email) == renewed
