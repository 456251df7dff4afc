"""The whole eID transaction over real HTTP: a browser at the hub, the eID-Client stand-in
fetching the TC token from the served hub, the card read on the stand-in's page, the 303 back
to the RefreshAddress, and getResult over mutual TLS with WS-Security. Every SOAP message is
checked against the schema bundle. Runs on both storage backends (the transaction state lives
in the key-value store)."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from connectors.eid.client import EidServerClient
from connectors.eid.fields import Permission, Requirement
from connectors.eid.messages import UseIdRequest
from connectors.eid.outcomes import EidFailure, Outcome
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.cards import BY_ID, CARDS
from connectors.eid.simulator.pseudonym import restricted_id
from connectors.eid.transaction import EidConfig, EidSuccess, EidTransactions, Finished
from connectors.eid.views import create_blueprint, session_binding
from connectors.eid.xml import parse
from core.clock import FrozenClock
from core.store.base import KeyValueStore
from tests.eid_harness import (
    FAST_POLL,
    LOGIN_REQUEST,
    Pki,
    Recorder,
    SimulatorWorld,
    serving,
    simulator_world,
)
from tests.helpers import Citizen, Portal

SECTOR = "https://buergerportal.example"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@dataclass
class Hub:
    """The hub app served over HTTP with the eID blueprint, as account/ will wire it."""

    app: Flask
    base_url: str
    world: SimulatorWorld
    recorder: Recorder
    transactions: EidTransactions
    store: KeyValueStore
    clock: FrozenClock
    finished: list[Finished] = field(default_factory=list)

    def use_client(self, client: EidServerClient) -> None:
        self.transactions = EidTransactions(
            self.transactions.config, client, self.store, self.clock
        )

    def browser(self) -> FlaskClient:
        return self.app.test_client()

    def start(self, browser: FlaskClient, **query: str) -> str:
        answer = browser.get("/test/eid/start?" + urlencode(query))
        assert answer.status_code == 200
        return answer.text

    def last(self) -> Finished:
        assert self.finished, "the RefreshAddress was not reached"
        return self.finished[-1]


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, app: Flask, store: KeyValueStore, clock: FrozenClock
) -> Iterator[Hub]:
    with simulator_world(pki, tmp_path, sector=SECTOR) as world, serving(app) as served:
        base_url = f"http://127.0.0.1:{served.server_port}"
        recorder = Recorder(InterfaceVersion.V2_4_0)
        config = EidConfig(
            base_url=base_url,
            request=LOGIN_REQUEST,
            client_url=world.client_url,
            poll=FAST_POLL,
            allow_http=True,
        )
        hub = Hub(
            app,
            base_url,
            world,
            recorder,
            EidTransactions(config, world.client(recorder), store, clock),
            store,
            clock,
        )

        def on_finish(done: Finished) -> Response:
            hub.finished.append(done)
            outcome = done.outcome
            return Response("ok" if isinstance(outcome, EidSuccess) else outcome.message)

        app.register_blueprint(create_blueprint(lambda: hub.transactions, on_finish))

        @app.get("/test/eid/start")
        def start() -> str:
            from flask import request

            request_ = None
            if "age" in request.args:
                request_ = UseIdRequest(
                    {"AgeVerification": Requirement.REQUIRED, "RestrictedID": Requirement.REQUIRED},
                    age_verification=int(request.args["age"]),
                )
            return hub.transactions.start(
                session_binding(), {"for": "login"}, request_
            ).activation_link

        yield hub
        assert recorder.problems() == []


# --- the eID-Client side, over real HTTP ---------------------------------------------------------


def _http(
    method: str, url: str, body: dict[str, str] | list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        connection.request(
            method, path, body=urlencode(body) if body is not None else None, headers=headers
        )
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        connection.close()


def open_client(link: str) -> tuple[int, dict[str, str], str]:
    return _http("GET", link)


def _dialogue_key(page: str) -> str:
    found = re.search(r'name="vorgang" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def read_card(
    hub: Hub,
    browser: FlaskClient,
    card: str = "erika",
    *,
    pin: str = "123456",
    action: str = "ausweisen",
    keep: list[str] | None = None,
    extra: list[tuple[str, str]] | None = None,
    link: str | None = None,
) -> Finished:
    """The citizen's whole way: activation link → stand-in page → 303 → RefreshAddress."""
    status, _, page = open_client(link or hub.start(browser))
    assert status == 200, page
    fields = [("vorgang", _dialogue_key(page)), ("karte", card), ("pin", pin), ("aktion", action)]
    optional = [n for n, r in LOGIN_REQUEST.operations.items() if r is Requirement.ALLOWED]
    fields += [("freigabe", name) for name in (optional if keep is None else keep)]
    status, headers, _ = _http("POST", hub.world.client_url + "/vorgang", fields + (extra or []))
    assert status == 303
    return follow(hub, browser, headers["Location"])


def pin_entered(hub: Hub, browser: FlaskClient) -> str:
    """Start, open the stand-in page, pick Erika, enter the PIN: the 303's Location."""
    _, _, page = open_client(hub.start(browser))
    fields = [("vorgang", _dialogue_key(page)), ("karte", "erika"), ("pin", "123456")]
    status, headers, _ = _http("POST", hub.world.client_url + "/vorgang", fields)
    assert status == 303
    return headers["Location"]


def follow(hub: Hub, browser: FlaskClient, location: str) -> Finished:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == hub.base_url
    count = len(hub.finished)
    assert browser.get(parts.path + "?" + parts.query).status_code == 200
    assert len(hub.finished) == count + 1
    return hub.last()


def success(done: Finished) -> EidSuccess:
    assert isinstance(done.outcome, EidSuccess), done.outcome
    return done.outcome


def failure(done: Finished) -> Outcome:
    assert isinstance(done.outcome, EidFailure), done.outcome
    return done.outcome.outcome


# --- success per identity -----------------------------------------------------------------


@pytest.mark.parametrize("card_id", [c.id for c in CARDS if c.id != "hildegard"])
def test_every_test_card_logs_in_with_its_exact_data(hub: Hub, card_id: str) -> None:
    done = read_card(hub, hub.browser(), card_id)
    result = success(done).result
    card = BY_ID[card_id]
    data = result.personal_data
    assert done.purpose == {"for": "login"}
    assert data.given_names == card.given_names
    assert data.family_names == card.family_names
    assert data.date_of_birth is not None and data.date_of_birth.date_string == card.date_of_birth
    assert data.place_of_residence == card.place_of_residence
    assert data.document_type == card.document_type
    assert data.restricted_id is not None
    assert data.restricted_id.id == restricted_id(card_id, 1, SECTOR)
    assert result.level_of_assurance.uri == "http://bsi.bund.de/eID/LoA/hoch"
    expected_nationality = Permission.NOTONCHIP if card.nationality is None else Permission.ALLOWED
    assert result.operations["Nationality"] is expected_nationality
    assert data.nationality == card.nationality


def test_the_data_as_the_card_has_it(hub: Hub) -> None:
    erika = success(read_card(hub, hub.browser(), "erika")).result.personal_data
    residence = erika.place_of_residence
    assert residence is not None and residence.structured is not None
    assert residence.structured.street == "HEIDESTRAẞE 17"
    assert erika.date_of_birth is not None and erika.date_of_birth.date_value is not None
    cosic = success(read_card(hub, hub.browser(), "cosic")).result.personal_data
    assert cosic.date_of_birth is not None
    assert (cosic.date_of_birth.date_string, cosic.date_of_birth.date_value) == ("199409  ", None)
    ozmen = success(read_card(hub, hub.browser(), "ozmen")).result.personal_data
    assert ozmen.family_names == "ÖZM\u0302EN"
    johanna = success(read_card(hub, hub.browser(), "johanna")).result.personal_data
    assert johanna.place_of_residence is not None and johanna.place_of_residence.structured
    assert johanna.place_of_residence.structured.street == " BOUCHÉSTR. 68 A"
    assert (johanna.artistic_name, johanna.academic_title) == ("ORDENSSCHWESTER JOHANNA", "DR.")
    karl = success(read_card(hub, hub.browser(), "karl"))
    assert karl.result.personal_data.place_of_residence is not None
    assert (
        karl.result.personal_data.place_of_residence.no_place_info == "keine Wohnung in Deutschland"
    )
    assert karl.result.operations["CommunityID"] is Permission.NOTONCHIP
    assert karl.result.personal_data.community_id is None


def test_a_new_card_of_the_same_person_has_a_new_restricted_id(hub: Hub) -> None:
    first = success(read_card(hub, hub.browser(), "erika")).result.personal_data.restricted_id
    again = success(read_card(hub, hub.browser(), "erika")).result.personal_data.restricted_id
    new = success(
        read_card(hub, hub.browser(), "erika", extra=[("generation", "2")])
    ).result.personal_data.restricted_id
    assert first == again
    assert first != new


def test_deselected_optional_fields_are_prohibited(hub: Hub) -> None:
    result = success(read_card(hub, hub.browser(), "johanna", keep=["Nationality"])).result
    assert result.operations["ArtisticName"] is Permission.PROHIBITED
    assert result.operations["AcademicTitle"] is Permission.PROHIBITED
    assert result.operations["Nationality"] is Permission.ALLOWED
    assert result.personal_data.artistic_name is None
    assert result.personal_data.academic_title is None
    assert result.personal_data.given_names == "JOHANNA EDELTRAUT LISBETH"


def test_age_verification_of_a_minor_fails(hub: Hub) -> None:
    browser = hub.browser()
    link = hub.start(browser, age="18")
    lilly = success(read_card(hub, browser, "lilly", keep=[], link=link)).result
    assert lilly.fulfils_age_verification is False
    assert lilly.personal_data.given_names is None
    browser = hub.browser()
    erika = success(read_card(hub, browser, "erika", keep=[], link=hub.start(browser, age="18")))
    assert erika.result.fulfils_age_verification is True


def test_no_result_yet_for_some_polls_then_the_result(hub: Hub) -> None:
    done = read_card(hub, hub.browser(), "erika", extra=[("verzoegerung", "3")])
    assert success(done).result.personal_data.given_names == "ERIKA"
    polls = [a for a, _, _ in hub.recorder.exchanges if a.endswith("getResult")]
    assert len(polls) == 4


# --- failures -----------------------------------------------------------------------------------


def test_cancel_and_wrong_pin(hub: Hub) -> None:
    assert failure(read_card(hub, hub.browser(), action="abbrechen")) is Outcome.CANCELLED_BY_USER
    assert failure(read_card(hub, hub.browser(), pin="000000")) is Outcome.CANCELLED_BY_USER


def test_expired_card_is_an_invalid_document(hub: Hub) -> None:
    assert failure(read_card(hub, hub.browser(), "hildegard")) is Outcome.INVALID_DOCUMENT


def test_eid_type_below_the_level_is_denied(hub: Hub) -> None:
    done = read_card(hub, hub.browser(), extra=[("ausweisart", "SEEndorsed")])
    assert failure(done) is Outcome.DENIED_DOCUMENT


def test_session_lost_at_the_server(hub: Hub) -> None:
    done = read_card(hub, hub.browser(), extra=[("sitzung_verfallen", "on")])
    assert failure(done) is Outcome.INVALID_SESSION


def test_trusted_channel_failure_and_communication_error(hub: Hub) -> None:
    done = read_card(hub, hub.browser(), extra=[("kanalfehler", "on")])
    assert failure(done) is Outcome.TRUSTED_CHANNEL_FAILED
    done = read_card(hub, hub.browser(), extra=[("kommunikationsfehler", "on")])
    assert failure(done) is Outcome.COMMUNICATION_ERROR


def test_result_major_ok_in_the_query_is_not_trusted(hub: Hub) -> None:
    """The browser goes to the RefreshAddress with ResultMajor=ok before any card was read."""
    browser = hub.browser()
    token = _http("GET", _tc_token_url(hub.start(browser)))[2]
    refresh = parse(token.encode()).findtext("RefreshAddress")
    assert refresh is not None
    done = follow(hub, browser, refresh + "&ResultMajor=ok")
    assert failure(done) is Outcome.RESULT_NOT_READY


def test_refresh_address_is_one_time(hub: Hub) -> None:
    browser = hub.browser()
    location = pin_entered(hub, browser)
    assert success(follow(hub, browser, location))
    assert failure(follow(hub, browser, location)) is Outcome.TRANSACTION_UNKNOWN


def test_foreign_browser_cannot_use_the_refresh_address(hub: Hub) -> None:
    victim, attacker = hub.browser(), hub.browser()
    location = pin_entered(hub, victim)
    assert failure(follow(hub, attacker, location)) is Outcome.FOREIGN_SESSION
    assert failure(follow(hub, victim, location)) is Outcome.TRANSACTION_UNKNOWN


def test_expired_transaction(hub: Hub, clock: FrozenClock) -> None:
    browser = hub.browser()
    location = pin_entered(hub, browser)
    clock.advance(601)
    assert failure(follow(hub, browser, location)) is Outcome.TRANSACTION_EXPIRED


def _tc_token_url(link: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(urlsplit(link).query)["tcTokenURL"][0]


def test_tc_token_format_and_one_use(hub: Hub, clock: FrozenClock) -> None:
    browser = hub.browser()
    url = _tc_token_url(hub.start(browser))
    status, headers, body = _http("GET", url)
    assert status == 200
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    root = parse(body.encode())
    assert [c.tag for c in root] == [
        "ServerAddress",
        "SessionIdentifier",
        "RefreshAddress",
        "CommunicationErrorAddress",
        "Binding",
        "PathSecurity-Protocol",
        "PathSecurity-Parameters",
    ]
    assert root.findtext("ServerAddress") == hub.world.sim.config.ecard_server_address
    again = parse(_http("GET", url)[2].encode())
    assert [c.tag for c in again if (c.text or "").strip()] == ["CommunicationErrorAddress"]
    late = _tc_token_url(hub.start(browser))
    clock.advance(601)
    expired = parse(_http("GET", late)[2].encode())
    assert not (expired.findtext("RefreshAddress") or "").strip()


def test_activation_links_point_at_the_client(hub: Hub) -> None:
    started = hub.transactions.start("binding")
    assert started.activation_link.startswith(
        hub.world.client_url + "?tcTokenURL=http%3A%2F%2F127.0.0.1"
    )
    assert started.mobile_activation_link.startswith("eid://127.0.0.1:")


# --- the eID-Server down or slow ----------------------------------------------------------


def test_server_down_at_tc_token_time_ends_at_the_communication_error_address(
    hub: Hub, portal: Portal, erika: Citizen
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = hub.world.client(hub.recorder, url=f"https://127.0.0.1:{closed}/eID")
    hub.use_client(down)
    browser = hub.browser()
    status, headers, _ = open_client(hub.start(browser))
    assert status == 303
    assert "/eid/kommunikationsfehler?" in headers["Location"]
    assert "ResultMinor=communicationError" in headers["Location"]
    done = follow(hub, browser, headers["Location"])
    assert failure(done) is Outcome.SERVER_UNREACHABLE
    assert isinstance(done.outcome, EidFailure) and "Passwort" in done.outcome.message
    assert portal.browser.login(erika.email, erika.password).status_code == 303


def test_server_slow_at_get_result(hub: Hub) -> None:
    slow_client = hub.world.client(hub.recorder, timeout=0.3)
    hub.use_client(slow_client)
    browser = hub.browser()
    location = pin_entered(hub, browser)
    server = hub.world.sim.server
    server.config = replace(server.config, answer_delay=1.0)
    assert failure(follow(hub, browser, location)) is Outcome.SERVER_TIMEOUT


def test_the_stand_in_page_lists_every_card_and_the_requested_fields(hub: Hub) -> None:
    status, headers, page = open_client(hub.start(hub.browser()))
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert '<html lang="de">' in page
    assert page.count('type="radio" name="karte"') == 12
    assert '<label for="pin">' in page
    assert "Anmeldung am Bürgerportal" in page
    assert "Vornamen (Pflichtangabe)" in page
    assert 'name="freigabe" value="ArtisticName" checked' in page
    assert "<script" not in page
