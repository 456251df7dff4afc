"""Changing the e-mail address: password re-entered, link to the new address, one-time use;
the old address stays valid until the link is used."""

from __future__ import annotations

import pytest
from flask import Flask

from core.clock import FrozenClock
from tests.helpers import Citizen, Portal

NEW_ADDRESS = "erika.neu@example.org"


@pytest.fixture
def logged_in(portal: Portal, erika: Citizen) -> Citizen:
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    return erika


def ask_for_change(portal: Portal, citizen: Citizen, new: str = NEW_ADDRESS) -> int:
    return portal.browser.submit("/konto/email", email=new, password=citizen.password).status_code


def test_a_citizen_moves_to_a_new_address(portal: Portal, logged_in: Citizen) -> None:
    assert ask_for_change(portal, logged_in) == 303
    mail = portal.last_mail_to(NEW_ADDRESS)
    path = portal.link_path(mail)
    assert path.startswith("/email-bestaetigen/")
    assert portal.citizen_row(logged_in.email) is not None, "old address valid until confirmed"
    assert portal.browser.get(path).status_code == 200, "opening does not use the link"
    assert portal.browser.submit(path).status_code == 303
    assert portal.citizen_row(logged_in.email) is None
    assert portal.citizen_row(NEW_ADDRESS) is not None
    assert NEW_ADDRESS in portal.browser.get("/konto/profil").text
    portal.browser.logout()
    assert portal.browser.login(logged_in.email, logged_in.password).status_code == 200
    assert portal.browser.login(NEW_ADDRESS, logged_in.password).status_code == 303
    events = [r.event for r in portal.audit_events(portal.citizen_id(NEW_ADDRESS))]
    assert "email.change_requested" in events and "email.changed" in events


def test_the_change_needs_the_current_password(portal: Portal, logged_in: Citizen) -> None:
    response = portal.browser.submit(
        "/konto/email", email=NEW_ADDRESS, password="Ein falsches langes Passwort"
    )
    assert response.status_code == 400
    assert "aktuelle Passwort ist nicht richtig" in response.text
    assert portal.mails_to(NEW_ADDRESS) == []


def test_the_new_address_must_be_an_address(portal: Portal, logged_in: Citizen) -> None:
    before = len(portal.mailer.messages())
    assert ask_for_change(portal, logged_in, "kaputt@") == 400
    assert len(portal.mailer.messages()) == before


def test_a_taken_address_gets_the_same_answer_but_no_link(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    before = len(portal.mails_to("max@example.org"))
    assert ask_for_change(portal, logged_in, "max@example.org") == 303
    assert len(portal.mails_to("max@example.org")) == before
    row = portal.citizen_row(logged_in.email)
    assert row is not None


def test_the_link_works_once(portal: Portal, logged_in: Citizen) -> None:
    ask_for_change(portal, logged_in)
    path = portal.link_path(portal.last_mail_to(NEW_ADDRESS))
    assert portal.browser.submit(path).status_code == 303
    assert portal.browser.get(path).status_code == 410
    replay = portal.browser.submit(path, form_page="/konto/profil")
    assert replay.status_code == 410


def test_an_expired_link_changes_nothing(
    portal: Portal, logged_in: Citizen, clock: FrozenClock, app: Flask
) -> None:
    ask_for_change(portal, logged_in)
    path = portal.link_path(portal.last_mail_to(NEW_ADDRESS))
    clock.advance(app.extensions["settings"].email_verification_ttl + 1)
    assert portal.browser.get(path).status_code == 410
    assert portal.browser.submit(path, form_page="/anmelden").status_code == 410
    assert portal.citizen_row(logged_in.email) is not None


def test_an_address_taken_in_the_meantime_is_not_stolen(portal: Portal, logged_in: Citizen) -> None:
    ask_for_change(portal, logged_in)
    path = portal.link_path(portal.last_mail_to(NEW_ADDRESS))
    portal.registered_citizen(NEW_ADDRESS, "Noch ein langer Satz als Passwort")
    assert portal.browser.submit(path).status_code == 410
    assert portal.citizen_row(logged_in.email) is not None


def test_changing_the_address_needs_a_login(portal: Portal) -> None:
    assert portal.browser.get("/konto/email").status_code == 303


def test_a_reset_link_mailed_to_the_old_address_dies_with_the_move(
    portal: Portal, logged_in: Citizen
) -> None:
    """Whoever still reads the old mailbox cannot take the account over after the move."""
    portal.new_browser("203.0.113.5").submit("/passwort-vergessen", email=logged_in.email)
    reset = portal.link_path(portal.last_mail_to(logged_in.email))
    assert portal.new_browser("203.0.113.5").get(reset).status_code == 200
    ask_for_change(portal, logged_in)
    assert (
        portal.browser.submit(portal.link_path(portal.last_mail_to(NEW_ADDRESS))).status_code == 303
    )
    assert portal.new_browser("203.0.113.5").get(reset).status_code == 410
