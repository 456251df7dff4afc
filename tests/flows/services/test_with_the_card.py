"""The three services that need more than a password, at their real levels: the citizen
registers at the hub with the ID card (the eID simulator over real HTTP and mutual TLS, as
tests/eid_hub.py wires production), so the SSO session is level high with method eid. Then
Meldebescheinigung (OIDC, high) with the fee, Ummeldung (OIDC, high) and Hundesteuer (SAML,
substantial — answered with QAA-4, the level performed) are applied for with the card's values
prefilled as verified; the timeline in "Meine Anträge" shows all three."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from core.clock import FrozenClock
from core.settings import Settings
from core.store.base import KeyValueStore
from services import hundesteuer, meldebescheinigung, ummeldung
from tests.eid_harness import Pki
from tests.eid_hub import ACTIVATION_RE, EidHub, card_dialogue, eid_hub
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
EMAIL = "erika@example.org"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def card_hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path / "eid", settings, clock, store) as running:
        yield running


@pytest.fixture
def town(
    card_hub: EidHub, backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> Iterator[World]:
    services = {
        "meldebescheinigung": meldebescheinigung.SERVICE,
        "ummeldung": ummeldung.SERVICE,
        "hundesteuer": hundesteuer.SERVICE,
    }
    assert {s.level for s in services.values()} == {"high", "substantial"}
    served = (card_hub.app, card_hub.base_url)
    with world(backend, database_url, store, tmp_path, services, served_hub=served) as w:
        yield w


def _register_with_the_card(hub: EidHub, browser: HttpBrowser) -> None:
    start = browser.go(hub.base_url + "/anmelden/ausweis?registrieren=1")
    found = ACTIVATION_RE.search(start.text)
    assert found, start.text[:500]
    form = browser.go(card_dialogue(hub, html.unescape(found.group(1)), "erika"))
    assert "/registrieren/ausweis" in form.url, form.url
    done = browser.submit(form, email=EMAIL, password="", password_repeat="")
    assert done.status_code == 200, done.text[:500]
    mail = next(m for m in hub.app.extensions["mailer"].messages() if m.to == EMAIL)
    link = next(w for w in mail.body.split() if w.startswith(hub.base_url))
    verify = browser.go(link)
    assert browser.submit(verify).status_code == 200


def _pay_with_giro(browser: HttpBrowser, review: requests.Response) -> requests.Response:
    import re

    action = re.search(r'action="([^"]+/bezahlen)"', review.text)
    assert action
    giro = browser.submit(review, action.group(1), provider="giro")
    return browser.submit(giro, giro.url, decision="approve")


def test_high_and_substantial_services_with_the_card(town: World, card_hub: EidHub) -> None:
    citizen = HttpBrowser()
    _register_with_the_card(card_hub, citizen)

    melde = town.service("meldebescheinigung")
    form = log_in(citizen, melde, EMAIL, "")
    assert form.url == melde.page("/antrag"), form.url  # no level page: the session is high
    assert form.text.count("geprüft – aus dem Online-Ausweis") == 6
    assert "HEIDESTRA" in form.text and 'name="strasse"' not in form.text
    review = citizen.submit(form, art="einfach", zweck="Wohnungsbewerbung", zustellung="post")
    certificate = reference_of(_pay_with_giro(citizen, review))
    assert certificate.startswith("MB-")
    # its clerk logs in with a password: the back office asks for level low, not the card
    clerk = HttpBrowser()
    email = "sachbearbeitung.meldebescheinigung@example.org"
    listing = log_in(clerk, melde, email, CLERK_PASSWORD, "/verwaltung")
    assert listing.url.startswith(melde.page("/verwaltung")), listing.url
    assert certificate in listing.text
    low = "acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Flow"
    assert any(low in url for url in clerk.visited)

    move = town.service("ummeldung")
    form = log_in(citizen, move, EMAIL, "")
    assert form.url == move.page("/antrag") and 'name="alte_strasse"' not in form.text
    review = citizen.submit(
        form,
        neue_strasse="Rathausplatz 1",
        neue_plz="50667",
        neuer_ort="Köln",
        einzugsdatum=(date.today() - timedelta(days=2)).isoformat(),
        wohnung="haupt",
        wohnungsgeber="WGB-2026-0815",
    )
    assert "/pruefen" in review.url and "HEIDESTRA" in review.text
    moved = reference_of(citizen.submit(review))

    dogs = town.service("hundesteuer")
    form = log_in(citizen, dogs, EMAIL, "")
    assert form.url == dogs.page("/antrag"), form.url
    assert 'name="strasse"' not in form.text  # SAML provenance eid: fixed as well
    review = citizen.submit(
        form,
        vorgang="anmeldung",
        hund_name="Bello",
        rasse="Beagle",
        geschlecht="ruede",
        hund_geburtsdatum="2023-05-01",
        beginn=date.today().isoformat(),
        listenhund="nein",
        weitere_hunde="0",
    )
    dog = reference_of(citizen.submit(review))
    with dogs.app.app_context():
        from services.kit.models import Application
        from services.kit.models import db as kit_db

        row = kit_db.session.scalar(kit_db.select(Application).where(Application.reference == dog))
        assert row is not None and row.level == "high"  # substantial asked, high performed

    clerk = HttpBrowser()
    listing = log_in(
        clerk, dogs, "sachbearbeitung.hundesteuer@example.org", CLERK_PASSWORD, "/verwaltung"
    )
    assert listing.status_code == 200, listing.text[:300]
    detail = clerk_application_url(listing, dog)
    assert clerk_changes(clerk, dogs, detail, "in_bearbeitung").status_code == 200

    timeline = hub_timeline(town, citizen)
    for reference in (certificate, moved, dog):
        assert reference in timeline
    assert timeline.index(dog) < timeline.index(certificate), "newest first"
    assert any(dog in m.subject for m in town.mails_to(EMAIL))
