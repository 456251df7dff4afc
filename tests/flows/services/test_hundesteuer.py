"""Hundesteuer over SAML, level substantial: the SP asks RequestedAuthnContext minimum
STORK-QAA-Level-3 and the hub, which cannot raise a password session to substantial (no second
factor; with the ID card: test_with_the_card.py), stops at its level page. The form story
(owner prefilled, dog details, start date) and the clerk's states run against the same
definition configured at level low (``at_level``)."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from core.store.base import KeyValueStore
from services import hundesteuer
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    hub_timeline,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "self"),
    "family_names": ("Mustermann", "self"),
    "date_of_birth": ("1964-08-12", "self"),
    "street_address": ("Heidestraße 17", "self"),
    "postal_code": ("51147", "self"),
    "locality": ("Köln", "self"),
}


def _authn_request(browser: HttpBrowser) -> str:
    url = next(u for u in browser.visited if "SAMLRequest=" in u)
    raw = parse_qs(urlsplit(url).query)["SAMLRequest"][0]
    return zlib.decompress(base64.b64decode(raw), -15).decode()


def test_substantial_is_requested_and_the_hub_stops_at_its_level_page(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> None:
    services = {"hundesteuer": hundesteuer.SERVICE}
    with world(backend, database_url, store, tmp_path, services) as town:
        town.citizen(EMAIL, PASSWORD, PROFILE)
        browser = HttpBrowser()
        page = log_in(browser, town.service("hundesteuer"), EMAIL, PASSWORD)
        assert page.status_code == 403 and page.url.startswith(town.hub_url)
        request = _authn_request(browser)
        assert 'Comparison="minimum"' in request and "STORK-QAA-Level-3" in request


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {"hundesteuer": at_level(hundesteuer.SERVICE, "low")}
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def test_dog_registration_with_self_asserted_owner_data(town: World) -> None:
    svc = town.service("hundesteuer")
    citizen = HttpBrowser()
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert "geprüft – aus dem Online-Ausweis" not in form.text  # all self-asserted: editable
    assert 'name="strasse"' in form.text and 'value="Heidestraße 17"' in form.text
    dog = {
        "vorgang": "anmeldung",
        "hund_name": "Bello",
        "rasse": "Labrador",
        "geschlecht": "ruede",
        "hund_geburtsdatum": "2024-02-01",
        "beginn": (date.today() + timedelta(days=5)).isoformat(),
        "listenhund": "nein",
        "weitere_hunde": "0",
    }
    bad = citizen.submit(form, **{**dog, "hund_geburtsdatum": "2999-01-01", "geschlecht": "x"})
    assert bad.status_code == 400 and "zu spät" in bad.text and "Möglichkeiten" in bad.text
    review = citizen.submit(form, **dog, strasse="Neue Straße 5")  # self-asserted: may change
    assert "Neue Straße 5" in review.text and "Rüde" in review.text
    reference = reference_of(citizen.submit(review))
    assert reference.startswith("HST-")
    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.hundesteuer@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    detail = clerk_application_url(listing, reference)
    for state in ("in_bearbeitung", "abgeschlossen"):
        assert clerk_changes(clerk, svc, detail, state, "Steuerbescheid folgt.").status_code == 200
    assert "Steuerbescheid folgt." in hub_timeline(town, citizen)


def test_dog_deregistration_with_end_date_and_reason(town: World) -> None:
    svc = town.service("hundesteuer")
    citizen = HttpBrowser()
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert 'value="abmeldung"' in form.text and 'name="grund"' in form.text
    today = date.today()
    leaving = {"vorgang": "abmeldung", "hund_name": "Bello", "rasse": "", "beginn": ""}
    missing = citizen.submit(form, **leaving, ende="", grund="")
    assert missing.status_code == 400
    assert 'href="#f-ende"' in missing.text and 'href="#f-grund"' in missing.text
    assert 'href="#f-rasse"' not in missing.text  # registration's fields do not apply
    backwards = citizen.submit(
        form,
        **leaving,
        haltung_seit=(today - timedelta(days=10)).isoformat(),
        ende=(today - timedelta(days=20)).isoformat(),
        grund="tod",
    )
    assert backwards.status_code == 400 and "vor dem Beginn der Haltung" in backwards.text
    review = citizen.submit(
        form,
        **{**leaving, "rasse": "Dackel"},  # registration's field: neither stored nor shown
        haltung_seit=(today - timedelta(days=400)).isoformat(),
        ende=(today - timedelta(days=3)).isoformat(),
        grund="wegzug",
    )
    assert review.status_code == 200, review.text[:500]
    assert "Wegzug aus der Stadt" in review.text and "Dackel" not in review.text
    receipt = citizen.submit(review)
    reference = reference_of(receipt)
    assert reference.startswith("HST-") and "Ende der Haltung" in receipt.text
    assert "Beginn der Haltung" not in receipt.text
    assert citizen.go(receipt.url + ".pdf").content.startswith(b"%PDF")
    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.hundesteuer@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    detail = clerk_application_url(listing, reference)
    page = clerk.go(detail)
    assert "Hund abmelden" in page.text and "Wegzug aus der Stadt" in page.text
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    done = clerk_changes(clerk, svc, detail, "abgeschlossen", "Abmeldung bestätigt.")
    assert done.status_code == 200
    assert "Abmeldung bestätigt." in hub_timeline(town, citizen)
