"""The second factor in a real browser: switching it on (QR code, secret, recovery codes), the
code after the password without JavaScript, axe-core on every page of it. The app is pyotp,
reading the otpauth:// URI from the page; the hub runs on the real clock here, so the login
uses the app's next code (one time step ahead is accepted, RFC 6238 §5.2)."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.flows.conftest import AccessibilityAudit, LivePortal, PageFactory
from tests.helpers import Citizen

pytestmark = pytest.mark.browser

PASSWORD = "Ein Fahrrad steht im Hof"


def test_citizen_switches_on_the_app_and_logs_in_with_the_code_without_javascript(
    new_page: PageFactory, live_portal: LivePortal, a11y: AccessibilityAudit
) -> None:
    citizen = live_portal.verified_citizen("zwei.schritte@example.org", PASSWORD)
    page = new_page()
    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(citizen.email)
    page.get_by_label("Passwort").fill(citizen.password)
    page.get_by_role("button", name="Anmelden").click()
    page.goto("/konto/sicherheit")
    page.get_by_role("link", name="Anmeldung mit Code einrichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anmeldung mit Code aus der App einrichten"
    )
    expect(page.locator(".qr-code svg")).to_be_visible()
    a11y.check(page, "enrol")
    uri = page.get_by_role("link", name="In der Authenticator-App öffnen").get_attribute("href")
    app = pyotp.parse_uri(uri or "")
    assert isinstance(app, pyotp.TOTP)
    expect(page.locator("#totp-schluessel")).to_have_text(
        " ".join(app.secret[i : i + 4] for i in range(0, 32, 4))
    )
    field = page.get_by_label("Code aus der App (6 Ziffern)")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    field.fill("000000")
    page.get_by_role("button", name="Einschalten").click()
    expect(page.get_by_role("alert")).to_contain_text("Der Code ist nicht richtig")
    a11y.check(page, "enrol (wrong code)")
    page.get_by_label("Code aus der App (6 Ziffern)").fill(app.now())
    page.get_by_role("button", name="Einschalten").click()
    expect(
        page.get_by_role("heading", level=2, name="Ihre Wiederherstellungscodes")
    ).to_be_visible()
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    a11y.check(page, "recovery codes")

    plain = new_page(java_script_enabled=False)
    plain.goto("/anmelden")
    plain.get_by_label("E-Mail-Adresse").fill(citizen.email)
    plain.get_by_label("Passwort").fill(citizen.password)
    plain.get_by_role("button", name="Anmelden").click()
    expect(plain).to_have_url(live_portal.url("/anmelden/code"))
    expect(plain.get_by_role("heading", level=1)).to_have_text("Anmelden: zweiter Schritt")
    plain.get_by_label("Code aus der App (6 Ziffern)").fill(app.at(time.time() + 30))
    plain.get_by_role("button", name="Anmelden").click()
    expect(plain).to_have_url(live_portal.url("/konto/profil"))

    page.goto("/konto/sicherheit")
    a11y.check(page, "sessions (app on)")
    login = new_page()
    login.goto("/anmelden")
    login.get_by_label("E-Mail-Adresse").fill(citizen.email)
    login.get_by_label("Passwort").fill(citizen.password)
    login.get_by_role("button", name="Anmelden").click()
    a11y.check(login, "login code")
    login.get_by_role(
        "link", name="Kein Zugriff auf die App? Wiederherstellungscode verwenden"
    ).click()
    a11y.check(login, "login recovery code")
    a11y.assert_clean()


def _log_in_and_switch_on(page: Page, citizen: Citizen) -> tuple[pyotp.TOTP, list[str]]:
    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(citizen.email)
    page.get_by_label("Passwort").fill(citizen.password)
    page.get_by_role("button", name="Anmelden").click()
    page.goto("/konto/sicherheit/app")
    uri = page.get_by_role("link", name="In der Authenticator-App öffnen").get_attribute("href")
    app = pyotp.parse_uri(uri or "")
    assert isinstance(app, pyotp.TOTP)
    page.get_by_label("Code aus der App (6 Ziffern)").fill(app.now())
    page.get_by_role("button", name="Einschalten").click()
    codes = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    return app, codes


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_citizen_makes_new_recovery_codes(
    new_page: PageFactory, live_portal: LivePortal, a11y: AccessibilityAudit, javascript: bool
) -> None:
    citizen = live_portal.verified_citizen("neue.codes@example.org", PASSWORD)
    page = new_page(java_script_enabled=javascript)

    def check(name: str) -> None:
        if javascript:  # axe-core runs as a script in the page
            a11y.check(page, name)

    app, first = _log_in_and_switch_on(page, citizen)
    page.goto("/konto/sicherheit")
    expect(page.get_by_text("Unbenutzte Wiederherstellungscodes: 10")).to_be_visible()
    check("sessions (new codes offered)")
    page.get_by_role("link", name="Neue Wiederherstellungscodes erzeugen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Neue Wiederherstellungscodes erzeugen"
    )
    check("new recovery codes")
    page.get_by_label("Code aus der App (6 Ziffern)").fill("000000")
    page.get_by_role("button", name="Neue Codes erzeugen").click()
    expect(page.get_by_role("alert")).to_contain_text("Der Code ist nicht richtig")
    check("new recovery codes (wrong code)")
    page.get_by_label("Code aus der App (6 Ziffern)").fill(app.at(time.time() + 30))
    page.get_by_role("button", name="Neue Codes erzeugen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre neuen Wiederherstellungscodes")
    renewed = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(renewed) == 10 and not set(renewed) & set(first)
    check("new recovery codes shown")
    a11y.assert_clean()
