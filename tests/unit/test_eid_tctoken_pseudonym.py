"""TC token format and activation links (TR-03124-1), and the simulator's RestrictedID."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import ec

from connectors.eid import tctoken
from connectors.eid.simulator.cards import CARDS
from connectors.eid.simulator.pseudonym import (
    BRAINPOOL_P256R1_ORDER,
    card_key,
    restricted_id,
    sector_public_key,
)
from connectors.eid.xml import parse

TOKEN = tctoken.TcToken(
    server_address="https://eid.example/paos",
    session_identifier="1234567890ABCDEF",
    refresh_address="https://hub.example/eid/zurueck?r=abc",
    communication_error_address="https://hub.example/eid/kommunikationsfehler?t=x",
    psk="AB" * 32,
)


def test_tc_token_elements_in_exact_order() -> None:
    root = parse(tctoken.build(TOKEN))
    assert root.tag == "TCTokenType"
    assert [c.tag for c in root] == [
        "ServerAddress",
        "SessionIdentifier",
        "RefreshAddress",
        "CommunicationErrorAddress",
        "Binding",
        "PathSecurity-Protocol",
        "PathSecurity-Parameters",
    ]
    assert root.findtext("Binding") == "urn:liberty:paos:2006-08"
    assert root.findtext("PathSecurity-Protocol") == "urn:ietf:rfc:4279"
    assert root.findtext("PathSecurity-Parameters/PSK") == "AB" * 32
    assert tctoken.read(tctoken.build(TOKEN)) == TOKEN
    assert tctoken.CONTENT_TYPE == "text/xml; charset=utf-8"


def test_error_token_has_only_the_communication_error_address() -> None:
    root = parse(tctoken.build_error("https://hub.example/eid/kommunikationsfehler?t=x"))
    filled = [c.tag for c in root if (c.text or "").strip()]
    assert filled == ["CommunicationErrorAddress"]


def test_activation_links() -> None:
    url = "https://hub.example/eid/tctoken?t=a b&c"
    assert tctoken.activation_link(url) == (
        "http://127.0.0.1:24727/eID-Client?tcTokenURL="
        "https%3A%2F%2Fhub.example%2Feid%2Ftctoken%3Ft%3Da%20b%26c"
    )
    assert tctoken.mobile_activation_link(url).startswith(
        "eid://127.0.0.1:24727/eID-Client?tcTokenURL=https%3A"
    )


def test_redirect_keeps_existing_query_parameters() -> None:
    assert (
        tctoken.with_result("https://hub.example/eid/zurueck?r=abc&x=1", [("ResultMajor", "ok")])
        == "https://hub.example/eid/zurueck?r=abc&x=1&ResultMajor=ok"
    )


def test_restricted_id_is_sha256_of_the_ecdh_x_coordinate() -> None:
    sector = "https://buergerportal.example"
    key = card_key("erika")
    shared = key.exchange(ec.ECDH(), sector_public_key(sector))
    assert len(shared) == 32
    assert restricted_id("erika", 1, sector) == hashlib.sha256(shared).hexdigest().upper()
    assert isinstance(key.curve, ec.BrainpoolP256R1)
    assert 0 < key.private_numbers().private_value < BRAINPOOL_P256R1_ORDER


def test_restricted_id_stable_per_card_and_sector_and_new_per_card() -> None:
    a, b = "https://buergerportal.example", "https://other-service.example"
    assert restricted_id("erika", 1, a) == restricted_id("erika", 1, a)
    assert restricted_id("erika", 1, a) != restricted_id("erika", 1, b)
    assert restricted_id("erika", 1, a) != restricted_id("erika", 2, a)
    assert len({restricted_id(c.id, 1, a) for c in CARDS}) == len(CARDS) == 12
