"""CSRF on every form: a POST without the token, with a forged one, or with one from another
browser's session is answered 400 and changes nothing. The same POST with the right token
does change something — so "nothing changed" is measured by a check that can see a change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from account.models import Citizen as CitizenRow
from core.audit import AuditRecord
from core.db import db
from tests.helpers import Browser, Citizen, Portal, csrf_token

NEW = "Ein ganz neuer langer Satz"


@dataclass
class Attempt:
    browser: Browser
    path: str
    fields: dict[str, str]
    form_page: str


Scenario = Callable[[Portal, Citizen], Attempt]


def _logged_in(portal: Portal, erika: Citizen, device: str = "Laptop") -> Browser:
    browser = portal.new_browser("192.0.2.10", user_agent=device)
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser


def _anonymous(portal: Portal) -> Browser:
    browser = portal.new_browser("192.0.2.20")
    browser.get("/")
    return browser


def _unverified_link(portal: Portal) -> str:
    portal.register("anna@example.org", "Ein langer Satz als Passwort", portal.new_browser())
    return portal.link_path(portal.last_mail_to("anna@example.org"))


def register(portal: Portal, erika: Citizen) -> Attempt:
    fields = {"email": "new@example.org", "password": NEW, "password_repeat": NEW}
    return Attempt(_anonymous(portal), "/registrieren", fields, "/registrieren")


def verify_email(portal: Portal, erika: Citizen) -> Attempt:
    path = _unverified_link(portal)
    return Attempt(_anonymous(portal), path, {}, path)


def resend_verification(portal: Portal, erika: Citizen) -> Attempt:
    _unverified_link(portal)
    fields = {"email": "anna@example.org"}
    return Attempt(_anonymous(portal), "/bestaetigung-erneut", fields, "/bestaetigung-erneut")


def login(portal: Portal, erika: Citizen) -> Attempt:
    fields = {"email": erika.email, "password": erika.password}
    return Attempt(_anonymous(portal), "/anmelden", fields, "/anmelden")


def logout(portal: Portal, erika: Citizen) -> Attempt:
    return Attempt(_logged_in(portal, erika), "/abmelden", {}, "/")


def forgot_password(portal: Portal, erika: Citizen) -> Attempt:
    fields = {"email": erika.email}
    return Attempt(_anonymous(portal), "/passwort-vergessen", fields, "/passwort-vergessen")


def reset_password(portal: Portal, erika: Citizen) -> Attempt:
    portal.new_browser().submit("/passwort-vergessen", email=erika.email)
    path = portal.link_path(portal.last_mail_to(erika.email))
    return Attempt(_anonymous(portal), path, {"password": NEW, "password_repeat": NEW}, path)


def edit_profile(portal: Portal, erika: Citizen) -> Attempt:
    path = "/konto/profil/bearbeiten"
    return Attempt(_logged_in(portal, erika), path, {"given_names": "Erika"}, path)


def end_session(portal: Portal, erika: Citizen) -> Attempt:
    _logged_in(portal, erika, device="Phone")
    browser = _logged_in(portal, erika)
    citizen_id = portal.citizen_id(erika.email)
    assert citizen_id is not None
    with portal.app.app_context():
        listed = portal.app.extensions["account"].sessions.list_for(citizen_id)
    phone = next(s.id for s in listed if s.user_agent == "Phone")
    return Attempt(browser, f"/konto/sitzungen/{phone}/beenden", {}, "/konto/sicherheit")


def end_other_sessions(portal: Portal, erika: Citizen) -> Attempt:
    _logged_in(portal, erika)
    browser = _logged_in(portal, erika)
    return Attempt(browser, "/konto/sitzungen/andere-beenden", {}, "/konto/sicherheit")


def change_password(portal: Portal, erika: Citizen) -> Attempt:
    _logged_in(portal, erika)
    fields = {"current": erika.password, "password": NEW, "password_repeat": NEW}
    return Attempt(_logged_in(portal, erika), "/konto/passwort", fields, "/konto/passwort")


def change_email(portal: Portal, erika: Citizen) -> Attempt:
    fields = {"email": "erika.neu@example.org", "password": erika.password}
    return Attempt(_logged_in(portal, erika), "/konto/email", fields, "/konto/email")


def confirm_email_change(portal: Portal, erika: Citizen) -> Attempt:
    browser = _logged_in(portal, erika)
    browser.submit("/konto/email", email="erika.neu@example.org", password=erika.password)
    path = portal.link_path(portal.last_mail_to("erika.neu@example.org"))
    return Attempt(browser, path, {}, path)


def export(portal: Portal, erika: Citizen) -> Attempt:
    return Attempt(_logged_in(portal, erika), "/konto/daten", {}, "/konto/daten")


def delete_account(portal: Portal, erika: Citizen) -> Attempt:
    fields = {"password": erika.password, "confirm": "y"}
    return Attempt(_logged_in(portal, erika), "/konto/loeschen", fields, "/konto/loeschen")


SCENARIOS: dict[str, Scenario] = {
    "account.register": register,
    "account.verify_email": verify_email,
    "account.resend_verification": resend_verification,
    "account.login": login,
    "account.logout": logout,
    "account.forgot_password": forgot_password,
    "account.reset_password": reset_password,
    "account.edit_profile": edit_profile,
    "account.end_session": end_session,
    "account.end_other_sessions": end_other_sessions,
    "account.change_password": change_password,
    "account.change_email": change_email,
    "account.confirm_email_change": confirm_email_change,
    "account.export": export,
    "account.delete_account": delete_account,
}


def snapshot(portal: Portal) -> tuple[object, ...]:
    """Everything a form could change: accounts, profiles, audit trail, mails, SSO sessions."""
    with portal.app.app_context():
        citizens = db.session.scalars(select(CitizenRow).order_by(CitizenRow.id)).all()
        accounts = [
            (
                c.id,
                c.email,
                c.email_verified_at,
                c.password_hash,
                c.credential_version,
                sorted((v.attribute, v.value, v.provenance) for v in c.profile_values),
            )
            for c in citizens
        ]
        audit = db.session.scalar(select(func.count()).select_from(AuditRecord))
        ids = [c.id for c in citizens]
    sessions = {cid: portal.sso_ids(cid) for cid in ids}
    return accounts, audit, len(portal.mailer.messages()), sessions


def foreign_token(portal: Portal) -> str:
    stranger = portal.new_browser("203.0.113.66")
    return csrf_token(stranger.get("/registrieren").text)


TOKENS: dict[str, Callable[[Portal], str | None]] = {
    "missing": lambda portal: None,
    "forged": lambda portal: "IjEyMzQ1Njc4OTAi.forged.signature",
    "other-session": foreign_token,
}


#: The Online-Ausweis forms need a card reading first: tests/flows/test_eid_csrf.py.
EID_FORMS = frozenset({"account.eid_register", "account.eid_confirm_link", "account.eid_unlink"})

#: The second factor's forms. Their preconditions (a waiting login, an enrolled app, a fresh
#: card login) are arranged by their own tests, which post them with the right token and see
#: the change (tests/integration/test_totp*.py, tests/flows/test_totp_*.py); here every wrong
#: token is refused before any of that is looked at.
TOTP_FORMS = {
    "account.login_code": "/anmelden/code",
    "account.totp_step_up": "/anmelden/code/bestaetigen",
    "account.totp_enrol": "/konto/sicherheit/app",
    "account.totp_disable": "/konto/sicherheit/app/ausschalten",
    "account.totp_renew_codes": "/konto/sicherheit/app/wiederherstellungscodes",
    "account.totp_disable_card": "/konto/sicherheit/app/ausschalten/ausweis",
}


def test_every_account_form_is_covered_here(app: Flask) -> None:
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("account.") and "POST" in (rule.methods or set())
    }
    assert posts == set(SCENARIOS) | EID_FORMS | set(TOTP_FORMS)


@pytest.mark.parametrize("endpoint", list(TOTP_FORMS))
def test_the_second_factors_forms_refuse_a_post_without_the_right_token(
    portal: Portal, erika: Citizen, endpoint: str
) -> None:
    browser = _logged_in(portal, erika)
    before = snapshot(portal)
    for name, make_token in TOKENS.items():
        value = make_token(portal)
        fields = {"code": "123456"} | ({"csrf_token": value} if value is not None else {})
        response = browser.post(TOTP_FORMS[endpoint], fields)
        assert response.status_code == 400, name
        assert "Das Formular ist abgelaufen" in response.text, name
        assert snapshot(portal) == before, f"{name} token changed something"


@pytest.mark.parametrize("endpoint", list(SCENARIOS))
def test_a_post_without_the_right_token_is_refused_and_changes_nothing(
    portal: Portal, erika: Citizen, endpoint: str
) -> None:
    attempt = SCENARIOS[endpoint](portal, erika)
    attempt.browser.get(attempt.form_page)
    before = snapshot(portal)
    for name, make_token in TOKENS.items():
        fields = dict(attempt.fields)
        value = make_token(portal)
        if value is not None:
            fields["csrf_token"] = value
        response = attempt.browser.post(attempt.path, fields)
        assert response.status_code == 400, name
        assert "Das Formular ist abgelaufen" in response.text, name
        assert response.headers.get("X-Error-Id"), name
        assert snapshot(portal) == before, f"{name} token changed something"


@pytest.mark.parametrize("endpoint", list(SCENARIOS))
def test_the_same_post_with_the_right_token_does_change_something(
    portal: Portal, erika: Citizen, endpoint: str
) -> None:
    attempt = SCENARIOS[endpoint](portal, erika)
    page = attempt.browser.get(attempt.form_page)
    before = snapshot(portal)
    fields = {**attempt.fields, "csrf_token": csrf_token(page.text)}
    response = attempt.browser.post(attempt.path, fields)
    assert response.status_code in {200, 303}
    assert snapshot(portal) != before
