"""The status push off the request thread, through the real hub over HTTP: an event reaches the
hub; with the hub's inbox down or hanging, the citizen's and the clerk's requests still
succeed and the events arrive once it is back, each once; two service processes on one
database never send the same event twice; a refusal (the citizen's account deleted at the
hub) is final, not retried. Waits are bounded poll loops, never timed assertions."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from flask import Flask

from core.store.base import KeyValueStore
from services import sperrmuell
from services.kit import create_service_app
from services.kit.config import RetryPolicy, ServiceConfig
from services.kit.models import Application, ApplicationEvent
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

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
INBOX = "/api/status/v1/updates"
CLERK = "sachbearbeitung.sperrmuell@example.org"


class InboxGate:
    """WSGI middleware in front of the hub's status inbox (nothing else of the hub): ``open``
    passes updates through, ``down`` answers 503 as a proxy before a stopped hub would,
    ``hold`` keeps each update until :attr:`released` is set (a hanging hub)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.mode = "open"
        self.released = threading.Event()
        self.holding = threading.Event()
        self.refused = 0
        self.passed: list[str] = []  # event ids handed to the hub, in order
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != INBOX:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        if self.mode == "down":
            with self._lock:
                self.refused += 1
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        if self.mode == "hold":
            self.holding.set()
            self.released.wait(60)  # a bound only, so a broken test cannot hang forever
        with self._lock:
            self.passed.append(json.loads(body)["event_id"])
        return self.app(environ, start_response)


def _quick(config: ServiceConfig) -> ServiceConfig:
    """Retries after a fraction of a second, and a read timeout far beyond the browser's (30 s):
    a push on the request thread would make the browser give up while the inbox hangs."""
    return replace(
        config, push_policy=RetryPolicy(attempts=10_000, backoff=0.1, longest=0.5), push_timeout=120
    )


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {"sperrmuell": sperrmuell.SERVICE}
    with world(backend, database_url, store, tmp_path, services, tune=_quick) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


@pytest.fixture
def gate(town: World) -> Iterator[InboxGate]:
    found = InboxGate(town.hub.wsgi_app)
    town.hub.wsgi_app = found  # type: ignore[method-assign]
    yield found
    found.released.set()


def _submit(browser: HttpBrowser, svc: ServiceHandle) -> str:
    form = browser.go(svc.page("/antrag"))
    if "/antrag" not in form.url:
        form = log_in(browser, svc, EMAIL, PASSWORD)
    review = browser.submit(
        form,
        telefon="0221 654321",
        gegenstaende="1 Sofa",
        volumen="2",
        wunschtermin=(date.today() + timedelta(days=10)).isoformat(),
        stellplatz="gehweg",
    )
    receipt = browser.submit(review)
    assert receipt.status_code == 200, receipt.text[:500]
    return reference_of(receipt)


def _clerk(svc: ServiceHandle) -> tuple[HttpBrowser, requests.Response]:
    """A clerk logged in to the back office, and its list of applications."""
    clerk = HttpBrowser()
    listing = log_in(clerk, svc, CLERK, CLERK_PASSWORD, path="/verwaltung")
    assert listing.status_code == 200
    return clerk, listing


def _events(app: Flask) -> list[ApplicationEvent]:
    with app.app_context():
        query = kit_db.select(ApplicationEvent).order_by(ApplicationEvent.id)
        rows = list(kit_db.session.scalars(query))
        kit_db.session.expunge_all()
        return rows


def _until(condition: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _section(timeline: str, reference: str) -> str:
    start = timeline.index(reference)
    end = timeline.find("<h2", start)
    return timeline[start : end if end > 0 else len(timeline)]


def _entries(section: str, label: str) -> int:
    """How often the timeline lists a state (the current state shows apart from it)."""
    return section.count(f"<strong>{label}</strong>")


def test_an_event_reaches_the_hub(town: World, gate: InboxGate) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    reference = _submit(citizen, svc)
    section = _section(hub_timeline(town, citizen), reference)
    assert _entries(section, "Eingegangen") == 1
    (event,) = _events(svc.app)
    assert gate.passed == [event.event_id]
    assert event.pushed_at is not None and event.push_attempts == 0 and event.push_failed is None


def test_hub_down_the_requests_succeed_and_the_events_follow_once(
    town: World, gate: InboxGate
) -> None:
    svc = town.service("sperrmuell")
    gate.mode = "down"
    citizen = HttpBrowser()
    reference = _submit(citizen, svc)
    clerk, listing = _clerk(svc)
    detail = clerk_application_url(listing, reference)
    changed = clerk_changes(clerk, svc, detail, "in_bearbeitung", "Termin wird geprüft.")
    assert changed.status_code == 200 and "In Bearbeitung" in changed.text
    _until(lambda: _events(svc.app)[0].push_attempts >= 2)  # tried and tried again
    first, second = sorted(_events(svc.app), key=lambda e: e.id)
    assert second.push_attempts == 0  # waits behind the first: one application, in order
    assert all(e.pushed_at is None and e.push_failed is None for e in (first, second))
    page = citizen.go(town.hub_url + "/konto/antraege")
    assert reference not in page.text and gate.passed == []

    gate.mode = "open"  # the hub is back: the retries bring both events, in their order
    section = _section(hub_timeline(town, citizen), reference)
    assert _entries(section, "Eingegangen") == 1 and _entries(section, "In Bearbeitung") == 1
    assert section.count("Termin wird geprüft.") == 1
    events = _events(svc.app)
    assert gate.passed == [e.event_id for e in sorted(events, key=lambda e: e.id)]
    assert len([m for m in town.mails_to(EMAIL) if reference in m.subject]) == 2


def test_a_hanging_hub_holds_neither_citizen_nor_clerk(town: World, gate: InboxGate) -> None:
    svc = town.service("sperrmuell")
    gate.mode = "hold"
    citizen = HttpBrowser()
    reference = _submit(citizen, svc)  # its push now hangs at the hub for up to 120 s
    gate.holding.wait(30)
    assert gate.holding.is_set()
    clerk, listing = _clerk(svc)
    detail = clerk_application_url(listing, reference)
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    assert gate.passed == []  # both answered while the first push was still held
    gate.released.set()
    section = _section(hub_timeline(town, citizen), reference)
    assert _entries(section, "Eingegangen") == 1 and _entries(section, "In Bearbeitung") == 1
    assert sorted(gate.passed) == sorted(e.event_id for e in _events(svc.app))


def test_two_processes_share_the_outbox_without_sending_twice(town: World, gate: InboxGate) -> None:
    svc = town.service("sperrmuell")
    config = replace(svc.app.extensions["kit_config"], push_policy=RetryPolicy(backoff=0.05))
    second = create_service_app(svc.service, config)  # another worker on the same database
    try:
        gate.mode = "down"
        citizen = HttpBrowser()
        references = [_submit(citizen, svc) for _ in range(2)]  # the year's free pickups
        clerk, listing = _clerk(svc)
        for reference in references:
            detail = clerk_application_url(listing, reference)
            clerk_changes(clerk, svc, detail, "in_bearbeitung")
        gate.mode = "open"
        second.extensions["kit_sender"].wake()
        svc.app.extensions["kit_sender"].wake()
        timeline = hub_timeline(town, citizen)
        assert len(gate.passed) == 4 and len(set(gate.passed)) == 4  # claimed, never twice
        for reference in references:
            section = _section(timeline, reference)
            assert _entries(section, "Eingegangen") == _entries(section, "In Bearbeitung") == 1
    finally:
        second.extensions["kit_sender"].stop()
        with second.app_context():
            kit_db.engine.dispose()


def test_a_refusal_is_final(town: World, gate: InboxGate) -> None:
    from account import lifecycle
    from account.models import citizen_by_email

    svc = town.service("sperrmuell")
    gate.mode = "down"
    citizen = HttpBrowser()
    _submit(citizen, svc)
    with town.hub.test_request_context():  # the citizen deletes the account at the hub
        found = citizen_by_email(EMAIL)
        assert found is not None and lifecycle.delete(found, PASSWORD, "127.0.0.1")
    gate.mode = "open"
    town.settle()
    (event,) = _events(svc.app)
    assert event.pushed_at is None and (event.push_failed or "").startswith("HTTP 404")
    attempts = event.push_attempts
    with svc.app.app_context():
        assert svc.app.extensions["kit_sender"].drain(due_only=False) == 0  # nothing to send
        application = kit_db.session.get(Application, event.application_id)
        assert application is not None and application.state == "eingegangen"
    assert _events(svc.app)[0].push_attempts == attempts and len(gate.passed) == 1


def test_retries_are_bounded_and_the_operator_can_requeue(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> None:
    def few(config: ServiceConfig) -> ServiceConfig:
        return replace(config, push_policy=RetryPolicy(attempts=3, backoff=0.05, longest=0.1))

    services = {"sperrmuell": sperrmuell.SERVICE}
    with world(backend, database_url, store, tmp_path, services, tune=few) as town:
        town.citizen(EMAIL, PASSWORD, PROFILE)
        gate = InboxGate(town.hub.wsgi_app)
        town.hub.wsgi_app = gate  # type: ignore[method-assign]
        svc = town.service("sperrmuell")
        gate.mode = "down"
        citizen = HttpBrowser()
        reference = _submit(citizen, svc)
        town.settle()  # nothing pending any more: given up after three attempts
        (event,) = _events(svc.app)
        assert event.push_attempts == 3 and gate.refused == 3
        assert event.push_failed == "3 attempts, last: HTTP 503" and event.pushed_at is None
        gate.mode = "open"
        runner = svc.app.test_cli_runner()
        plain = runner.invoke(args=["push-status"])
        assert plain.exit_code == 0 and "0 updates sent" in plain.output
        again = runner.invoke(args=["push-status", "--requeue"])
        assert again.exit_code == 0, again.output
        assert "1 failed updates queued again" in again.output and "1 updates sent" in again.output
        assert gate.passed == [event.event_id]
        assert _entries(_section(hub_timeline(town, citizen), reference), "Eingegangen") == 1


def test_the_pushed_application_is_in_the_citizens_export(town: World, gate: InboxGate) -> None:
    svc = town.service("sperrmuell")
    citizen = HttpBrowser()
    reference = _submit(citizen, svc)
    clerk, listing = _clerk(svc)
    detail = clerk_application_url(listing, reference)
    assert clerk_changes(clerk, svc, detail, "in_bearbeitung").status_code == 200
    asked = clerk_changes(clerk, svc, detail, "rueckfrage", "Passt das Sofa durch die Tür?")
    assert asked.status_code == 200
    town.settle()
    form = citizen.go(town.hub_url + "/konto/daten")
    download = citizen.submit(form)
    assert download.headers["Content-Type"].startswith("application/json")
    (application,) = download.json()["applications"]
    assert application["reference"] == reference and application["state"] == "rueckfrage"
    assert [(e["state"], e["note"]) for e in application["timeline"]] == [
        ("eingegangen", ""),
        ("in_bearbeitung", ""),
        ("rueckfrage", "Passt das Sofa durch die Tür?"),
    ]
