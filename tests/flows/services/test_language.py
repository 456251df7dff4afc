"""The service apps are German first with English available, as the hub: the language switch is
a plain link (no JavaScript), the choice is remembered, ``<html lang>`` follows it, and an OIDC
service asks the hub for its pages in the same language (``ui_locales``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from core.store.base import KeyValueStore
from services import sperrmuell, ummeldung
from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.storage import upgrade
from tests.flows.services.steps import log_in
from tests.flows.services.world import HttpBrowser, World, at_level, world
from tests.unit.test_translations import assert_fully_switched

EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
LANG_RE = re.compile(r'<html lang="([a-z]+)">')


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Flask]:
    database = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(database)
    config = ServiceConfig(
        base_url="http://127.0.0.1:9",
        hub_url="http://127.0.0.1:8",
        database_url=database,
        var_dir=tmp_path,
        secret_key="k" * 40,
    )
    app = create_service_app(sperrmuell.SERVICE, config)
    yield app
    app.extensions["kit_sender"].stop()


def _lang(page: str) -> str:
    match = LANG_RE.search(page)
    assert match, page[:200]
    return match.group(1)


def test_the_switch_is_a_plain_link_and_the_choice_stays(service: Flask) -> None:
    browser = service.test_client()
    german = browser.get("/?x=1", headers={"Accept-Language": "de-DE"}).text
    assert _lang(german) == "de" and "Sperrmüllabholung" in german
    switch = re.search(r'<a href="([^"]+)" hreflang="en" lang="en">English</a>', german)
    assert switch and switch.group(1).replace("&amp;", "&") == "/?x=1&lang=en"
    english = browser.get("/?x=1&lang=en", headers={"Accept-Language": "de-DE"})
    assert _lang(english.text) == "en" and "Sperrmüll collection" in english.text
    assert 'hreflang="de" lang="de">Deutsch</a>' in english.text
    assert_fully_switched(german, english.text)
    cookie = english.headers["Set-Cookie"]
    assert cookie.startswith("svc_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # remembered: later pages, error pages too, whatever the browser prefers
    assert _lang(browser.get("/", headers={"Accept-Language": "de-DE"}).text) == "en"
    missing = browser.get("/nichts-hier", headers={"Accept-Language": "de-DE"})
    assert missing.status_code == 404 and _lang(missing.text) == "en"
    assert "This page does not exist" in missing.text
    assert _lang(browser.get("/?lang=fr").text) == "en"  # an unknown choice changes nothing
    assert _lang(browser.get("/?lang=de").text) == "de"
    assert _lang(browser.get("/").text) == "de"


def test_without_a_choice_the_browsers_language_then_german(service: Flask) -> None:
    assert _lang(service.test_client().get("/", headers={"Accept-Language": "en-GB"}).text) == "en"
    assert _lang(service.test_client().get("/", headers={"Accept-Language": "fr"}).text) == "de"
    assert _lang(service.test_client().get("/").text) == "de"


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {"ummeldung": at_level(ummeldung.SERVICE, "low")}
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, {"given_names": ("Erika", "eid")})
        yield w


@pytest.mark.storage
def test_the_hub_speaks_the_language_chosen_at_the_service(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    start = citizen.go(svc.page("/?lang=en"))
    assert _lang(start.text) == "en"
    login = citizen.go(svc.page("/anmelden"))
    assert login.url.startswith(town.hub_url + "/anmelden") and _lang(login.text) == "en"
    assert "Log in" in login.text
    form = log_in(citizen, svc, EMAIL, PASSWORD)
    assert form.url == svc.page("/antrag") and _lang(form.text) == "en"


@pytest.mark.browser
@pytest.mark.storage
def test_the_switch_works_in_chromium_without_javascript(
    town: World, chromium: Browser, backend: str
) -> None:
    """(axe-core needs JavaScript: the layout with the switch is checked in
    test_browser_service.py.)"""
    if backend != "sqlite+memory":
        pytest.skip("one browser run is enough")
    svc = town.service("ummeldung")
    context = chromium.new_context(locale="de-DE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(svc.page("/"))
        expect(page.locator("html")).to_have_attribute("lang", "de")
        page.get_by_role("navigation", name="Sprache").get_by_role("link").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("navigation", name="Language")).to_contain_text("Deutsch")
        page.get_by_role("link", name=re.compile("log in", re.I)).first.click()
        expect(page.locator("html")).to_have_attribute("lang", "en")  # the hub's login page
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
    finally:
        context.close()
