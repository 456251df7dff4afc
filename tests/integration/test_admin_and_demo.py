"""Demo data for development, roles granted by operators, and the administration area that
needs the admin role and a recent login."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from account.demo import DEMO_ADMIN, DEMO_CITIZEN
from core.clock import FrozenClock
from tests.helpers import Citizen, Portal

README = Path(__file__).resolve().parents[2] / "README.md"
MINUTE = 60


def run_cli(app: Flask, *args: str) -> tuple[int, str]:
    """``flask --app wsgi …`` (the flask command pushes an app context for the app's commands)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_the_demo_accounts_can_log_in_with_the_credentials_in_the_readme(
    app: Flask, portal: Portal
) -> None:
    code, output = run_cli(app, "accounts", "demo-data")
    assert code == 0
    assert DEMO_CITIZEN[0] in output and DEMO_ADMIN[0] in output
    readme = README.read_text(encoding="utf-8")
    for email, password in (DEMO_CITIZEN, DEMO_ADMIN):
        assert email in readme and password in readme
        browser = portal.new_browser()
        assert browser.login(email, password).status_code == 303


def test_demo_data_are_created_once(app: Flask) -> None:
    run_cli(app, "accounts", "demo-data")
    code, output = run_cli(app, "accounts", "demo-data")
    assert code == 0
    assert "none (already there)" in output


def test_the_demo_citizen_has_a_self_asserted_profile(app: Flask, portal: Portal) -> None:
    run_cli(app, "accounts", "demo-data")
    portal.browser.login(*DEMO_CITIZEN)
    page = portal.browser.get("/konto/profil")
    assert "Mustermann" in page.text and "(selbst angegeben)" in page.text


def test_an_operator_grants_a_clerk_role(app: Flask, portal: Portal, erika: Citizen) -> None:
    code, output = run_cli(app, "accounts", "grant", erika.email, "clerk:hundesteuer")
    assert code == 0 and "granted" in output
    row_events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "role.granted" in row_events
    code, output = run_cli(app, "accounts", "grant", erika.email, "clerk:hundesteuer")
    assert code == 0 and "already granted" in output


def test_granting_refuses_unknown_roles_and_accounts(
    app: Flask, portal: Portal, erika: Citizen
) -> None:
    code, output = run_cli(app, "accounts", "grant", erika.email, "superuser")
    assert code != 0 and "role must be" in output
    code, output = run_cli(app, "accounts", "grant", "nobody@example.org", "admin")
    assert code != 0 and "no account" in output
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert "role.granted" not in events


def test_the_administration_needs_a_login(portal: Portal) -> None:
    response = portal.browser.get("/verwaltung")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/anmelden?next=%2Fverwaltung")


def test_a_citizen_without_the_role_is_refused(portal: Portal, erika: Citizen) -> None:
    portal.browser.login(erika.email, erika.password)
    response = portal.browser.get("/verwaltung")
    assert response.status_code == 403
    assert "Zugriff verweigert" in response.text
    assert "Verwaltung</a>" not in portal.browser.get("/konto/profil").text


def test_an_admin_with_a_recent_login_gets_in(app: Flask, portal: Portal) -> None:
    run_cli(app, "accounts", "demo-data")
    portal.browser.login(*DEMO_ADMIN)
    assert portal.browser.get("/verwaltung").status_code == 200
    assert "Verwaltung</a>" in portal.browser.get("/konto/profil").text


def test_an_admin_must_log_in_again_after_15_minutes(
    app: Flask, portal: Portal, clock: FrozenClock
) -> None:
    run_cli(app, "accounts", "demo-data")
    portal.browser.login(*DEMO_ADMIN)
    clock.advance(16 * MINUTE)
    assert portal.is_logged_in(), "still logged in as a citizen"
    response = portal.browser.get("/verwaltung")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "erneut=1" in location
    page = portal.browser.get(location)
    assert page.status_code == 200, "the login form is shown although a session exists"
    assert "erneut an" in page.text
    again = portal.browser.submit(location, email=DEMO_ADMIN[0], password=DEMO_ADMIN[1])
    assert again.status_code == 303
    assert again.headers["Location"] == "/verwaltung"
    assert portal.browser.get("/verwaltung").status_code == 200
