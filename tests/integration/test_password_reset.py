"""Forgotten password (one-time, short-lived link; dies with any password change; ends every
session) and password change (needs the current password; ends the other sessions)."""

from __future__ import annotations

from flask import Flask

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal, without_csrf

NEW = "Ein ganz neuer langer Satz"
MINUTE = 60


def request_reset(portal: Portal, email: str, browser: Browser | None = None) -> str:
    """Ask for a link; the path of the link mailed (the caller knows the address exists)."""
    response = (browser or portal.browser).submit("/passwort-vergessen", email=email)
    assert response.status_code == 200
    path = portal.link_path(portal.last_mail_to(email))
    assert path.startswith("/passwort-neu/")
    return path


def set_password(browser: Browser, path: str, password: str, repeat: str | None = None) -> int:
    response = browser.submit(path, password=password, password_repeat=repeat or password)
    return response.status_code


def change_password(browser: Browser, current: str, new: str, repeat: str | None = None) -> int:
    return browser.submit(
        "/konto/passwort", current=current, password=new, password_repeat=repeat or new
    ).status_code


def password_hash(portal: Portal, email: str) -> str:
    row = portal.citizen_row(email)
    assert row is not None
    return str(row["password_hash"])


# --- reset ----------------------------------------------------------------------------------


def test_a_citizen_resets_a_forgotten_password(portal: Portal, erika: Citizen) -> None:
    path = request_reset(portal, erika.email)
    mail = portal.last_mail_to(erika.email)
    assert "30 Minuten" in mail.body
    assert "http://portal.test/passwort-neu/" in mail.body
    assert set_password(portal.browser, path, NEW) == 303
    assert portal.browser.login(erika.email, erika.password).status_code == 200
    assert portal.browser.login(erika.email, NEW).status_code == 303
    assert "geändert" in portal.last_mail_to(erika.email).subject
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "password.reset_requested" in events and "password.reset_completed" in events


def test_an_unknown_address_gets_the_same_page_and_no_mail(portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser("203.0.113.5")
    known = browser.submit("/passwort-vergessen", email=erika.email)
    unknown = browser.submit("/passwort-vergessen", email="nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.text) == without_csrf(unknown.text)
    assert portal.mails_to("nobody@example.org") == []


def test_asking_repeatedly_sends_one_mail_a_minute(portal: Portal, erika: Citizen) -> None:
    before = len(portal.mails_to(erika.email))
    for _ in range(4):
        portal.browser.submit("/passwort-vergessen", email=erika.email)
    assert len(portal.mails_to(erika.email)) == before + 1


def test_an_invalid_address_is_refused_with_a_message(portal: Portal) -> None:
    response = portal.browser.submit("/passwort-vergessen", email="not-an-address")
    assert response.status_code == 400
    assert "gültige E-Mail-Adresse" in response.text


def test_opening_the_link_does_not_use_it(portal: Portal, erika: Citizen) -> None:
    path = request_reset(portal, erika.email)
    scanner = portal.new_browser("198.51.100.99")
    for _ in range(3):
        assert scanner.get(path).status_code == 200
    assert set_password(portal.browser, path, NEW) == 303


def test_the_link_works_once(portal: Portal, erika: Citizen) -> None:
    path = request_reset(portal, erika.email)
    assert set_password(portal.browser, path, NEW) == 303
    assert portal.browser.get(path).status_code == 410
    other = portal.new_browser("203.0.113.5")
    replay = other.submit(
        path,
        form_page="/passwort-vergessen",
        password="Noch ein anderer Satz",
        password_repeat="Noch ein anderer Satz",
    )
    assert replay.status_code == 410
    assert portal.browser.login(erika.email, NEW).status_code == 303


def test_the_link_is_short_lived(
    portal: Portal, erika: Citizen, clock: FrozenClock, app: Flask
) -> None:
    path = request_reset(portal, erika.email)
    clock.advance(app.extensions["settings"].password_reset_ttl - MINUTE)
    assert portal.browser.get(path).status_code == 200
    clock.advance(2 * MINUTE)
    page = portal.browser.get(path)
    assert page.status_code == 410
    assert "nicht mehr gültig" in page.text
    assert portal.browser.login(erika.email, erika.password).status_code == 303


def test_a_link_from_before_a_password_change_is_dead(portal: Portal, erika: Citizen) -> None:
    path = request_reset(portal, erika.email, portal.new_browser("203.0.113.5"))
    portal.browser.login(erika.email, erika.password)
    assert change_password(portal.browser, erika.password, NEW) == 303
    attacker = portal.new_browser("203.0.113.66")
    assert attacker.get(path).status_code == 410
    portal.browser.logout()
    assert portal.browser.login(erika.email, NEW).status_code == 303


def test_a_reset_ends_every_session(portal: Portal, erika: Citizen) -> None:
    laptop = portal.new_browser("192.0.2.10")
    assert laptop.login(erika.email, erika.password).status_code == 303
    phone = portal.new_browser("192.0.2.11")
    assert phone.login(erika.email, erika.password).status_code == 303
    path = request_reset(portal, erika.email, portal.new_browser("192.0.2.12"))
    assert set_password(portal.new_browser("192.0.2.12"), path, NEW) == 303
    assert not portal.is_logged_in(laptop)
    assert not portal.is_logged_in(phone)
    assert portal.sso_ids(portal.citizen_id(erika.email) or "") == set()


def test_a_weak_new_password_is_refused_and_the_link_stays_usable(
    portal: Portal, erika: Citizen
) -> None:
    path = request_reset(portal, erika.email)
    response = portal.browser.submit(path, password="password1", password_repeat="password1")
    assert response.status_code == 400
    assert "sehr verbreitet" in response.text
    short = portal.browser.submit(path, password="kurz", password_repeat="kurz")
    assert short.status_code == 400
    mismatch = portal.browser.submit(path, password=NEW, password_repeat=NEW + "!")
    assert mismatch.status_code == 400
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    assert set_password(portal.new_browser("198.51.100.3"), path, NEW) == 303


def test_a_reset_also_confirms_an_unverified_address(portal: Portal) -> None:
    portal.register("anna@example.org", "Ein langer Satz als Passwort")
    path = request_reset(portal, "anna@example.org")
    assert set_password(portal.browser, path, NEW) == 303
    assert portal.browser.login("anna@example.org", NEW).status_code == 303


def test_a_forged_reset_link_is_refused(portal: Portal) -> None:
    assert portal.browser.get("/passwort-neu/" + "z" * 43).status_code == 410


# --- change ---------------------------------------------------------------------------------


def test_a_citizen_changes_the_password_with_the_current_one(
    portal: Portal, erika: Citizen
) -> None:
    portal.browser.login(erika.email, erika.password)
    before = portal.browser.cookie("bp_session")
    response = portal.browser.submit(
        "/konto/passwort", current=erika.password, password=NEW, password_repeat=NEW
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/konto/sicherheit"
    assert portal.is_logged_in()
    assert portal.browser.cookie("bp_session") != before, "a new session id after the change"
    other = portal.new_browser("198.51.100.8")
    assert other.login(erika.email, erika.password).status_code == 200
    assert other.login(erika.email, NEW).status_code == 303
    assert "geändert" in portal.last_mail_to(erika.email).subject
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "password.changed" in events


def test_a_wrong_current_password_changes_nothing(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    phone = portal.new_browser("192.0.2.11")
    phone.login(erika.email, erika.password)
    stored = password_hash(portal, erika.email)
    response = portal.browser.submit(
        "/konto/passwort", current="Ein falsches langes Passwort", password=NEW, password_repeat=NEW
    )
    assert response.status_code == 400
    assert "aktuelle Passwort ist nicht richtig" in response.text
    assert password_hash(portal, erika.email) == stored
    assert portal.is_logged_in(phone)


def test_a_weak_new_password_is_refused_on_change(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    stored = password_hash(portal, erika.email)
    assert change_password(portal.browser, erika.password, "iloveyou") == 400
    assert change_password(portal.browser, erika.password, "kurz") == 400
    assert change_password(portal.browser, erika.password, NEW, NEW + "x") == 400
    assert change_password(portal.browser, erika.password, erika.email) == 400
    assert password_hash(portal, erika.email) == stored


def test_a_change_ends_the_other_sessions_but_not_this_one(portal: Portal, erika: Citizen) -> None:
    laptop = portal.new_browser("192.0.2.10")
    laptop.login(erika.email, erika.password)
    phone = portal.new_browser("192.0.2.11")
    phone.login(erika.email, erika.password)
    assert change_password(laptop, erika.password, NEW) == 303
    assert portal.is_logged_in(laptop)
    assert not portal.is_logged_in(phone)
    assert len(portal.sso_ids(portal.citizen_id(erika.email) or "")) == 1


def test_changing_the_password_needs_a_login(portal: Portal) -> None:
    response = portal.browser.get("/konto/passwort")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/anmelden")
