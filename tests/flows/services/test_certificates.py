"""The outcome documents through the real apps: the Meldebescheinigung and the Meldebestätigung
are issued when the clerk completes the application, downloaded by their citizen (only, and only
when the delivery is online) and by the service's clerk; before that a clear 409, for anybody
else 404/401. The PDFs are read back with pypdf. A citizen in an English session gets English
pages and the German document.

Both services run at level low here (``at_level``; the level high stop is in their own files).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from core.store.base import KeyValueStore
from services import meldebescheinigung, ummeldung
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, ServiceHandle, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, OTHER, PASSWORD = "lukasz@example.org", "max@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Łukasz", "eid"),
    "family_names": ("Dvořák-Şükrü", "eid"),
    "date_of_birth": ("1990-02-03", "eid"),
    "street_address": ("HEIDESTRAẞE 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
}
MB, UMM = "meldebescheinigung", "ummeldung"


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {
        MB: at_level(meldebescheinigung.SERVICE, "low"),
        UMM: at_level(ummeldung.SERVICE, "low"),
    }
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        w.citizen(OTHER, PASSWORD, {"given_names": ("Max", "self")})
        yield w


def _english() -> HttpBrowser:
    browser = HttpBrowser()
    browser.session.headers["Accept-Language"] = "en"
    return browser


def _order(citizen: HttpBrowser, svc: ServiceHandle, **order: str) -> requests.Response:
    """Fill in, pay at the Giro simulator: the receipt page."""
    form = log_in(citizen, svc, EMAIL, PASSWORD, path="/antrag")
    review = citizen.submit(form, **order)
    assert "/pruefen" in review.url, review.text[:1000]
    action = re.search(r'action="([^"]+/bezahlen)"', review.text)
    assert action, review.text[:1000]
    giro = citizen.submit(review, action.group(1), provider="giro")
    return citizen.submit(giro, giro.url, decision="approve")


def _move(citizen: HttpBrowser, svc: ServiceHandle) -> requests.Response:
    form = log_in(citizen, svc, EMAIL, PASSWORD, path="/antrag")
    review = citizen.submit(
        form,
        neue_strasse="Rathausplatz 1",
        neue_plz="50667",
        neuer_ort="Köln",
        einzugsdatum=(date.today() - timedelta(days=3)).isoformat(),
        wohnung="haupt",
        **{"mitziehende-0-name": "Zoë Dvořák", "mitziehende-0-geburtsdatum": "2015-06-01"},
        wohnungsgeber="WGB-2026-4711",
    )
    assert "/pruefen" in review.url, review.text[:1000]
    return citizen.submit(review)


def _clerk(svc: ServiceHandle, reference: str) -> tuple[HttpBrowser, str]:
    clerk = HttpBrowser()
    email = f"sachbearbeitung.{svc.service.key}@example.org"
    listing = log_in(clerk, svc, email, CLERK_PASSWORD, path="/verwaltung")
    return clerk, clerk_application_url(listing, reference)


def _complete(clerk: HttpBrowser, svc: ServiceHandle, detail: str) -> None:
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    done = clerk_changes(clerk, svc, detail, "abgeschlossen", "Geprüft.")
    assert done.status_code == 200 and "Abgeschlossen" in done.text


def _pdf_text(answer: requests.Response) -> str:
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_meldebescheinigung_for_its_citizen_and_its_clerk_once_completed(town: World) -> None:
    svc = town.service(MB)
    citizen = _english()
    receipt = _order(
        citizen, svc, art="erweitert", zweck="Vorlage beim Arbeitgeber", zustellung="download"
    )
    reference = reference_of(receipt)
    assert "you can download the certificate here" in receipt.text
    download = receipt.url.replace("/quittung", "/bescheinigung.pdf")
    early = citizen.go(download)
    assert early.status_code == 409 and "not been issued yet" in early.text
    clerk, detail = _clerk(svc, reference)
    assert clerk.go(detail + "/bescheinigung.pdf").status_code == 409
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    assert "stellt der Dienst das Dokument „Meldebescheinigung“" in clerk.go(detail).text
    assert citizen.go(download).status_code == 409  # in Bearbeitung: still not issued
    done = clerk_changes(clerk, svc, detail, "abgeschlossen", "Geprüft.")
    assert "Meldebescheinigung als PDF" in done.text
    as_clerk = clerk.go(detail + "/bescheinigung.pdf")
    text = _pdf_text(as_clerk)
    for expected in (
        "Erweiterte Meldebescheinigung",
        "§ 18 Abs. 2 Bundesmeldegesetz",
        f"Aktenzeichen {reference}",
        "Familienname Dvořák-Şükrü",
        "Vornamen Łukasz",
        "Geburtsdatum 03.02.1990",
        "Anschrift HEIDESTRAẞE 17, 51147 Köln",
        "Zweck Vorlage beim Arbeitgeber",
        "Stadt Musterstadt",
        "elektronisch erstellt",
    ):
        assert expected in text, expected
    # the citizen, in English: the page in English, the document as issued (German)
    for page in (citizen.go(receipt.url), citizen.go(receipt.url.replace("/quittung", ""))):
        assert "Download Meldebescheinigung (PDF, in German)" in page.text, page.url
        assert 'href="/antrag/' in page.text and '/bescheinigung.pdf"' in page.text
    mine = citizen.go(download)
    assert mine.content == as_clerk.content
    assert mine.headers["Content-Disposition"] == (
        f'attachment; filename="Meldebescheinigung-{reference}.pdf"'
    )
    # nobody else: another citizen, no session, a citizen at the back office
    other = HttpBrowser()
    log_in(other, svc, OTHER, PASSWORD)
    assert other.go(download).status_code == 404
    assert HttpBrowser().go(download).status_code == 401
    assert citizen.go(detail + "/bescheinigung.pdf").status_code == 403
    # archived: still there for both, and the archive document names it
    assert clerk_changes(clerk, svc, detail, "archiviert").status_code == 200
    assert citizen.go(download).content == as_clerk.content
    archive = _pdf_text(clerk.go(detail + "/akte.pdf"))
    assert "Meldebescheinigung ausgestellt am" in archive


def test_by_post_rejected_and_the_meldebestaetigung(town: World) -> None:
    svc = town.service(MB)
    citizen = HttpBrowser()
    receipt = _order(citizen, svc, art="einfach", zweck="Wohngeld", zustellung="post")
    assert "senden wir Ihnen per Post" in receipt.text
    clerk, detail = _clerk(svc, reference_of(receipt))
    _complete(clerk, svc, detail)
    assert "Meldebescheinigung" in _pdf_text(clerk.go(detail + "/bescheinigung.pdf"))
    by_post = citizen.go(receipt.url.replace("/quittung", "/bescheinigung.pdf"))
    assert by_post.status_code == 404 and "per Post" in by_post.text
    assert "kommt per Post zu Ihnen" in citizen.go(receipt.url).text
    # Ummeldung: completed -> the Meldebestätigung; rejected -> none, a clear 409
    move = town.service(UMM)
    moved = _move(citizen, move)
    clerk, detail = _clerk(move, reference_of(moved))
    _complete(clerk, move, detail)
    text = _pdf_text(citizen.go(moved.url.replace("/quittung", "/bescheinigung.pdf")))
    for expected in (
        "Meldebestätigung",
        "Neue Anschrift Rathausplatz 1, 50667 Köln",
        "Bisherige Anschrift HEIDESTRAẞE 17, 51147 Köln",
        "Art der Wohnung Hauptwohnung",
        "Mit angemeldete Personen Zoë Dvořák (geb. 01.06.2015)",
    ):
        assert expected in text, expected
    refused = _move(citizen, move)
    clerk, detail = _clerk(move, reference_of(refused))
    rejected = clerk_changes(clerk, move, detail, "abgelehnt", "Wohnungsgeberbestätigung fehlt.")
    assert rejected.status_code == 200
    none = citizen.go(refused.url.replace("/quittung", "/bescheinigung.pdf"))
    assert none.status_code == 409 and "keine Bescheinigung ausgestellt" in none.text
    assert "keine Bescheinigung ausgestellt" in citizen.go(refused.url).text
    assert clerk.go(detail + "/bescheinigung.pdf").status_code == 409
    # an unknown application: 404
    assert citizen.go(svc.page("/antrag/unbekannt/bescheinigung.pdf")).status_code == 404
