"""Every way a card login can fail, as the citizen meets it at the Bürgerkonto: a clear page,
nobody logged in, nothing changed, the failure in the audit log, password login still there.
Through the hub's pages and the simulator over real HTTP; both storage backends."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.eid.schema import InterfaceVersion
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import (
    EidHub,
    activation_link,
    card_dialogue,
    eid_hub,
    follow,
    local,
    over_http,
    present_card,
)
from tests.helpers import Browser, Portal

PASSWORD = "Ein langer Satz als Passwort"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


@pytest.fixture
def portal(hub: EidHub) -> Portal:
    return Portal(hub.app, hub.clock)


def failed_outcomes(hub: EidHub) -> list[str]:
    with hub.app.app_context():
        query = select(AuditRecord).where(AuditRecord.event == "login.eid.failed")
        return [str(r.details.get("outcome")) for r in db.session.scalars(query)]


def shows_failure(browser: Browser, answer: object, *words: str) -> str:
    page = follow(browser, answer)  # type: ignore[arg-type]
    assert page.status_code == 200
    assert page.request.path == "/anmelden/ausweis/ergebnis"
    assert "Das hat nicht geklappt" in page.text
    for word in words:
        assert word in page.text, word
    return page.text


def password_login_still_works(hub: EidHub, portal: Portal) -> None:
    citizen = portal.registered_citizen("erika@example.org", PASSWORD)
    assert hub.browser("203.0.113.5").login(citizen.email, citizen.password).status_code == 303


@pytest.mark.parametrize(
    ("how", "outcome", "words"),
    [
        ({"action": "abbrechen"}, "cancellationByUser", ["abgebrochen"]),
        ({"pin": "000000"}, "cancellationByUser", ["abgebrochen"]),
        ({"card": "hildegard"}, "getResult#invalidDocument", ["nicht gültig", "Bürgeramt"]),
        (
            {"extra": [("ausweisart", "SEEndorsed")]},
            "getResult#deniedDocument",
            ["reicht für diese Anmeldung nicht aus"],
        ),
        (
            {"extra": [("sitzung_verfallen", "on")]},
            "getResult#invalidSession",
            ["nicht mehr gültig"],
        ),
        (
            {"extra": [("kanalfehler", "on")]},
            "trustedChannelEstablishmentFailed",
            ["sichere Verbindung"],
        ),
        (
            {"extra": [("kommunikationsfehler", "on")]},
            "communicationError",
            ["konnte das Portal nicht erreichen"],
        ),
    ],
)
def test_a_failed_reading_logs_nobody_in(
    hub: EidHub, portal: Portal, how: dict[str, object], outcome: str, words: list[str]
) -> None:
    browser = hub.browser()
    answer = present_card(hub, browser, **how)  # type: ignore[arg-type]
    text = shows_failure(browser, answer, *words)
    assert "Mit E-Mail-Adresse und Passwort anmelden" in text
    assert "Noch einmal mit dem Online-Ausweis versuchen" in text
    assert not portal.is_logged_in(browser)
    assert failed_outcomes(hub) == [outcome]
    password_login_still_works(hub, portal)


def test_the_refresh_address_is_one_time(hub: EidHub, portal: Portal) -> None:
    browser = hub.browser()
    location = card_dialogue(hub, activation_link(browser.get("/anmelden/ausweis")))
    first = follow(browser, browser.get(local(location)))
    assert "noch kein Bürgerkonto verknüpft" in first.text
    replay = hub.browser()
    shows_failure(replay, replay.get(local(location)), "nicht mehr gültig")
    shows_failure(browser, browser.get(local(location)), "nicht mehr gültig")
    assert not portal.is_logged_in(replay)


def test_a_refresh_address_from_another_browser_is_refused(hub: EidHub, portal: Portal) -> None:
    victim, attacker = hub.browser(), hub.browser("203.0.113.66")
    location = card_dialogue(hub, activation_link(victim.get("/anmelden/ausweis")))
    shows_failure(attacker, attacker.get(local(location)), "in einem anderen Browser begonnen")
    assert not portal.is_logged_in(attacker)
    shows_failure(victim, victim.get(local(location)), "nicht mehr gültig")  # spent
    assert failed_outcomes(hub) == ["foreign-session", "transaction-unknown"]


def test_the_refresh_address_of_a_card_login_cannot_take_over_a_session(
    hub: EidHub, portal: Portal
) -> None:
    """A registered card: the attacker who got the victim's RefreshAddress is not logged in."""
    victim = hub.browser()
    card_url = "/anmelden/ausweis?registrieren=1"
    follow(victim, present_card(hub, victim, card_url))
    victim.submit(
        "/registrieren/ausweis", email="erika@example.org", password="", password_repeat=""
    )
    again = hub.browser()
    location = card_dialogue(hub, activation_link(again.get("/anmelden/ausweis")))
    attacker = hub.browser("203.0.113.66")
    shows_failure(attacker, attacker.get(local(location)), "in einem anderen Browser")
    assert not portal.is_logged_in(attacker)


def test_an_expired_transaction(hub: EidHub, portal: Portal, clock: FrozenClock) -> None:
    browser = hub.browser()
    location = card_dialogue(hub, activation_link(browser.get("/anmelden/ausweis")))
    clock.advance(601)
    shows_failure(browser, browser.get(local(location)), "Zeit", "abgelaufen")
    assert not portal.is_logged_in(browser)


def test_result_major_ok_in_the_query_is_not_trusted(hub: EidHub, portal: Portal) -> None:
    from urllib.parse import parse_qs, urlsplit

    from connectors.eid.xml import parse

    browser = hub.browser()
    link = activation_link(browser.get("/anmelden/ausweis"))
    token_url = parse_qs(urlsplit(link).query)["tcTokenURL"][0]
    token = parse(over_http("GET", token_url)[2].encode())
    refresh = token.findtext("RefreshAddress") or ""
    shows_failure(browser, browser.get(local(refresh + "&ResultMajor=ok")), "noch nicht vor")
    assert not portal.is_logged_in(browser)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_eid_server_down(hub: EidHub, portal: Portal) -> None:
    hub.eid_setting(eid_server_url=f"https://127.0.0.1:{_closed_port()}/eID")
    browser = hub.browser()
    status, headers, _ = over_http("GET", activation_link(browser.get("/anmelden/ausweis")))
    assert status == 303 and "/eid/kommunikationsfehler?" in headers["Location"]
    text = shows_failure(browser, browser.get(local(headers["Location"])), "nicht erreichbar")
    assert "Passwort" in text
    assert failed_outcomes(hub) == ["server-unreachable"]
    password_login_still_works(hub, portal)


def test_eid_server_slow(hub: EidHub, portal: Portal) -> None:
    hub.eid_setting(eid_timeout_ms=300)
    browser = hub.browser()
    location = card_dialogue(hub, activation_link(browser.get("/anmelden/ausweis")))
    server = hub.sim.server
    server.config = replace(server.config, answer_delay=1.0)
    text = shows_failure(browser, browser.get(local(location)), "nicht rechtzeitig")
    assert "Passwort" in text
    server.config = replace(server.config, answer_delay=0.0)
    password_login_still_works(hub, portal)


def test_a_failed_step_up_leaves_the_session_as_it_was(hub: EidHub, portal: Portal) -> None:
    citizen = portal.registered_citizen("erika@example.org", PASSWORD)
    browser = hub.browser()
    assert browser.login(citizen.email, PASSWORD).status_code == 303
    answer = present_card(hub, browser, "/anmelden/ausweis?next=/konto/daten", action="abbrechen")
    shows_failure(browser, answer, "abgebrochen")
    assert portal.is_logged_in(browser)
    with hub.app.app_context():
        citizen_id = portal.citizen_id("erika@example.org")
        assert citizen_id is not None
        levels = [s.level for s in hub.app.extensions["account"].sessions.list_for(citizen_id)]
    assert levels == ["low"]
    with hub.app.app_context():
        query = select(AuditRecord).where(AuditRecord.event == "login.eid.failed")
        [record] = db.session.scalars(query)
        assert record.citizen_id == citizen_id  # in the citizen's own activity log
    assert (
        "Anmeldung mit dem Online-Ausweis nicht gelungen" in browser.get("/konto/aktivitaet").text
    )


@pytest.fixture
def hub_202(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store, InterfaceVersion.V2_0_2) as running:
        yield running


def test_interface_version_2_0_2_registers_and_logs_in(hub_202: EidHub) -> None:
    browser = hub_202.browser()
    follow(browser, present_card(hub_202, browser, "/anmelden/ausweis?registrieren=1"))
    done = browser.submit(
        "/registrieren/ausweis", email="erika@example.org", password="", password_repeat=""
    )
    assert done.status_code == 303
    again = hub_202.browser()
    answer = present_card(hub_202, again, "/anmelden/ausweis?next=/konto/profil")
    assert local(answer.headers["Location"]) == "/konto/profil"
    assert again.get("/konto/profil").status_code == 200


def test_card_logins_started_from_one_address_are_limited(hub: EidHub, portal: Portal) -> None:
    browser = hub.browser("198.51.100.99")
    for _ in range(30):
        assert browser.get("/anmelden/ausweis").status_code == 200
    refused = browser.get("/anmelden/ausweis")
    assert refused.status_code == 429 and "Zu viele Anmeldungen" in refused.text
    assert hub.browser("198.51.100.100").get("/anmelden/ausweis").status_code == 200
    password_login_still_works(hub, portal)
