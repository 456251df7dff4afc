"""Anmeldung / Ummeldung over OpenID Connect, level high. The service asks ``acr_values`` high;
a password session is stopped at the hub's level page (with the ID card:
test_with_the_card.py). The form story (old address from the card, fixed; new address, moving date,
co-moving persons; landlord's code), the receipt and the clerk's states run against the same
definition configured at level low (``at_level``), which the hub and the service both honour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.store.base import KeyValueStore
from services import ummeldung
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
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
}


def _move(**changes: str) -> dict[str, str]:
    base = {
        "neue_strasse": "Rathausplatz 1",
        "neue_plz": "50667",
        "neuer_ort": "Köln",
        "einzugsdatum": (date.today() - timedelta(days=3)).isoformat(),
        "wohnung": "haupt",
        "mitziehende-0-name": "Max Mustermann",
        "mitziehende-0-geburtsdatum": "2010-04-01",
        "wohnungsgeber": "WGB-2026-4711",
    }
    base.update(changes)
    return base


def test_level_high_is_asked_for_and_not_faked(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> None:
    with world(backend, database_url, store, tmp_path, {"ummeldung": ummeldung.SERVICE}) as town:
        town.citizen(EMAIL, PASSWORD, PROFILE)
        browser = HttpBrowser()
        page = log_in(browser, town.service("ummeldung"), EMAIL, PASSWORD)
        assert page.status_code == 403 and "Vertrauensniveau nicht erreichbar" in page.text
        assert any("LoA%2Fhigh" in url for url in browser.visited)


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {"ummeldung": at_level(ummeldung.SERVICE, "low")}
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def test_move_with_persons_from_form_to_completion(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert form.text.count("geprüft – aus dem Online-Ausweis") == 6
    for name in ("alte_strasse", "alte_plz", "alter_ort", "vornamen", "geburtsdatum"):
        assert f'name="{name}"' not in form.text
    bad = citizen.submit(
        form,
        **_move(
            neue_plz="5066",
            einzugsdatum=(date.today() + timedelta(days=90)).isoformat(),
            wohnungsgeber="falsch!",
            **{"mitziehende-1-name": "Nur ein Name"},
        ),
    )
    assert bad.status_code == 400
    for message in (
        "Fünf Ziffern.",
        "Dieses Datum liegt zu spät.",
        "Bitte je Person Name und Geburtsdatum angeben.",
        "6 bis 20 Großbuchstaben",
    ):
        assert message in bad.text, message
    review = citizen.submit(form, **_move(alte_strasse="Anderswo 3"))
    assert "/pruefen" in review.url
    assert "Heidestraße 17" in review.text and "Anderswo" not in review.text
    assert "Max Mustermann (geb. 01.04.2010)" in review.text
    receipt = citizen.submit(review)
    reference = reference_of(receipt)
    assert reference.startswith("UMM-")
    assert citizen.go(receipt.url + ".pdf").content.startswith(b"%PDF")
    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.ummeldung@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    detail = clerk_application_url(listing, reference)
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    rejected = clerk_changes(clerk, svc, detail, "abgelehnt", "Wohnungsgeberbestätigung fehlt.")
    assert rejected.status_code == 200
    timeline = hub_timeline(town, citizen)
    assert "Abgelehnt" in timeline and "Wohnungsgeberbestätigung fehlt." in timeline
    # the citizen's own list in the service
    mine = citizen.go(svc.page("/meine-antraege"))
    assert reference in mine.text
