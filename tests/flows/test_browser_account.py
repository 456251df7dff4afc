"""The Bürgerkonto in a real browser: the whole first story, keyboard use, no JavaScript.

Chromium (headless, Debian's build) talks HTTP to the real hub; the verification link is read
from the development outbox page, as a developer would. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.flows.conftest import AccessibilityAudit, LivePortal, PageFactory, Problems

pytestmark = pytest.mark.browser

EMAIL = "jonas.beispiel@example.org"
PASSWORD = "Ein Fahrrad steht im Hof"

STORY_PAGES = {
    "home",
    "register",
    "registered",
    "verify",
    "login",
    "profile",
    "profile edit",
    "sessions",
    "activity",
    "outbox",
}


def test_citizen_registers_verifies_edits_profile_and_logs_out(
    new_page: PageFactory, live_portal: LivePortal, a11y: AccessibilityAudit
) -> None:
    problems = Problems()
    page = new_page(problems=problems)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen im Bürgerportal")
    a11y.check(page, "home")

    page.get_by_role("link", name="Bürgerkonto anlegen").click()
    expect(page).to_have_url(live_portal.url("/registrieren"))
    a11y.check(page, "register")

    _register(page, password_repeat="Ein Fahrrad steht im Hof!")
    expect(page.get_by_role("alert")).to_contain_text(
        "Die beiden Passwörter stimmen nicht überein."
    )
    expect(page.get_by_label("Passwort wiederholen")).to_have_attribute("aria-invalid", "true")
    assert live_portal.mailer.messages() == [], "a rejected registration sent mail"
    a11y.check(page, "register (errors)")

    _register(page, password_repeat=PASSWORD)
    expect(page).to_have_url(live_portal.url("/registrieren/gesendet"))
    a11y.check(page, "registered")

    _open_verification_link_from_outbox(page, live_portal, a11y)
    expect(page.get_by_role("heading", level=1)).to_have_text("E-Mail-Adresse bestätigen")
    a11y.check(page, "verify")
    page.get_by_role("button", name="Jetzt bestätigen").click()
    expect(page).to_have_url(live_portal.url("/anmelden"))
    expect(page.get_by_role("status")).to_contain_text("Ihre E-Mail-Adresse ist bestätigt.")
    a11y.check(page, "login")

    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    expect(page.locator("dl.profile")).to_contain_text(EMAIL)
    a11y.check(page, "profile")

    _edit_profile(page, live_portal, a11y)
    _visit_sessions_and_activity(page, a11y)

    main_nav = page.get_by_role("navigation", name="Hauptnavigation")
    main_nav.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(live_portal.url("/"))
    expect(page.get_by_role("status")).to_contain_text("Sie sind abgemeldet.")
    page.goto("/konto/profil")
    expect(page).to_have_url(live_portal.url("/anmelden?next=%2Fkonto%2Fprofil"))

    assert problems.seen == []
    assert set(a11y.checked) >= STORY_PAGES
    a11y.assert_clean()


def _register(page: Page, password_repeat: str) -> None:
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort (Pflichtfeld)", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(password_repeat)
    page.get_by_role("button", name="Konto anlegen").click()


def _open_verification_link_from_outbox(
    page: Page, live_portal: LivePortal, a11y: AccessibilityAudit
) -> None:
    page.goto("/dev/outbox/")
    a11y.check(page, "outbox")
    page.get_by_role("row").filter(has_text=EMAIL).get_by_role("link").click()
    a11y.check(page, "outbox message")
    link = page.locator("a[href*='/bestaetigen/']")
    href = link.get_attribute("href") or ""
    assert href.startswith(live_portal.base_url + "/bestaetigen/"), href
    link.click()


def _edit_profile(page: Page, live_portal: LivePortal, a11y: AccessibilityAudit) -> None:
    page.get_by_role("link", name="Profil bearbeiten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Profil bearbeiten")
    a11y.check(page, "profile edit")
    page.get_by_label("Vornamen").fill("Jonas")
    page.get_by_label("Familienname").fill("Beispiel")
    page.get_by_role("button", name="Speichern").click()
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    expect(page.get_by_role("status")).to_contain_text("Ihr Profil wurde gespeichert.")
    family = page.locator("dl.profile dt:text-is('Familienname') + dd")
    expect(family).to_contain_text("Beispiel")
    expect(family).to_contain_text("selbst angegeben")
    unset = page.locator("dl.profile dt:text-is('Geburtsname') + dd")
    expect(unset).to_contain_text("nicht angegeben")
    expect(unset).not_to_contain_text("selbst angegeben")
    a11y.check(page, "profile (saved)")


def _visit_sessions_and_activity(page: Page, a11y: AccessibilityAudit) -> None:
    main_nav = page.get_by_role("navigation", name="Hauptnavigation")
    main_nav.get_by_role("link", name="Sicherheit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sicherheit")
    expect(page.get_by_role("table")).to_contain_text("dieses Gerät")
    a11y.check(page, "sessions")
    main_nav.get_by_role("link", name="Aktivität").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aktivität")
    activity = page.get_by_role("table")
    for event in ("Bürgerkonto angelegt", "Anmeldung mit Passwort", "Profil geändert"):
        expect(activity).to_contain_text(event)
    a11y.check(page, "activity")


def test_login_with_the_keyboard_alone(page: Page, live_portal: LivePortal) -> None:
    citizen = live_portal.verified_citizen("tastatur@example.org", PASSWORD)
    page.goto("/anmelden")

    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Zum Inhalt springen")
    expect(focused).to_be_in_viewport()
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none", "focus invisible"
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("inhalt")

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("name", "email")
    page.keyboard.type(citizen.email)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("name", "password")
    page.keyboard.type(citizen.password)
    page.keyboard.press("Enter")

    # The skip link put "#inhalt" into the address; a redirect keeps the fragment.
    expect(page).to_have_url(
        re.compile(re.escape(live_portal.url("/konto/profil")) + "(#inhalt)?$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Profil")


def test_wrong_password_by_keyboard_shows_the_error_and_stays(
    page: Page, live_portal: LivePortal
) -> None:
    citizen = live_portal.verified_citizen("vertippt@example.org", PASSWORD)
    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(citizen.email)
    page.get_by_label("Passwort").fill(citizen.password + "x")
    page.get_by_label("Passwort").press("Enter")

    expect(page).to_have_url(live_portal.url("/anmelden"))
    expect(page.get_by_role("alert")).to_contain_text("Anmeldung nicht möglich")
    page.goto("/konto/profil")
    expect(page).to_have_url(live_portal.url("/anmelden?next=%2Fkonto%2Fprofil"))


def test_login_and_logout_work_without_javascript(
    new_page: PageFactory, live_portal: LivePortal
) -> None:
    citizen = live_portal.verified_citizen("ohne-js@example.org", PASSWORD)
    page = new_page(java_script_enabled=False)

    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(citizen.email)
    page.get_by_label("Passwort").fill(citizen.password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    expect(page.locator("dl.profile")).to_contain_text(citizen.email)

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "button", name="Abmelden"
    ).click()
    expect(page).to_have_url(live_portal.url("/"))
    expect(page.get_by_role("status")).to_contain_text("Sie sind abgemeldet.")
    page.goto("/konto/profil")
    expect(page).to_have_url(live_portal.url("/anmelden?next=%2Fkonto%2Fprofil"))


def test_pages_reflow_at_320_css_pixels(new_page: PageFactory, live_portal: LivePortal) -> None:
    """WCAG 1.4.10: at 320 CSS pixels (400 % zoom) no page scrolls sideways; a wide table
    scrolls inside its own (focusable, labelled) region instead."""
    citizen = live_portal.verified_citizen("schmal@example.org", PASSWORD)
    live_portal.log_in_elsewhere(citizen)
    page = new_page(viewport={"width": 320, "height": 640})

    def assert_no_sideways_scrolling() -> None:
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide at {widths[1]} px"

    for path in ("/", "/registrieren", "/anmelden"):
        page.goto(path)
        assert_no_sideways_scrolling()
    page.get_by_label("E-Mail-Adresse").fill(citizen.email)
    page.get_by_label("Passwort").fill(citizen.password)
    page.get_by_role("button", name="Anmelden").click()
    for path in (
        "/konto/profil",
        "/konto/profil/bearbeiten",
        "/konto/sicherheit",
        "/konto/aktivitaet",
    ):
        page.goto(path)
        assert_no_sideways_scrolling()
    region = page.get_by_role("region", name="Meine Aktivität")
    expect(region).to_have_attribute("tabindex", "0")


def test_the_accessibility_audit_reports_violations(chromium: Browser) -> None:
    """The axe check above can fail: on a page with known faults it reports them."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    audit = AccessibilityAudit()
    audit.check(page, "faulty page")
    context.close()
    assert audit.checked == ["faulty page"]
    report = "\n".join(audit.reports)
    for rule in ("image-alt", "label", "html-has-lang", "document-title"):
        assert rule in report
    with pytest.raises(AssertionError, match="accessibility violations"):
        audit.assert_clean()
