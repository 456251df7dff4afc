"""Meldebescheinigung over OpenID Connect (Authlib client ↔ the hub over real HTTP) with the fee
paid online before submission: PayPal-shaped (order, approval, capture, signed webhooks) and
GiroCheckout-shaped (hash-signed start and notification) simulators, approve, decline, abandon,
duplicate and forged notifications; clerk states and the citizen's timeline in the hub.

The service asks for level high: the hub stops a password session at its level page (first
test; with the ID card, test_with_the_card.py). The payment stories run against the same
definition configured at level low (``at_level``): the hub asserts low, the service asks for
and accepts low; nothing claims a level that was not performed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import requests

from core.store.base import KeyValueStore
from services import meldebescheinigung
from services.kit.models import Application
from services.kit.models import db as kit_db
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    hub_timeline,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, ServiceHandle, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "self"),
}
ORDER = {"art": "erweitert", "zweck": "Vorlage beim Arbeitgeber", "zustellung": "download"}


def _town(
    backend: str, database_url: str, store: KeyValueStore, tmp: Path, level: str
) -> AbstractContextManager[World]:
    service = meldebescheinigung.SERVICE
    if level != service.level:
        service = at_level(service, level)
    return world(backend, database_url, store, tmp, {"meldebescheinigung": service})


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    with _town(backend, database_url, store, tmp_path, "low") as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def _review(browser: HttpBrowser, svc: ServiceHandle, **order: str) -> requests.Response:
    form = browser.go(svc.page("/antrag"))
    if "/anmelden" in form.url:
        form = log_in(browser, svc, EMAIL, PASSWORD)
    assert form.url == svc.page("/antrag"), form.url
    review = browser.submit(form, **{**ORDER, **order})
    assert "/pruefen" in review.url, re.findall(r"id=\"(f-[a-z_]+)-error\"", review.text)
    return review


def _to_provider(
    browser: HttpBrowser, review: requests.Response, provider: str
) -> requests.Response:
    action = re.search(r'action="([^"]+/bezahlen)"', review.text)
    assert action, review.text[:500]
    return browser.submit(review, action.group(1), provider=provider)


def _applications(svc: ServiceHandle) -> list[Application]:
    with svc.app.app_context():
        rows = list(kit_db.session.scalars(kit_db.select(Application)))
        for row in rows:
            _ = (row.events, row.payments)
        kit_db.session.expunge_all()
        return rows


def _submitted(svc: ServiceHandle) -> list[Application]:
    return [a for a in _applications(svc) if a.reference]


def test_verified_values_on_the_form_read_as_on_the_review(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert '<span data-field="geburtsdatum">12.08.1964</span>' in form.text, form.text[:800]
    assert "1964-08-12" not in form.text


def test_level_high_stops_a_password_session_at_the_hub(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> None:
    with _town(backend, database_url, store, tmp_path, "high") as town:
        town.citizen(EMAIL, PASSWORD, PROFILE)
        svc = town.service("meldebescheinigung")
        browser = HttpBrowser()
        page = log_in(browser, svc, EMAIL, PASSWORD)
        assert page.status_code == 403 and page.url.startswith(town.hub_url)
        assert "Vertrauensniveau nicht erreichbar" in page.text
        high = "acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Fhigh"
        assert any(high in url for url in browser.visited), "the service asked for level high"
        back = re.search(r'href="([^"]+/abbrechen)"', page.text)
        assert back, page.text[:500]
        refused = browser.go(town.hub_url + back.group(1))
        assert refused.url.startswith(svc.url) and refused.status_code == 403
        assert "reicht für diesen Dienst nicht aus" in refused.text
        assert _applications(svc) == []


def test_paypal_approve_then_duplicate_and_forged_webhooks(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    review = _review(citizen, svc)
    assert "12,00 €" in review.text and "PayPal" in review.text
    assert "geprüft – aus dem Online-Ausweis" in review.text
    checkout = _to_provider(citizen, review, "paypal")
    assert checkout.url.startswith(town.paypal.base_url + "/checkoutnow"), checkout.url
    assert _submitted(svc) == []  # nothing submitted before the payment
    receipt = citizen.submit(
        checkout, "/checkoutnow", token=checkout.url.split("token=")[1], decision="approve"
    )
    reference = reference_of(receipt)
    assert reference.startswith("MB-") and "12,00 €" in receipt.text
    [application] = _submitted(svc)
    assert [p.state for p in application.payments] == ["captured"]
    assert [e.state for e in application.events] == ["eingegangen"]
    kinds = [n.body for n in town.paypal.notices.sent]
    assert len(kinds) == 2  # CHECKOUT.ORDER.APPROVED and PAYMENT.CAPTURE.COMPLETED
    # every notification again: accepted as duplicates, nothing changes
    for notice in town.paypal.notices.sent:
        assert town.paypal.notices.send(notice) == 200
    [again] = _submitted(svc)
    assert [e.state for e in again.events] == ["eingegangen"]
    # a forged webhook (signature over another body) is refused
    notice = town.paypal.notices.sent[-1]
    forged = requests.post(
        notice.url,
        data=notice.body.replace(b"COMPLETED", b"DENIED"),
        headers=notice.headers,
        timeout=10,
    )
    assert forged.status_code == 400
    foreign = dict(notice.headers, **{"PAYPAL-CERT-URL": "http://evil.example/cert.pem"})
    assert (
        requests.post(notice.url, data=notice.body, headers=foreign, timeout=10).status_code == 400
    )
    # the hub: one application, one notice
    assert reference in hub_timeline(town, citizen)
    assert len([m for m in town.mails_to(EMAIL) if reference in m.subject]) == 1


def test_paypal_cancel_then_giro_decline_then_giro_approve(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    review = _review(citizen, svc, art="einfach")
    assert "8,00 €" in review.text
    checkout = _to_provider(citizen, review, "paypal")
    cancelled = citizen.submit(
        checkout, "/checkoutnow", token=checkout.url.split("token=")[1], decision="cancel"
    )
    assert "Die Zahlung wurde nicht abgeschlossen" in cancelled.text
    assert 'action="/abmelden"' in cancelled.text  # still the citizen's page, with logout
    assert _submitted(svc) == []
    review = citizen.go(review.url)
    giro = _to_provider(citizen, review, "giro")
    assert giro.url.startswith(town.giro.base_url + "/pay/")
    declined = citizen.submit(giro, giro.url, decision="cancel")
    assert "Die Zahlung wurde nicht abgeschlossen" in declined.text
    assert _submitted(svc) == []
    assert "MB-" not in hub_timeline(town, citizen)
    review = citizen.go(review.url)
    giro = _to_provider(citizen, review, "giro")
    receipt = citizen.submit(giro, giro.url, decision="approve")
    reference = reference_of(receipt)
    [application] = _submitted(svc)
    assert application.reference == reference and application.fee_cents == 800
    assert sorted(p.state for p in application.payments) == ["captured", "failed", "failed"]
    # Giro's notification again (and again): one application, one event
    paid = town.giro.notices.sent[-1]
    assert town.giro.notices.send(paid) == 200 and town.giro.notices.send(paid) == 200
    [again] = _submitted(svc)
    assert [e.state for e in again.events] == ["eingegangen"]
    # a notification with a forged hash, or a paid result swapped in, changes nothing
    forged = dict(town.giro.notices.sent[-2].params, gcResultPayment="4000")
    answer = requests.get(paid.url, params=forged, timeout=10)
    assert answer.status_code == 400
    assert len(_submitted(svc)) == 1


def test_abandoned_payment_leaves_no_application(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    review = _review(citizen, svc)
    checkout = _to_provider(citizen, review, "paypal")
    assert checkout.status_code == 200  # the citizen walks away from the provider's page
    giro = _to_provider(citizen, citizen.go(review.url), "giro")
    assert giro.status_code == 200
    rows = _applications(svc)
    assert len(rows) == 1 and rows[0].state == "entwurf" and rows[0].reference is None
    assert {p.state for p in rows[0].payments} == {"created"}
    assert "MB-" not in hub_timeline(town, citizen)
    assert not [m for m in town.mails_to(EMAIL) if "MB-" in m.subject]
    # the receipt of a draft is not there; the review still offers to pay
    assert "/pruefen" in citizen.go(svc.page(f"/antrag/{rows[0].id}/quittung")).url
    # ``flask cleanup`` drops abandoned drafts after the configured time, not before
    from services.kit.applications import drop_stale_drafts

    with svc.app.app_context():
        assert drop_stale_drafts(3600) == 0
        assert drop_stale_drafts(0) == 1
    assert _applications(svc) == []


def test_someone_elses_draft_and_receipt_are_not_found(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    review = _review(citizen, svc)
    town.citizen("max@example.org", PASSWORD, {"given_names": ("Max", "self")})
    other = HttpBrowser()
    log_in(other, svc, "max@example.org", PASSWORD)
    assert other.go(review.url).status_code == 404
    nobody = HttpBrowser().go(review.url)
    assert nobody.status_code == 401 and "Bitte melden Sie sich an." in nobody.text
    own_page = other.go(svc.page("/antrag"))
    pay_url = review.url.replace("/pruefen", "/bezahlen")
    assert other.submit(own_page, pay_url, provider="paypal").status_code == 404


def test_clerk_moves_a_paid_certificate_to_the_archive(town: World) -> None:
    svc = town.service("meldebescheinigung")
    citizen = HttpBrowser()
    giro = _to_provider(citizen, _review(citizen, svc), "giro")
    reference = reference_of(citizen.submit(giro, giro.url, decision="approve"))
    clerk = HttpBrowser()
    listing = log_in(
        clerk,
        svc,
        "sachbearbeitung.meldebescheinigung@example.org",
        CLERK_PASSWORD,
        path="/verwaltung",
    )
    assert listing.status_code == 200 and reference in listing.text
    detail = clerk_application_url(listing, reference)
    for state, note in (
        ("in_bearbeitung", ""),
        ("abgeschlossen", "Bescheinigung liegt bereit."),
        ("archiviert", ""),
    ):
        assert clerk_changes(clerk, svc, detail, state, note).status_code == 200
    timeline = hub_timeline(town, citizen)
    assert "Bescheinigung liegt bereit." in timeline and "Archiviert" in timeline
    # the clerk of another service is not let in (role clerk:meldebescheinigung only)
    town.citizen("fremd@example.org", PASSWORD, {})
    outsider = HttpBrowser()
    assert (
        log_in(outsider, svc, "fremd@example.org", PASSWORD, path="/verwaltung").status_code == 403
    )
