"""The Online-Ausweis in a real browser: chromium clicks through registration and login with
the ID card on the simulator's eID-Client page, exactly the way a citizen clicks through the
AusweisApp's activation link; the hub's new pages are checked with axe-core. The same story runs
again without JavaScript (the hub's pages need none)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from account.models import citizen_by_email
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub
from tests.flows.conftest import AccessibilityAudit, Problems

pytestmark = pytest.mark.browser

EMAIL = "erika.browser@example.org"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(start=1_780_000_000.0)


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


def _page(chromium: Browser, hub: EidHub, problems: Problems, javascript: bool) -> Page:
    context = chromium.new_context(
        base_url=hub.base_url, locale="de-DE", java_script_enabled=javascript
    )
    page = context.new_page()
    problems.watch(page)
    return page


def _read_card_in_the_ausweisapp(
    page: Page, hub: EidHub, card: str, *, cancel: bool = False
) -> None:
    """What the citizen does on the eID-Client page (the simulator stands in for AusweisApp)."""
    page.get_by_role("link", name="Jetzt mit der AusweisApp ausweisen").click()
    expect(page).to_have_url(re.compile(re.escape(hub.client_url)))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ausweisen gegenüber")
    page.get_by_label(re.compile(card)).check()
    if cancel:
        page.get_by_role("button", name="Abbrechen").click()
        return
    page.get_by_label("PIN (Testausweise: 123456)").fill("123456")
    page.get_by_role("button", name="Ausweisen").click()


def _log_out(page: Page, hub: EidHub) -> None:
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    nav.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("status")).to_contain_text("Sie sind abgemeldet.")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_register_and_log_in_with_the_id_card(
    chromium: Browser, hub: EidHub, a11y: AccessibilityAudit, javascript: bool
) -> None:
    problems = Problems()
    page = _page(chromium, hub, problems, javascript)

    def check(name: str) -> None:
        if javascript:  # axe-core runs as a script in the page
            a11y.check(page, name)

    page.goto("/anmelden")
    check("login with the card button")
    page.get_by_role("link", name="Mit Online-Ausweis anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mit dem Online-Ausweis anmelden")
    check("card login start")

    _read_card_in_the_ausweisapp(page, hub, "Erika Mustermann")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kein Bürgerkonto zu diesem Ausweis")
    check("no account for this card")

    page.get_by_role("link", name="Bürgerkonto mit diesem Ausweis anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bürgerkonto mit dem Ausweis anlegen")
    expect(page.locator("dl.profile")).to_contain_text("Heidestraße 17")
    check("registration with the card")
    page.get_by_role("button", name="Bürgerkonto anlegen").click()
    expect(page.get_by_role("alert")).to_contain_text("E-Mail-Adresse")
    check("registration with the card (errors)")
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_role("button", name="Bürgerkonto anlegen").click()

    expect(page).to_have_url(hub.base_url + "/konto/profil")
    expect(page.get_by_role("status")).to_contain_text("Ihr Bürgerkonto ist angelegt")
    profile = page.locator("dl.profile")
    expect(profile).to_contain_text("Erika")
    expect(profile).to_contain_text("aus dem Ausweis gelesen am")
    check("profile from the card")

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Sicherheit"
    ).click()
    expect(page.get_by_role("heading", name="Online-Ausweis")).to_be_visible()
    expect(
        page.get_by_role("region", name="Mit Ihrem Bürgerkonto verknüpfte Ausweise")
    ).to_contain_text("Personalausweis, gültig bis 31.10.2029")
    check("security with the linked card")

    with hub.app.app_context():  # an older card said another birth name
        citizen = citizen_by_email(EMAIL)
        assert citizen is not None
        next(v for v in citizen.profile_values if v.attribute == "birth_name").value = "GABLERIN"
        db.session.commit()
    _log_out(page, hub)
    page.goto("/anmelden/ausweis")
    _read_card_in_the_ausweisapp(page, hub, "Erika Mustermann")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Angaben aus Ihrem Ausweis")
    expect(page.get_by_role("region", name="Geänderte Angaben")).to_contain_text("Gablerin")
    check("what the card changed")
    page.get_by_role("link", name="Weiter").click()
    expect(page).to_have_url(hub.base_url + "/konto/profil")
    expect(page.locator("dl.profile")).to_contain_text("Gabler")

    _log_out(page, hub)
    page.goto("/anmelden/ausweis")
    _read_card_in_the_ausweisapp(page, hub, "Erika Mustermann", cancel=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Das hat nicht geklappt")
    expect(page.get_by_role("alert")).to_contain_text("abgebrochen")
    check("card login failed")

    assert problems.seen == []
    a11y.assert_clean()
    if javascript:
        assert len(a11y.checked) == 9


def test_step_up_of_a_password_session_links_the_card_after_asking(
    chromium: Browser, hub: EidHub, a11y: AccessibilityAudit
) -> None:
    from tests.helpers import Portal

    Portal(hub.app, hub.clock).registered_citizen(EMAIL, "Ein langer Satz als Passwort")
    problems = Problems()
    page = _page(chromium, hub, problems, javascript=True)
    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort").fill("Ein langer Satz als Passwort")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(hub.base_url + "/konto/profil")

    page.goto("/anmelden/ausweis?next=/konto/daten")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anmeldung mit dem Online-Ausweis bestätigen"
    )
    a11y.check(page, "step-up start")
    _read_card_in_the_ausweisapp(page, hub, "Erika Mustermann")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ausweis mit Ihrem Bürgerkonto verknüpfen?"
    )
    a11y.check(page, "link the card met in a step-up?")
    page.get_by_role("button", name="Verknüpfen und fortfahren").click()
    expect(page).to_have_url(
        re.compile(re.escape(hub.base_url) + r"/(konto/daten|anmelden/ausweis/aenderungen)")
    )
    assert problems.seen == []
    a11y.assert_clean()
