"""Phone and recovery codes lost, in a real browser: chromium logs in with the ID card on the
simulator's eID-Client page (no code is asked), goes to "Sicherheit" and switches the second
factor off with the card; axe-core checks the new pages. The card link and the app are set up
beforehand through the hub's pages with the test client (tests/flows/test_totp_card.py has
the negatives)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.clock import FrozenClock
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub
from tests.flows.conftest import AccessibilityAudit, Problems
from tests.flows.test_eid_step_up import erika_with_card
from tests.helpers import Portal
from tests.totp_support import enrol

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(start=1_780_000_000.0)


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


def _page(chromium: Browser, hub: EidHub, problems: Problems) -> Page:
    context = chromium.new_context(base_url=hub.base_url, locale="de-DE")
    page = context.new_page()
    problems.watch(page)
    return page


def test_switching_the_factor_off_with_the_id_card(
    chromium: Browser, hub: EidHub, a11y: AccessibilityAudit
) -> None:
    portal = Portal(hub.app, hub.clock)
    enrol(erika_with_card(hub, portal), hub.clock)
    problems = Problems()
    page = _page(chromium, hub, problems)
    page.goto("/anmelden")
    page.get_by_role("link", name="Mit Online-Ausweis anmelden").click()
    page.get_by_role("link", name="Jetzt mit der AusweisApp ausweisen").click()
    expect(page).to_have_url(re.compile(re.escape(hub.client_url)))
    page.get_by_label(re.compile("Erika Mustermann")).check()
    page.get_by_label("PIN (Testausweise: 123456)").fill("123456")
    page.get_by_role("button", name="Ausweisen").click()
    expect(page).to_have_url(re.compile(re.escape(hub.base_url) + "/konto/"))

    page.goto("/konto/sicherheit")
    page.get_by_role("link", name="Anmeldung mit Code ausschalten").click()
    a11y.check(page, "switch off (with the card offered)")
    page.get_by_role(
        "link",
        name="Smartphone und Wiederherstellungscodes verloren? Mit dem Online-Ausweis ausschalten",
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anmeldung mit Code mit dem Online-Ausweis ausschalten"
    )
    a11y.check(page, "switch off with the card")
    page.get_by_role("button", name="Ausschalten").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Die Anmeldung mit Code aus der App ist ausgeschaltet."
    )
    expect(page.get_by_role("link", name="Anmeldung mit Code einrichten")).to_be_visible()
    a11y.check(page, "sessions (factor off)")
    a11y.assert_clean()
    assert problems.seen == []
