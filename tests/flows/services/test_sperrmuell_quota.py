"""Sperrmüll's yearly free quota through the real app over HTTP (python3-saml SP ↔ the hub, the
PayPal- and Giro-shaped simulators): two pickups a calendar year free (services/fees.toml),
then 35 € paid before submission; a declined, cancelled or abandoned payment leaves no
application and uses no free pickup; a rejection gives the free pickup back; the last free
pickup taken in another tab sends the review back with the fee; several devices of one citizen
submitting at once take the last free pickup once; each calendar year counts on its own."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from core.store.base import KeyValueStore
from services import sperrmuell
from services.kit.definition import Service
from services.kit.models import Application, FreeQuotaUse
from services.kit.models import db as kit_db
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    clerk_changes,
    hub_timeline,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, ServiceHandle, World, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
    "phone": ("0221 123456", "self"),
}
PICKUP = date.today() + timedelta(days=10)
YEAR = PICKUP.year
USED_UP = (
    f"Die gebührenfreien Anträge für {YEAR} sind inzwischen verbraucht (durch einen anderen "
    "Antrag). Dieser Antrag kostet 35,00 € und ist noch nicht gestellt."
)


@contextmanager
def _town(
    backend: str, database_url: str, store: KeyValueStore, tmp: Path, service: Service
) -> Iterator[World]:
    with world(backend, database_url, store, tmp, {"sperrmuell": service}) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    with _town(backend, database_url, store, tmp_path, sperrmuell.SERVICE) as w:
        yield w


def _order(when: date) -> dict[str, str]:
    return {
        "gegenstaende": "1 Sofa, 2 Stühle",
        "volumen": "3",
        "wunschtermin": when.isoformat(),
        "stellplatz": "gehweg",
    }


def _form(browser: HttpBrowser, svc: ServiceHandle) -> requests.Response:
    form = browser.go(svc.page("/antrag"))
    if "/anmelden" in form.url:
        form = log_in(browser, svc, EMAIL, PASSWORD)
    assert form.url == svc.page("/antrag"), form.url
    return form


def _review(browser: HttpBrowser, svc: ServiceHandle, when: date = PICKUP) -> requests.Response:
    review = browser.submit(_form(browser, svc), **_order(when))
    assert "/pruefen" in review.url, review.text[:500]
    return review


def _standing(year: int, left: int) -> str:
    return f"Gebührenfreie Abholungen {year}: noch {left} von 2."


def _to_provider(
    browser: HttpBrowser, review: requests.Response, provider: str
) -> requests.Response:
    action = re.search(r'action="([^"]+/bezahlen)"', review.text)
    assert action, review.text[:800]
    return browser.submit(review, action.group(1), provider=provider)


def _used(svc: ServiceHandle, year: int = YEAR) -> int:
    """Free pickups used in ``year`` (one citizen in these stories)."""
    with svc.app.app_context():
        query = select(func.coalesce(func.sum(FreeQuotaUse.used), 0)).where(
            FreeQuotaUse.year == year
        )
        return int(kit_db.session.scalar(query) or 0)


def _submitted(svc: ServiceHandle) -> list[Application]:
    with svc.app.app_context():
        rows = list(
            kit_db.session.scalars(select(Application).where(Application.reference.is_not(None)))
        )
        kit_db.session.expunge_all()
        return rows


def _free_pickup(browser: HttpBrowser, svc: ServiceHandle, left: int) -> str:
    review = _review(browser, svc)
    assert _standing(YEAR, left) in review.text
    assert "Dieser Antrag ist gebührenfrei." in review.text and "/bezahlen" not in review.text
    receipt = browser.submit(review)
    assert f"Gebührenfrei im Rahmen des Jahreskontingents {YEAR}." in receipt.text
    return reference_of(receipt)


def test_two_pickups_free_then_the_fee_paid_before_submission(town: World) -> None:
    svc = town.service("sperrmuell")
    start = requests.get(svc.page("/"), timeout=10)
    assert "Gebührenfreie Abholungen je Kalenderjahr: 2; jeder weitere Antrag 35,00 €" in start.text
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    assert f"{YEAR}: noch 2 von 2 gebührenfrei" in form.text
    assert "Es zählt das Kalenderjahr des Wunschtermins." in form.text
    free = [_free_pickup(citizen, svc, 2), _free_pickup(citizen, svc, 1)]
    assert _used(svc) == 2
    assert f"{YEAR}: noch 0 von 2 gebührenfrei" in _form(citizen, svc).text

    review = _review(citizen, svc)
    assert _standing(YEAR, 0) in review.text and "Dieser Antrag kostet 35,00 €." in review.text
    assert "Kostenpflichtig bezahlen und Antrag stellen" in review.text
    # declined at Giro, cancelled at PayPal, abandoned at PayPal: no application, no free pickup
    giro = _to_provider(citizen, review, "giro")
    declined = citizen.submit(giro, giro.url, decision="cancel")
    assert "Die Zahlung wurde nicht abgeschlossen" in declined.text
    checkout = _to_provider(citizen, citizen.go(review.url), "paypal")
    token = checkout.url.split("token=")[1]
    cancelled = citizen.submit(checkout, "/checkoutnow", token=token, decision="cancel")
    assert "Die Zahlung wurde nicht abgeschlossen" in cancelled.text
    assert _to_provider(citizen, citizen.go(review.url), "paypal").status_code == 200
    assert len(_submitted(svc)) == 2 and _used(svc) == 2
    again = citizen.go(review.url)
    assert _standing(YEAR, 0) in again.text and "Gebühr: 35,00 €" in again.text

    giro = _to_provider(citizen, again, "giro")
    receipt = citizen.submit(giro, giro.url, decision="approve")
    paid = reference_of(receipt)
    assert "Gebühr bezahlt: 35,00 €" in receipt.text and "Jahreskontingents" not in receipt.text
    assert _used(svc) == 2  # a paid pickup uses no free one
    rows = {a.reference: a for a in _submitted(svc)}
    assert (rows[paid].fee_cents, rows[paid].free_quota_year) == (3500, None)
    assert all((rows[r].fee_cents, rows[r].free_quota_year) == (0, YEAR) for r in free)
    timeline = hub_timeline(town, citizen)
    assert all(reference in timeline for reference in (*free, paid))
    # an abandoned draft is dropped by ``flask cleanup`` and never counted
    _review(citizen, svc)
    from services.kit.applications import drop_stale_drafts

    with svc.app.app_context():
        assert drop_stale_drafts(0) == 1
    assert len(_submitted(svc)) == 3 and _used(svc) == 2


def test_a_rejected_pickup_gives_its_free_place_back(town: World) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    first = _free_pickup(citizen, svc, 2)
    _free_pickup(citizen, svc, 1)
    waiting = _review(citizen, svc)
    assert "Dieser Antrag kostet 35,00 €." in waiting.text

    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.sperrmuell@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    detail = clerk_application_url(listing, first)
    page = clerk_changes(clerk, svc, detail, "abgelehnt", "Die Straße ist an dem Tag gesperrt.")
    assert page.status_code == 200 and "Abgelehnt" in page.text
    assert _used(svc) == 1
    assert f"{YEAR}: noch 1 von 2 gebührenfrei" in _form(citizen, svc).text

    # the draft that waited with the fee (no payment started) is free again
    review = citizen.go(waiting.url)
    assert _standing(YEAR, 1) in review.text and "Dieser Antrag ist gebührenfrei." in review.text
    receipt = citizen.submit(review)
    assert f"Gebührenfrei im Rahmen des Jahreskontingents {YEAR}." in receipt.text
    assert _used(svc) == 2
    # archiving the rejected one gives nothing more back
    assert clerk_changes(clerk, svc, detail, "archiviert").status_code == 200
    assert _used(svc) == 2 and f"{YEAR}: noch 0 von 2" in _form(citizen, svc).text
    timeline = hub_timeline(town, citizen)
    assert "Die Straße ist an dem Tag gesperrt." in timeline


def test_the_last_free_pickup_taken_in_another_tab_sends_the_review_back_with_the_fee(
    town: World,
) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    _free_pickup(citizen, svc, 2)
    tab_one, tab_two = _review(citizen, svc), _review(citizen, svc)
    for tab in (tab_one, tab_two):
        assert _standing(YEAR, 1) in tab.text and "Dieser Antrag ist gebührenfrei." in tab.text
    assert "/quittung" in citizen.submit(tab_one).url
    back = citizen.submit(tab_two)  # the page still offers to submit it free
    assert back.url == tab_two.url and back.status_code == 200
    assert USED_UP in back.text and _standing(YEAR, 0) in back.text
    assert "Kostenpflichtig bezahlen und Antrag stellen" in back.text
    assert len(_submitted(svc)) == 2 and _used(svc) == 2
    # posting the free submission once more changes nothing: the draft costs the fee now
    assert "/quittung" not in citizen.submit(tab_two).url
    assert len(_submitted(svc)) == 2
    checkout = _to_provider(citizen, back, "paypal")
    token = checkout.url.split("token=")[1]
    receipt = citizen.submit(checkout, "/checkoutnow", token=token, decision="approve")
    reference_of(receipt)
    assert "Gebühr bezahlt: 35,00 €" in receipt.text
    assert len(_submitted(svc)) == 3 and _used(svc) == 2


def test_devices_of_one_citizen_submitting_at_once_take_the_last_free_pickup_once(
    town: World,
) -> None:
    svc = town.service("sperrmuell")
    devices = [HttpBrowser() for _ in range(4)]  # each logs in through the hub on its own
    _free_pickup(devices[0], svc, 2)
    reviews = [_review(device, svc) for device in devices]
    assert all(_standing(YEAR, 1) in review.text for review in reviews)
    barrier = threading.Barrier(len(devices))
    landed: list[requests.Response | BaseException] = [RuntimeError("not run")] * len(devices)

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            landed[i] = devices[i].submit(reviews[i])
        except BaseException as exc:  # reported below
            landed[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(devices))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    pages = [page for page in landed if isinstance(page, requests.Response)]
    assert len(pages) == len(devices), landed
    receipts = [page for page in pages if "/quittung" in page.url]
    sent_back = [page for page in pages if "/pruefen" in page.url]
    assert len(receipts) == 1 and len(sent_back) == len(devices) - 1, [p.url for p in pages]
    assert all(USED_UP in page.text and "35,00 €" in page.text for page in sent_back)
    assert _used(svc) == 2 and len(_submitted(svc)) == 2


def _wider(service: Service, max_days: int) -> Service:
    """A test variant whose pickup date may lie further ahead, so that two calendar years can
    be chosen whatever today is (the real form allows 7 to 90 days)."""
    fields = tuple(
        replace(f, max_days=max_days) if f.name == "wunschtermin" else f for f in service.fields
    )
    return replace(service, fields=fields)


def test_each_calendar_year_of_the_pickup_date_counts_on_its_own_with_a_wider_date_range(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> None:
    service = _wider(sperrmuell.SERVICE, 400)
    with _town(backend, database_url, store, tmp_path, service) as town:
        svc = town.service("sperrmuell")
        citizen = HttpBrowser()
        next_year = date(YEAR + 1, 1, 15)
        form = _form(citizen, svc)
        assert f"{YEAR}: noch 2 von 2 gebührenfrei" in form.text
        assert f"{YEAR + 1}: noch 2 von 2 gebührenfrei" in form.text
        _free_pickup(citizen, svc, 2)
        _free_pickup(citizen, svc, 1)
        assert "Dieser Antrag kostet 35,00 €." in _review(citizen, svc).text
        review = _review(citizen, svc, next_year)
        assert _standing(YEAR + 1, 2) in review.text
        assert "Dieser Antrag ist gebührenfrei." in review.text
        receipt = citizen.submit(review)
        assert f"Gebührenfrei im Rahmen des Jahreskontingents {YEAR + 1}." in receipt.text
        assert (_used(svc, YEAR), _used(svc, YEAR + 1)) == (2, 1)
        form = _form(citizen, svc)
        assert f"{YEAR}: noch 0 von 2" in form.text and f"{YEAR + 1}: noch 1 von 2" in form.text
