"""Logout at a service in a real browser (Debian's chromium, JavaScript off): the service's
"Abmelden" form, then its own page moving on to the hub by the Refresh header — Chromium would
hold a redirect after the form to the page's CSP form-action — through the hub's logout (and
for SAML its front-channel chain through the other service) back to the service's "Abgemeldet"
page; the other service's session is over too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.store.base import KeyValueStore
from services import hundesteuer, meldebescheinigung, sperrmuell, ummeldung
from services.kit.definition import Service
from tests.flows.conftest import Problems
from tests.flows.services.world import ServiceHandle, World, at_level, world

pytestmark = [pytest.mark.browser, pytest.mark.storage]
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
}
PAIRS: dict[str, dict[str, Service]] = {
    "saml": {"sperrmuell": sperrmuell.SERVICE, "hundesteuer": at_level(hundesteuer.SERVICE, "low")},
    "oidc": {
        "ummeldung": at_level(ummeldung.SERVICE, "low"),
        "meldebescheinigung": at_level(meldebescheinigung.SERVICE, "low"),
    },
}


@pytest.fixture(params=sorted(PAIRS))
def town(
    request: pytest.FixtureRequest,
    backend: str,
    database_url: str,
    store: KeyValueStore,
    tmp_path: Path,
) -> Iterator[World]:
    if backend != "sqlite+memory":
        pytest.skip("one browser run is enough; the flow tests cover PostgreSQL + Redis")
    with world(backend, database_url, store, tmp_path, PAIRS[request.param]) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def _into(page: Page, town: World, svc: ServiceHandle, password: bool) -> None:
    page.goto(svc.page("/anmelden"))
    if password:
        expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden")))
        page.get_by_label("E-Mail-Adresse").fill(EMAIL)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
    if svc.service.protocol == "saml":  # the hub's HTTP-POST binding page: one button
        page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page).to_have_url(svc.page("/antrag"))


def test_logout_at_a_service_ends_both_sessions_in_chromium(town: World, chromium: Browser) -> None:
    first, second = town.services.values()
    problems = Problems()
    context = chromium.new_context(locale="de-DE", java_script_enabled=False)
    try:
        page = context.new_page()
        problems.watch(page)
        _into(page, town, first, password=True)
        _into(page, town, second, password=False)  # single sign-on
        page.goto(first.page("/antrag"))
        page.get_by_role("button", name="Abmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Abgemeldet")
        expect(page).to_have_url(re.compile(re.escape(first.url)))
        expect(page.get_by_role("status")).to_contain_text("im Bürgerportal abgemeldet")
        if first.service.protocol == "oidc":
            assert town.hub.extensions["oidc_backchannel"].flush(30)
        for svc in (first, second):
            page.goto(svc.page("/antrag"))
            expect(page).to_have_url(re.compile(re.escape(town.hub_url + "/anmelden")))
    finally:
        context.close()
    assert problems.seen == []
