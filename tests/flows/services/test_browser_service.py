"""One complete application in a real browser (Debian's chromium via Playwright): the citizen
opens Sperrmüll, logs in at the hub (SAML over HTTP-POST binding back to the service), sees the
ID-card values as verified, fills the form, submits, gets the receipt; a clerk moves it on; the
citizen reads the timeline under "Meine Anträge" in the hub; the clerk asks a question, the
citizen follows the hub's link to the service and answers it. axe-core checks every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from core.store.base import KeyValueStore
from services import sperrmuell
from tests.flows.conftest import AccessibilityAudit, Problems
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    log_in,
)
from tests.flows.services.world import HttpBrowser, World, world

pytestmark = [pytest.mark.browser, pytest.mark.storage]
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    with world(backend, database_url, store, tmp_path, {"sperrmuell": sperrmuell.SERVICE}) as w:
        w.citizen(
            EMAIL,
            PASSWORD,
            {
                "given_names": ("Erika", "eid"),
                "family_names": ("Mustermann", "eid"),
                "street_address": ("Heidestraße 17", "eid"),
                "postal_code": ("51147", "eid"),
                "locality": ("Köln", "eid"),
            },
        )
        yield w


def test_citizen_orders_a_bulky_waste_pickup_in_chromium(
    town: World, chromium: Browser, a11y: AccessibilityAudit, backend: str
) -> None:
    if backend != "sqlite+memory":
        pytest.skip("one browser run is enough; the flow tests cover PostgreSQL + Redis")
    svc = town.service("sperrmuell")
    problems = Problems()
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    problems.watch(page)
    try:
        page.goto(svc.page("/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sperrmüllabholung")
        a11y.check(page, "service start")
        page.get_by_role("link", name="Mit dem Bürgerkonto anmelden und Antrag stellen").click()
        expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden")))
        page.get_by_label("E-Mail-Adresse").fill(EMAIL)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        # the hub's HTTP-POST binding page: one button, no JavaScript needed
        expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
        a11y.check(page, "hub: POST binding")
        page.get_by_role("button", name="Weiter", exact=True).click()
        expect(page).to_have_url(svc.page("/antrag"))
        expect(page.locator(".badge")).to_have_count(5)
        a11y.check(page, "service form")
        page.get_by_label("Telefon für Rückfragen").fill("0221 123456")
        page.get_by_label("Gegenstände").fill("1 Sofa, 1 Regal")
        page.get_by_label("Geschätzte Menge in Kubikmetern").fill("2")
        page.get_by_label("Wunschtermin").fill((date.today() + timedelta(days=14)).isoformat())
        page.get_by_label("Ort der Bereitstellung").select_option("hof")
        page.get_by_role("button", name="Weiter zur Prüfung").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
        a11y.check(page, "service review")
        page.get_by_role("button", name="Antrag verbindlich stellen").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
        reference = page.locator("strong.reference").inner_text()
        a11y.check(page, "service receipt")

        clerk = HttpBrowser()
        listing = log_in(
            clerk, svc, "sachbearbeitung.sperrmuell@example.org", CLERK_PASSWORD, path="/verwaltung"
        )
        detail = clerk_application_url(listing, reference)
        clerk_changes(clerk, svc, detail, "in_bearbeitung", "Termin wird geprüft.")

        page.goto(town.hub_url + "/konto/antraege")
        expect(page.get_by_role("heading", level=2)).to_contain_text(reference)
        expect(page.locator(".timeline li").first).to_contain_text("In Bearbeitung")
        expect(page.locator(".timeline li").first).to_contain_text("Termin wird geprüft.")
        a11y.check(page, "hub: Meine Anträge")

        # a Rückfrage: from "Meine Anträge" to the service's page, answered there
        clerk_changes(clerk, svc, detail, "rueckfrage", "Passt das Regal in den Aufzug?")
        page.reload()
        page.get_by_role("link", name=re.compile("Rückfrage beim Dienst beantworten")).click()
        question = page.get_by_role("heading", level=2, name="Rückfrage der Verwaltung")
        expect(question).to_be_visible()
        expect(page.locator(".question-text")).to_have_text("Passt das Regal in den Aufzug?")
        a11y.check(page, "service: application with a question")
        page.get_by_label("Ihre Antwort").fill("Ja, wir tragen es zerlegt hinunter.")
        page.get_by_role("button", name="Antwort senden").click()
        expect(page.locator(".notice-success")).to_contain_text("Ihre Antwort ist eingegangen")
        expect(page.locator("strong.state")).to_have_text("In Bearbeitung")
        a11y.check(page, "service: application answered")
    finally:
        context.close()
    assert problems.seen == []
    a11y.assert_clean()
