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
