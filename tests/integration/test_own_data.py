"""The citizen's own data: the activity log, the JSON export (Art. 15/20 GDPR) and the
deletion of the account (Art. 17 GDPR; docs/DATA.md)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from account.models import CitizenRole, ProfileValue, citizen_by_email
from core.audit import AuditRecord
from core.clock import to_datetime
from core.db import db
from tests.helpers import Browser, Citizen, Portal

WRONG = "Ein falsches langes Passwort"


@pytest.fixture
def logged_in(portal: Portal, erika: Citizen) -> Citizen:
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    return erika


def export(browser: Browser) -> dict[str, object]:
    response = browser.submit("/konto/daten")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data: dict[str, object] = json.loads(response.text)
    return data


def count_rows(
    portal: Portal, model: type[ProfileValue] | type[CitizenRole], citizen_id: str
) -> int:
    with portal.app.app_context():
        query = select(func.count()).select_from(model).where(model.citizen_id == citizen_id)
        return int(db.session.scalar(query) or 0)


def give_eid_value_and_role(portal: Portal, email: str) -> None:
    with portal.app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        db.session.add(
            ProfileValue(
                citizen_id=citizen.id,
                attribute="family_names",
                value="Mustermann",
                provenance="eid",
                verified_on=date(2026, 11, 30),
                updated_at=to_datetime(portal.clock.now()),
            )
        )
        db.session.add(CitizenRole(citizen_id=citizen.id, role="clerk:hundesteuer"))
        db.session.commit()


# --- activity -------------------------------------------------------------------------------


def test_the_activity_log_shows_logins_failures_and_profile_changes(
    portal: Portal, erika: Citizen
) -> None:
    portal.new_browser("203.0.113.66").login(erika.email, WRONG)
    portal.browser.login(erika.email, erika.password)
    portal.browser.submit("/konto/profil/bearbeiten", given_names="Erika")
    page = portal.browser.get("/konto/aktivitaet")
    assert page.status_code == 200
    for label in ["Anmeldung mit Passwort", "Fehlgeschlagene Anmeldung", "Profil geändert"]:
        assert label in page.text
    assert "203.0.113.66" in page.text, "the citizen can spot a stranger's address"
    newest_first = page.text.index("Profil geändert") < page.text.index("Anmeldung mit Passwort")
    assert newest_first
    assert page.text.index("Anmeldung mit Passwort") < page.text.index("Fehlgeschlagene")


def test_the_activity_log_shows_only_the_citizens_own_events(
    portal: Portal, erika: Citizen
) -> None:
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    portal.new_browser("203.0.113.99").login(max_.email, WRONG)
    portal.browser.login(erika.email, erika.password)
    page = portal.browser.get("/konto/aktivitaet")
    assert "203.0.113.99" not in page.text
    assert "Fehlgeschlagene Anmeldung" not in page.text


def test_the_activity_log_needs_a_login(portal: Portal) -> None:
    assert portal.browser.get("/konto/aktivitaet").status_code == 303


# --- export ---------------------------------------------------------------------------------


def test_the_export_holds_account_profile_sessions_and_activity(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.browser.submit("/konto/profil/bearbeiten", given_names="Erika", locality="Köln")
    give_eid_value_and_role(portal, logged_in.email)
    assert "herunterladen" in portal.browser.get("/konto/daten").text
    data = export(portal.browser)
    assert data["format"] == "buergerportal-export/1"
    account = data["account"]
    assert isinstance(account, dict)
    assert account["email"] == logged_in.email
    assert account["email_verified_at"] is not None
    assert account["has_password"] is True
    assert account["roles"] == ["clerk:hundesteuer"]
    assert data["profile"] == {
        "given_names": {"value": "Erika", "provenance": "self", "verified_on": None},
        "locality": {"value": "Köln", "provenance": "self", "verified_on": None},
        "family_names": {"value": "Mustermann", "provenance": "eid", "verified_on": "2026-11-30"},
        "email": {"value": logged_in.email, "provenance": "self", "verified_on": None},
    }
    sessions = data["sessions"]
    assert isinstance(sessions, list) and len(sessions) == 1
    assert sessions[0]["methods"] == ["pwd"] and sessions[0]["level"] == "low"
    activity = data["activity"]
    assert isinstance(activity, list)
    events = {a["event"] for a in activity}
    assert {"account.registered", "account.email_verified", "login.password.succeeded"} <= events


def test_the_export_holds_no_secrets(portal: Portal, logged_in: Citizen) -> None:
    response = portal.browser.submit("/konto/daten")
    row = portal.citizen_row(logged_in.email)
    assert row is not None
    assert "argon2" not in response.text
    assert row["password_hash"] not in response.text
    assert logged_in.password not in response.text
    for sid in portal.sso_ids(row["id"]):
        assert sid not in response.text, "a session id is a bearer secret"
    session_cookie = portal.browser.cookie("bp_session")
    assert session_cookie and session_cookie not in response.text


def test_the_export_is_recorded_and_not_cached(portal: Portal, logged_in: Citizen) -> None:
    response = portal.browser.submit("/konto/daten")
    assert response.headers["Cache-Control"] == "no-store"
    events = [r.event for r in portal.audit_events(portal.citizen_id(logged_in.email))]
    assert "account.exported" in events


def test_the_export_is_a_post_with_a_form(portal: Portal, logged_in: Citizen) -> None:
    page = portal.browser.get("/konto/daten")
    assert page.mimetype == "text/html"
    assert 'name="csrf_token"' in page.text


# --- deletion -------------------------------------------------------------------------------


def delete(browser: Browser, password: str, confirm: bool = True) -> int:
    fields = {"password": password}
    if confirm:
        fields["confirm"] = "y"
    return browser.submit("/konto/loeschen", **fields).status_code


def test_a_wrong_password_deletes_nothing(portal: Portal, logged_in: Citizen) -> None:
    portal.browser.submit("/konto/profil/bearbeiten", given_names="Erika")
    before = portal.citizen_row(logged_in.email)
    response = portal.browser.submit("/konto/loeschen", password=WRONG, confirm="y")
    assert response.status_code == 400
    assert "aktuelle Passwort ist nicht richtig" in response.text
    assert portal.citizen_row(logged_in.email) == before
    assert portal.is_logged_in()


def test_without_the_confirmation_box_nothing_is_deleted(
    portal: Portal, logged_in: Citizen
) -> None:
    response = portal.browser.submit("/konto/loeschen", password=logged_in.password)
    assert response.status_code == 400
    assert "bestätigen Sie die Löschung" in response.text
    assert portal.citizen_row(logged_in.email) is not None


def test_deletion_removes_the_personal_data_and_keeps_an_anonymous_audit_trail(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.browser.submit("/konto/profil/bearbeiten", given_names="Erika", locality="Köln")
    give_eid_value_and_role(portal, logged_in.email)
    phone = portal.new_browser("192.0.2.11")
    phone.login(logged_in.email, logged_in.password)
    citizen_id = portal.citizen_id(logged_in.email)
    assert citizen_id is not None
    assert count_rows(portal, ProfileValue, citizen_id) == 3
    audit_before = len(portal.audit_events(citizen_id))

    response = portal.browser.submit("/konto/loeschen", password=logged_in.password, confirm="y")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "gelöscht" in portal.browser.get("/").text

    assert portal.citizen_row(logged_in.email) is None
    assert count_rows(portal, ProfileValue, citizen_id) == 0
    assert count_rows(portal, CitizenRole, citizen_id) == 0
    assert portal.sso_ids(citizen_id) == set()
    assert not portal.is_logged_in()
    assert not portal.is_logged_in(phone)

    records = portal.audit_events(citizen_id)
    assert len(records) == audit_before + 1
    assert records[-1].event == "account.deleted"
    assert all(r.client_address is None for r in records), "addresses are erased"
    assert "gelöscht" in portal.last_mail_to(logged_in.email).subject


def test_other_citizens_audit_records_keep_their_addresses(
    portal: Portal, logged_in: Citizen
) -> None:
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    portal.new_browser("203.0.113.9").login(max_.email, max_.password)
    delete(portal.browser, logged_in.password)
    max_records = portal.audit_events(portal.citizen_id(max_.email))
    assert any(r.client_address == "203.0.113.9" for r in max_records)


def test_a_deleted_account_cannot_log_in_and_the_address_is_free_again(
    portal: Portal, logged_in: Citizen
) -> None:
    assert delete(portal.browser, logged_in.password) == 303
    assert portal.browser.login(logged_in.email, logged_in.password).status_code == 200
    assert portal.register(logged_in.email, "Ein neuer Anfang mit Satz").status_code == 303
    assert portal.verify_last_link(logged_in.email).status_code == 303


def test_no_audit_record_of_the_deleted_account_leads_back_to_the_person(
    portal: Portal, logged_in: Citizen
) -> None:
    portal.browser.submit("/konto/profil/bearbeiten", locality="Köln")
    citizen_id = portal.citizen_id(logged_in.email)
    delete(portal.browser, logged_in.password)
    with portal.app.app_context():
        records = db.session.scalars(
            select(AuditRecord).where(AuditRecord.citizen_id == citizen_id)
        ).all()
        text = " ".join(f"{r.details} {r.client_address} {r.actor_id}" for r in records)
    assert logged_in.email not in text
    assert "Köln" not in text


def test_deletion_needs_a_login(portal: Portal) -> None:
    assert portal.browser.get("/konto/loeschen").status_code == 303
