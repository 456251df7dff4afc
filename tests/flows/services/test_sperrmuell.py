"""Sperrmüll over SAML (python3-saml SP ↔ the hub's IdP over real HTTP), level low: login,
prefill with provenance (ID-card values fixed, even against a forged post), validation,
submission without fee, receipt page and PDF, the clerk's back office through every state with
notes, the archive PDF, and the citizen's timeline and mails in the hub."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.store.base import KeyValueStore
from services import sperrmuell
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    hub_timeline,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, World, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
    "phone": ("0221 123456", "self"),
    "date_of_birth": ("1964-08-12", "eid"),  # not needed by this service: never released
}


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    with world(backend, database_url, store, tmp_path, {"sperrmuell": sperrmuell.SERVICE}) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def _order(when: date) -> dict[str, str]:
    return {
        "telefon": "0221 654321",
        "gegenstaende": "1 Sofa, 2 Stühle",
        "volumen": "3",
        "wunschtermin": when.isoformat(),
        "stellplatz": "gehweg",
    }


def test_bulky_waste_from_login_to_archive(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert form.url == svc.page("/antrag"), form.url
    # prefill: ID-card values shown as verified and offered as no input at all
    assert form.text.count("geprüft – aus dem Online-Ausweis") == 5
    assert 'name="strasse"' not in form.text and "Heidestraße 17" in form.text
    assert 'name="telefon"' in form.text and 'value="0221 123456"' in form.text  # self: editable
    # bad input: every problem named, nothing saved
    soon = date.today() + timedelta(days=2)
    bad = citizen.submit(form, **{**_order(soon), "volumen": "12"})
    assert bad.status_code == 400
    assert "Dieses Datum liegt zu früh." in bad.text and "Erlaubt sind 1 bis 8." in bad.text
    # a forged post cannot change what the ID card says
    good = _order(date.today() + timedelta(days=10))
    review = citizen.submit(form, **good, strasse="Fälschungsweg 1", plz="99999")
    assert review.status_code == 200 and "/pruefen" in review.url, review.text[:300]
    assert "Heidestraße 17" in review.text and "Fälschungsweg" not in review.text
    assert "0221 654321" in review.text  # the citizen's own change of a self-asserted value
    # the first pickup of the year is free (fees.toml: two a year, then the fee)
    year = (date.today() + timedelta(days=10)).year
    assert f"Gebührenfreie Abholungen {year}: noch 2 von 2." in review.text
    assert "Dieser Antrag ist gebührenfrei." in review.text and "bezahlen" not in review.text
    receipt = citizen.submit(review)
    reference = reference_of(receipt)
    assert reference.startswith(f"SPM-{date.today().year}-")
    pdf = citizen.go(receipt.url + ".pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # the hub shows it to the citizen and sent a notice
    hub_page = hub_timeline(town, citizen)
    assert reference in hub_page and "Sperrmüllabholung" in hub_page and "Eingegangen" in hub_page
    assert any(reference in m.subject for m in town.mails_to(EMAIL))

    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.sperrmuell@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    assert listing.status_code == 200 and reference in listing.text, listing.text[:500]
    detail = clerk_application_url(listing, reference)
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    refused = clerk_changes(clerk, svc, detail, "rueckfrage")
    assert refused.status_code == 400 and "Bitte schreiben Sie eine Notiz" in refused.text
    skipped = clerk_changes(clerk, svc, detail, "archiviert")
    assert skipped.status_code == 400 and "nicht möglich" in skipped.text
    asked = clerk_changes(clerk, svc, detail, "rueckfrage", "Passt das Sofa durch die Tür?")
    assert asked.status_code == 200 and "Rückfrage" in asked.text
    for state in ("in_bearbeitung", "abgeschlossen", "archiviert"):
        assert clerk_changes(clerk, svc, detail, state).status_code == 200
    archive = clerk.go(detail + "/akte.pdf")
    assert archive.content.startswith(b"%PDF")

    timeline = hub_timeline(town, citizen)
    section = timeline[timeline.index(reference) :]
    order = [
        section.index(label)
        for label in ("Archiviert", "Abgeschlossen", "Rückfrage", "Eingegangen")
    ]
    assert order == sorted(order), "newest first"
    assert "Passt das Sofa durch die Tür?" in section
    notices = [m for m in town.mails_to(EMAIL) if reference in m.subject]
    assert len(notices) == 6  # received, in progress (2×), query, completed, archived


def test_back_office_needs_the_clerk_role_of_this_service(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    page = log_in(citizen, svc, EMAIL, PASSWORD, path="/verwaltung")
    assert page.status_code == 403 and "Berechtigung" in page.text


def test_assertion_replay_and_foreign_relay_state_are_refused(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    page = citizen.go(svc.page("/anmelden"))
    page = citizen.hub_login(page, EMAIL, PASSWORD)
    assert 'id="saml-post"' in page.text
    import base64
    import html
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    assertion = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "urn:oid:2.5.4.16" in assertion and 'provenance="eid"' in assertion
    assert "urn:oid:1.2.40.0.10.2.1.1.55" not in assertion and "1964-08-12" not in assertion
    first = citizen.post(svc.page("/saml/acs"), fields)
    assert first.url == svc.page("/antrag")
    again = citizen.post(svc.page("/saml/acs"), fields)
    assert again.status_code == 403  # no pending request any more, and the ID is spent
    other = HttpBrowser()
    stolen = other.post(svc.page("/saml/acs"), fields)
    assert stolen.status_code == 403
