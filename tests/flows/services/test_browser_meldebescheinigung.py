"""Meldebescheinigung in a real browser (Debian's chromium via Playwright): OpenID Connect at
level high, so the citizen logs in at the hub with the ID card on the eID simulator's client
page; the card's values are shown as verified; the fee is paid on the PayPal-shaped simulator's
page; a clerk completes the application; the citizen downloads the certificate, reads the
timeline in the hub's "Meine Anträge" and logs out at the service (through the hub: both
sessions end). Second story: a payment declined on the simulator's page leaves no application,
and the citizen pays with the GiroCheckout-shaped simulator instead, after switching the
service to English. axe-core checks every page
of the service and the hub on the way."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from core.clock import FrozenClock
from core.settings import Settings
from core.store.base import KeyValueStore
from services import meldebescheinigung
from services.kit.models import Application
from services.kit.models import db as kit_db
from tests.eid_harness import Pki
from tests.eid_hub import ACTIVATION_RE, EidHub, card_dialogue, eid_hub
from tests.flows.conftest import AccessibilityAudit, Problems
from tests.flows.services.steps import CLERK_PASSWORD, clerk_application_url, clerk_changes, log_in
from tests.flows.services.world import HttpBrowser, ServiceHandle, World, world

pytestmark = [pytest.mark.browser, pytest.mark.storage]
EMAIL = "erika@example.org"
MB = "meldebescheinigung"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def card_hub(
    pki: Pki,
    tmp_path: Path,
    settings: Settings,
    clock: FrozenClock,
    store: KeyValueStore,
    backend: str,
) -> Iterator[EidHub]:
    if backend != "sqlite+memory":
        pytest.skip("one browser run is enough; the flow tests cover PostgreSQL + Redis")
    with eid_hub(pki, tmp_path / "eid", settings, clock, store) as running:
        yield running


@pytest.fixture
def town(
    card_hub: EidHub, backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> Iterator[World]:
    served = (card_hub.app, card_hub.base_url)
    services = {MB: meldebescheinigung.SERVICE}
    with world(backend, database_url, store, tmp_path, services, served_hub=served) as w:
        _register_with_the_card(card_hub)
        yield w


def _register_with_the_card(hub: EidHub) -> None:
    """The citizen's account, made earlier with the card (over HTTP, not the story itself)."""
    browser = HttpBrowser()
    start = browser.go(hub.base_url + "/anmelden/ausweis?registrieren=1")
    found = ACTIVATION_RE.search(start.text)
    assert found, start.text[:500]
    form = browser.go(card_dialogue(hub, html.unescape(found.group(1)), "erika"))
    assert browser.submit(form, email=EMAIL, password="", password_repeat="").status_code == 200
    mail = next(m for m in hub.app.extensions["mailer"].messages() if m.to == EMAIL)
    link = next(w for w in mail.body.split() if w.startswith(hub.base_url))
    assert browser.submit(browser.go(link)).status_code == 200


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(locale="de-DE")
    yield context
    context.close()


def _log_in_with_the_card(page: Page, town: World, hub: EidHub, a11y: AccessibilityAudit) -> None:
    """From the service's start page through the hub's card login back to the form."""
    svc = town.service(MB)
    page.goto(svc.page("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldebescheinigung")
    a11y.check(page, "service start")
    page.get_by_role("link", name=re.compile("Mit dem Bürgerkonto anmelden")).click()
    # level high: the hub asks for the card straight away
    expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden/ausweis?")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mit dem Online-Ausweis anmelden")
    a11y.check(page, "hub: card login start")
    page.get_by_role("link", name="Jetzt mit der AusweisApp ausweisen").click()
    expect(page).to_have_url(re.compile(re.escape(hub.client_url)))
    page.get_by_label(re.compile("Erika Mustermann")).check()
    page.get_by_label("PIN (Testausweise: 123456)").fill("123456")
    page.get_by_role("button", name="Ausweisen").click()
    expect(page).to_have_url(svc.page("/antrag"))


def _choose(page: Page, a11y: AccessibilityAudit, art: str, provider: str) -> None:
    """On the form: the card's values fixed and verified; the order; the review; to pay."""
    verified = page.locator(".field.verified")
    expect(verified).to_have_count(6)
    expect(verified.locator(".badge").first).to_have_text("geprüft – aus dem Online-Ausweis")
    expect(page.locator('[data-field="familienname"]')).to_have_text("MUSTERMANN")
    for name in ("vornamen", "familienname", "geburtsdatum", "strasse", "plz", "ort"):
        expect(page.locator(f'[name="{name}"]')).to_have_count(0)  # nothing to edit
    a11y.check(page, "service form")
    page.get_by_label("Art der Bescheinigung").select_option(art)
    page.get_by_label("Zweck").fill("Vorlage beim Arbeitgeber")
    page.get_by_label("Zustellung").select_option("download")
    page.get_by_role("button", name="Weiter zur Prüfung").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    a11y.check(page, "service review")
    page.get_by_label(re.compile(provider)).check()
    page.get_by_role("button", name="Kostenpflichtig bezahlen und Antrag stellen").click()


def _applications(svc: ServiceHandle) -> list[Application]:
    with svc.app.app_context():
        rows = list(kit_db.session.scalars(kit_db.select(Application)))
        kit_db.session.expunge_all()
        return rows


def _pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF-"), body[:20]
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)


def test_certificate_with_the_card_paid_with_paypal_downloaded_and_logged_out(
    town: World, card_hub: EidHub, context: BrowserContext, a11y: AccessibilityAudit
) -> None:
    svc = town.service(MB)
    problems = Problems()
    page = context.new_page()
    problems.watch(page)
    _log_in_with_the_card(page, town, card_hub, a11y)
    _choose(page, a11y, "erweitert", "PayPal")
    expect(page).to_have_url(re.compile(re.escape(town.paypal.base_url + "/checkoutnow")))
    expect(page.get_by_text("12.00 EUR")).to_be_visible()
    page.get_by_role("button", name="Jetzt bezahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    expect(page.get_by_text("Gebühr bezahlt: 12,00 €")).to_be_visible()
    reference = page.locator("strong.reference").inner_text()
    assert reference.startswith("MB-")
    receipt_url = page.url
    a11y.check(page, "service receipt")

    clerk = HttpBrowser()
    email = "sachbearbeitung.meldebescheinigung@example.org"
    listing = log_in(clerk, svc, email, CLERK_PASSWORD, path="/verwaltung")
    detail = clerk_application_url(listing, reference)
    clerk_changes(clerk, svc, detail, "in_bearbeitung")
    done = clerk_changes(clerk, svc, detail, "abgeschlossen", "Bescheinigung liegt bereit.")
    assert done.status_code == 200 and "Abgeschlossen" in done.text

    page.goto(receipt_url)
    link = page.get_by_role("link", name="Meldebescheinigung herunterladen (PDF, auf Deutsch)")
    a11y.check(page, "service receipt with the certificate")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"Meldebescheinigung-{reference}.pdf"
    text = _pdf_text(Path(download.value.path()).read_bytes())
    for expected in ("Erweiterte Meldebescheinigung", "Familienname MUSTERMANN", "Vornamen ERIKA"):
        assert expected in text, (expected, text)

    town.settle()
    page.goto(town.hub_url + "/konto/antraege")
    expect(page.get_by_role("heading", level=2)).to_contain_text(reference)
    expect(page.locator(".timeline li").first).to_contain_text("Abgeschlossen")
    expect(page.locator(".timeline li").first).to_contain_text("Bescheinigung liegt bereit.")
    a11y.check(page, "hub: Meine Anträge")

    page.goto(svc.page("/antrag"))
    page.get_by_role("navigation", name="Konto").get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(re.escape(svc.page("/abgemeldet?state="))))
    expect(
        page.get_by_text("Sie sind bei diesem Dienst und im Bürgerportal abgemeldet.")
    ).to_be_visible()
    a11y.check(page, "service: logged out")
    page.goto(svc.page("/antrag"))
    expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden")))
    page.goto(town.hub_url + "/konto/antraege")
    expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden")))
    # a link that turns into a download ends its navigation as "aborted": not a problem
    assert [p for p in problems.seen if not p.endswith("bescheinigung.pdf: net::ERR_ABORTED")] == []
    a11y.assert_clean()


def test_declined_payment_leaves_nothing_then_giro_pays(
    town: World, card_hub: EidHub, context: BrowserContext, a11y: AccessibilityAudit
) -> None:
    svc = town.service(MB)
    problems = Problems()
    page = context.new_page()
    problems.watch(page)
    _log_in_with_the_card(page, town, card_hub, a11y)
    _choose(page, a11y, "einfach", "PayPal")
    expect(page).to_have_url(re.compile(re.escape(town.paypal.base_url + "/checkoutnow")))
    page.get_by_role("button", name="Abbrechen und zurück").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung nicht abgeschlossen")
    expect(page.get_by_role("alert")).to_contain_text("Ihr Antrag ist noch nicht gestellt.")
    a11y.check(page, "service: payment not completed")
    retry = page.url
    assert [a.reference for a in _applications(svc)] == [None]  # a draft, no application

    page.get_by_role("navigation", name="Konto").get_by_role(
        "link", name="Meine Anträge bei diesem Dienst"
    ).click()
    expect(page.get_by_role("main")).to_contain_text("Noch keine Anträge.")
    a11y.check(page, "service: my applications, none")
    town.settle()
    page.goto(town.hub_url + "/konto/antraege")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("MB-")
    a11y.check(page, "hub: Meine Anträge, none")

    page.goto(retry)
    page.get_by_role("link", name="Zurück zur Prüfung und erneut bezahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    a11y.check(page, "service review after the declined payment")

    # the second try in English: the service's language switch, a plain link
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your details")
    a11y.check(page, "service review in English")
    page.get_by_label(re.compile("Giro")).check()
    page.get_by_role("button", name="Pay now and submit application").click()
    expect(page).to_have_url(re.compile(re.escape(town.giro.base_url + "/pay/")))
    page.get_by_role("button", name="Zahlung bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application has been received")
    expect(page.get_by_text("Fee paid: 8,00 €")).to_be_visible()
    reference = page.locator("strong.reference").inner_text()
    a11y.check(page, "service receipt in English")
    assert [a.reference for a in _applications(svc)] == [reference]
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    assert problems.seen == []
    a11y.assert_clean()
