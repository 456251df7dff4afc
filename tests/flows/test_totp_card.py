"""Phone and recovery codes lost: Erika, whose card is linked to her Bürgerkonto (through the
real eID flow against the simulator), logs in with the card — it needs no code — and switches
the second factor off with it instead of a code. Only a card login of the last minutes counts
(older: the page asks for the card again, a step-up of this session that comes back here); a
password session does not; an account without a linked card is sent to the support desk.
Both storage backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from account.models import TotpCredential, TotpRecoveryCode
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub, follow, local, present_card
from tests.flows.test_eid_step_up import erika_with_card, read_card_here
from tests.helpers import Browser, Portal, csrf_token
from tests.totp_support import CODE, enrol

PASSWORD = "Ein langer Satz als Passwort"
EMAIL = "erika@example.org"
DISABLE = "/konto/sicherheit/app/ausschalten"
CARD_OFF = DISABLE + "/ausweis"


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


@pytest.fixture
def portal(hub: EidHub) -> Portal:
    return Portal(hub.app, hub.clock)


@pytest.fixture
def erika_browser(hub: EidHub, portal: Portal) -> Browser:
    """Erika's card is linked and her app enrolled; this browser keeps a password session."""
    browser = erika_with_card(hub, portal)
    enrol(browser, hub.clock)
    hub.clock.advance(30)
    return browser


def factor_rows(portal: Portal) -> tuple[int, int]:
    with portal.app.app_context():
        return (
            len(db.session.scalars(select(TotpCredential)).all()),
            len(db.session.scalars(select(TotpRecoveryCode)).all()),
        )


def disabled_records(portal: Portal) -> list[dict[str, object]]:
    with portal.app.app_context():
        query = select(AuditRecord.details).where(AuditRecord.event == "totp.disabled")
        return list(db.session.scalars(query))


def card_login(hub: EidHub) -> Browser:
    """A new browser (the phone is gone): login with the card, no code asked."""
    browser = hub.browser("203.0.113.40")
    answer = follow(browser, present_card(hub, browser))
    assert answer.request.path == "/konto/profil", answer.request.path
    return browser


def switch_off(browser: Browser, page: TestResponse) -> TestResponse:
    return browser.post(CARD_OFF, {"csrf_token": csrf_token(page.text)})


def test_a_fresh_card_login_switches_the_factor_off_without_a_code(
    hub: EidHub, portal: Portal, erika_browser: Browser
) -> None:
    browser = card_login(hub)
    disable = browser.get(DISABLE)
    assert disable.status_code == 200
    assert f'href="{CARD_OFF}"' in disable.text
    page = browser.get(CARD_OFF)
    assert page.status_code == 200
    assert "soeben mit Ihrem Online-Ausweis angemeldet" in page.text
    assert 'name="code"' not in page.text and "<script" not in page.text
    done = switch_off(browser, page)
    assert done.status_code == 303 and done.headers["Location"].endswith("#app-code")
    assert factor_rows(portal) == (0, 0)
    assert disabled_records(portal) == [{"with_card": True}]
    assert "ausgeschaltet" in portal.last_mail_to(EMAIL).subject
    assert portal.is_logged_in(browser)
    assert not portal.is_logged_in(erika_browser)  # every other session ended (a lost phone)
    fresh = hub.browser("203.0.113.41")
    assert fresh.login(EMAIL, PASSWORD).headers["Location"] == "/konto/profil"  # no code
    assert browser.get(CARD_OFF).headers["Location"].endswith("#app-code")  # nothing left


def test_an_older_card_login_asks_for_the_card_again_and_comes_back(
    hub: EidHub, portal: Portal, erika_browser: Browser, clock: FrozenClock
) -> None:
    browser = card_login(hub)
    page = browser.get(CARD_OFF)
    for _ in range(3):  # within the card session's idle limit, beyond the 10 minutes
        clock.advance(4 * 60)
        assert browser.get("/konto/profil").status_code == 200
    stale = switch_off(browser, page)
    assert stale.status_code == 403
    assert "Mit dem Online-Ausweis bestätigen" in stale.text
    assert factor_rows(portal) == (1, 10) and disabled_records(portal) == []
    again = browser.get(CARD_OFF)
    assert again.status_code == 200 and "Mit dem Online-Ausweis bestätigen" in again.text
    card_link = again.text.split('class="button" href="', 1)[1].split('"', 1)[0]
    start = browser.get(card_link.replace("&amp;", "&"))
    back = read_card_here(hub, browser, start)
    assert back.request.path == CARD_OFF and "soeben mit Ihrem Online-Ausweis" in back.text
    assert switch_off(browser, back).status_code == 303
    assert factor_rows(portal) == (0, 0)


def test_a_password_session_cannot_switch_off_with_the_card_page(
    hub: EidHub, portal: Portal, erika_browser: Browser
) -> None:
    page = erika_browser.get(CARD_OFF)
    assert page.status_code == 200 and 'class="button"' in page.text
    assert "/anmelden/ausweis?next=" in page.text
    assert switch_off(erika_browser, page).status_code == 403
    assert factor_rows(portal) == (1, 10)


def test_a_password_session_raised_by_the_card_may_switch_off(
    hub: EidHub, portal: Portal, erika_browser: Browser
) -> None:
    start = erika_browser.get("/anmelden/ausweis?" + f"next={CARD_OFF}")
    back = read_card_here(hub, erika_browser, start)
    assert back.request.path == CARD_OFF
    assert switch_off(erika_browser, back).status_code == 303
    assert factor_rows(portal) == (0, 0)
    assert portal.is_logged_in(erika_browser)


def test_the_card_of_another_account_proves_nothing(
    hub: EidHub, portal: Portal, erika_browser: Browser
) -> None:
    """Karl's card is linked to Max's account: the step-up in Erika's session refuses it."""
    portal.registered_citizen("max@example.org", PASSWORD)
    max_browser = hub.browser("203.0.113.42")
    assert max_browser.login("max@example.org", PASSWORD).status_code == 303
    linked = present_card(hub, max_browser, "/konto/ausweis/verknuepfen", card="karl")
    follow(max_browser, linked)
    start = erika_browser.get("/anmelden/ausweis?" + f"next={CARD_OFF}")
    answer = read_card_here(hub, erika_browser, start, card="karl")
    assert answer.request.path == "/anmelden/ausweis/ergebnis"
    assert "anderen Bürgerkonto" in answer.text
    page = erika_browser.get(CARD_OFF)
    assert switch_off(erika_browser, page).status_code == 403
    assert factor_rows(portal) == (1, 10)


def test_without_a_linked_card_the_page_points_to_the_support_desk(
    hub: EidHub, portal: Portal
) -> None:
    portal.registered_citizen("max@example.org", PASSWORD)
    browser = hub.browser("203.0.113.43")
    assert browser.login("max@example.org", PASSWORD).status_code == 303
    enrol(browser, hub.clock)
    assert CARD_OFF not in browser.get(DISABLE).text
    page = browser.get(CARD_OFF)
    assert page.status_code == 409 and "Bürgerservice" in page.text
    assert browser.post(CARD_OFF, {"csrf_token": csrf_token(page.text)}).status_code == 409
    assert factor_rows(portal) == (1, 10)


def test_the_code_page_tells_where_to_go_without_codes(hub: EidHub, erika_browser: Browser) -> None:
    browser = hub.browser("203.0.113.44")
    assert browser.login(EMAIL, PASSWORD).headers["Location"] == CODE
    page = browser.get(CODE + "?wiederherstellung=1")
    assert "Auch keine Wiederherstellungscodes mehr?" in page.text
    assert local(hub.base_url + "/anmelden/ausweis") in page.text
