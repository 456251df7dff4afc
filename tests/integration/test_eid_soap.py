"""The connector against the running simulator: SOAP over TLS with client certificates, every
answer of the eID-Interface, WS-Security in both directions, server down and slow. Every
message exchanged is checked against the schema bundle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.eid.client import PollPolicy
from connectors.eid.fields import Requirement
from connectors.eid.messages import Psk, UseIdRequest
from connectors.eid.outcomes import EidError, Outcome
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.standin import Choice
from connectors.eid.simulator.state import Dialogue
from tests.eid_harness import (
    FAST_POLL,
    LOGIN_REQUEST,
    Pki,
    Recorder,
    SimulatorWorld,
    simulator_world,
)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def world(pki: Pki, tmp_path: Path) -> Iterator[SimulatorWorld]:
    with simulator_world(pki, tmp_path) as w:
        yield w


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder(InterfaceVersion.V2_4_0)
    yield rec
    assert rec.problems() == []


def _read_card(world: SimulatorWorld, session_id: str, choice: Choice | None = None) -> None:
    """What the eID-Client stand-in does after the citizen entered the PIN."""
    from connectors.eid.simulator.standin import StandIn

    key = world.sim.state.open_dialogue(
        Dialogue(session_id, "https://hub.test/eid/zurueck?r=x", None, world.sim.state.clock.now())
    )
    StandIn(world.sim.config, world.sim.state).complete(key, choice or Choice())


def test_use_id_then_get_result_over_mutual_tls(world: SimulatorWorld, recorder: Recorder) -> None:
    client = world.client(recorder)
    answer = client.use_id(LOGIN_REQUEST)
    assert len(bytes.fromhex(answer.session_id)) >= 16
    assert answer.ecard_server_address == world.sim.config.ecard_server_address
    with pytest.raises(EidError) as pending:
        client.get_result(answer.session_id, 1)
    assert pending.value.outcome is Outcome.NO_RESULT_YET
    _read_card(world, answer.session_id)
    result = client.get_result(answer.session_id, 2)
    assert result.personal_data.given_names == "ERIKA"
    assert result.personal_data.place_of_residence is not None
    assert result.level_of_assurance.uri == "http://bsi.bund.de/eID/LoA/hoch"
    assert len(recorder.exchanges) == 3


def test_one_answer_then_the_session_is_gone(world: SimulatorWorld, recorder: Recorder) -> None:
    client = world.client(recorder)
    answer = client.use_id(LOGIN_REQUEST)
    _read_card(world, answer.session_id)
    client.get_result(answer.session_id, 1)
    with pytest.raises(EidError) as second:
        client.get_result(answer.session_id, 2)
    assert second.value.outcome is Outcome.INVALID_SESSION


def test_counter_must_grow_by_exactly_one(world: SimulatorWorld, recorder: Recorder) -> None:
    client = world.client(recorder)
    answer = client.use_id(LOGIN_REQUEST)
    with pytest.raises(EidError) as skipped:
        client.get_result(answer.session_id, 2)
    assert skipped.value.outcome is Outcome.INVALID_COUNTER
    with pytest.raises(EidError) as after:
        client.get_result(answer.session_id, 3)
    assert after.value.outcome is Outcome.INVALID_SESSION


def test_polling_is_bounded_and_counts_up(world: SimulatorWorld, recorder: Recorder) -> None:
    client = world.client(recorder)
    answer = client.use_id(LOGIN_REQUEST)
    with pytest.raises(EidError) as exhausted:
        client.poll_result(answer.session_id, FAST_POLL)
    assert exhausted.value.outcome is Outcome.RESULT_NOT_READY
    counters = [sent.split(b"RequestCounter>")[1][:1] for _, sent, _ in recorder.exchanges[1:]]
    assert counters == [b"1", b"2", b"3", b"4", b"5"]


def test_no_result_yet_for_the_first_polls(pki: Pki, tmp_path: Path, recorder: Recorder) -> None:
    with simulator_world(pki, tmp_path, no_result_polls=3) as world:
        client = world.client(recorder)
        answer = client.use_id(LOGIN_REQUEST)
        _read_card(world, answer.session_id)
        result = client.poll_result(answer.session_id, FAST_POLL)
        assert result.personal_data.family_names == "MUSTERMANN"
        assert len(recorder.exchanges) == 1 + 4


def test_session_timeout(pki: Pki, tmp_path: Path, recorder: Recorder) -> None:
    from core.clock import FrozenClock

    clock = FrozenClock()
    with simulator_world(pki, tmp_path, clock=clock, session_ttl=60) as world:
        client = world.client(recorder)
        answer = client.use_id(LOGIN_REQUEST)
        clock.advance(61)
        with pytest.raises(EidError) as expired:
            client.get_result(answer.session_id, 1)
        assert expired.value.outcome is Outcome.INVALID_SESSION


def test_get_server_info(world: SimulatorWorld, recorder: Recorder) -> None:
    info = world.client(recorder).get_server_info()
    assert (info.major, info.minor, info.bugfix) == (2, 4, 0)
    assert info.rights["GivenNames"] == "ALLOWED"


def test_version_2_0_2_end_to_end(pki: Pki, tmp_path: Path) -> None:
    recorder = Recorder(InterfaceVersion.V2_0_2)
    request = UseIdRequest(
        {k: v for k, v in LOGIN_REQUEST.operations.items() if k != "CommunityID"}
    )
    with simulator_world(pki, tmp_path, version=InterfaceVersion.V2_0_2) as world:
        client = world.client(recorder, version=InterfaceVersion.V2_0_2)
        answer = client.use_id(request)
        _read_card(world, answer.session_id)
        result = client.get_result(answer.session_id, 1)
        assert result.personal_data.community_id is None
        assert result.level_of_assurance.uri is None
        assert client.get_server_info().minor == 0
    assert recorder.problems() == []


def test_schema_violation_when_versions_disagree(pki: Pki, tmp_path: Path) -> None:
    """A 2.0.2 useIDRequest lacks the mandatory 2.4.0 CommunityID: the server says so."""
    recorder = Recorder(InterfaceVersion.V2_0_2)
    with simulator_world(pki, tmp_path) as world:
        client = world.client(recorder, version=InterfaceVersion.V2_0_2)
        with pytest.raises(EidError) as refused:
            client.use_id(UseIdRequest({"GivenNames": Requirement.REQUIRED}))
    assert refused.value.outcome is Outcome.SCHEMA_VIOLATION
    assert recorder.problems(InterfaceVersion.V2_4_0) == []


@pytest.mark.parametrize(
    ("request_", "outcome"),
    [
        (
            UseIdRequest({"AgeVerification": Requirement.REQUIRED}),
            Outcome.MISSING_ARGUMENT,
        ),
        (
            UseIdRequest({"PlaceVerification": Requirement.ALLOWED}),
            Outcome.MISSING_ARGUMENT,
        ),
        (
            UseIdRequest({"ResidencePermitI": Requirement.REQUIRED}),
            Outcome.MISSING_TERMINAL_RIGHTS,
        ),
        (
            UseIdRequest({"GivenNames": Requirement.REQUIRED}, psk=Psk("A" * 16, "00" * 16)),
            Outcome.INVALID_PSK,
        ),
    ],
)
def test_use_id_refusals(
    pki: Pki, tmp_path: Path, recorder: Recorder, request_: UseIdRequest, outcome: Outcome
) -> None:
    rights = frozenset({"GivenNames", "AgeVerification", "PlaceVerification"})
    with simulator_world(pki, tmp_path, rights=rights) as world, pytest.raises(EidError) as refused:
        world.client(recorder).use_id(request_)
    assert refused.value.outcome is outcome


def test_a_usable_psk_of_the_eservice_is_taken(world: SimulatorWorld, recorder: Recorder) -> None:
    psk = Psk("BUERGERPORTAL-0001", "AB" * 32)
    answer = world.client(recorder).use_id(
        UseIdRequest({"GivenNames": Requirement.REQUIRED}, psk=psk)
    )
    assert answer.psk == psk


def test_too_many_open_sessions(pki: Pki, tmp_path: Path, recorder: Recorder) -> None:
    with simulator_world(pki, tmp_path, max_open_sessions=2) as world:
        client = world.client(recorder)
        client.use_id(LOGIN_REQUEST)
        client.use_id(LOGIN_REQUEST)
        with pytest.raises(EidError) as full:
            client.use_id(LOGIN_REQUEST)
    assert full.value.outcome is Outcome.TOO_MANY_OPEN_SESSIONS


# --- WS-Security and TLS ---------------------------------------------------------------------


def test_request_signed_by_an_unknown_key_gets_internal_error(
    world: SimulatorWorld, recorder: Recorder
) -> None:
    client = world.client(recorder, signing=world.pki.stranger)
    with pytest.raises(EidError) as refused:
        client.use_id(LOGIN_REQUEST)
    assert refused.value.outcome is Outcome.INTERNAL_ERROR
    assert not world.sim.state.sessions


def test_tampered_request_gets_internal_error(world: SimulatorWorld, recorder: Recorder) -> None:
    """A request altered after signing (a man in the middle) is refused by the server."""
    from connectors.eid.messages import envelope, use_id_request
    from connectors.eid.wssec import XmlsecSigner
    from connectors.eid.xml import parse, to_bytes
    from core.clock import SystemClock

    signer = XmlsecSigner(
        world.pki.hub_signing.key_pem, world.pki.hub_signing.cert_pem, SystemClock()
    )
    signed = to_bytes(signer.sign(envelope(use_id_request(LOGIN_REQUEST, InterfaceVersion.V2_4_0))))
    tampered = signed.replace(
        b">PROHIBITED</eid:ResidencePermitI>", b">REQUIRED</eid:ResidencePermitI>"
    )
    assert tampered != signed
    status, answer = world.sim.server.handle(tampered, "http://bsi.bund.de/eID/useID")
    assert status == 200
    assert b"common#internalError" in answer
    status, answer = world.sim.server.handle(signed, "http://bsi.bund.de/eID/useID")
    assert b"resultmajor#ok" in answer
    parse(answer)


def test_answer_signed_by_another_key_is_rejected(
    world: SimulatorWorld, recorder: Recorder
) -> None:
    client = world.client(recorder, trust_signer=world.pki.stranger.cert_pem)
    with pytest.raises(EidError) as rejected:
        client.get_server_info()
    assert rejected.value.outcome is Outcome.BAD_SIGNATURE


def test_tampered_answer_is_rejected(world: SimulatorWorld, recorder: Recorder) -> None:
    """The server's answer altered in transit (a proxy) does not verify at the connector."""
    original = world.sim.server.handle

    def tampering(raw: bytes, soap_action: str = "") -> tuple[int, bytes]:
        status, body = original(raw, soap_action)
        return status, body.replace(b"<eid:Major>2</eid:Major>", b"<eid:Major>3</eid:Major>")

    world.sim.server.handle = tampering  # type: ignore[method-assign]
    with pytest.raises(EidError) as rejected:
        world.client(recorder).get_server_info()
    assert rejected.value.outcome is Outcome.BAD_SIGNATURE


def test_client_certificate_from_another_ca_is_refused(
    world: SimulatorWorld, recorder: Recorder
) -> None:
    with pytest.raises(EidError) as refused:
        world.client(recorder, tls=world.pki.stranger).get_server_info()
    assert refused.value.outcome is Outcome.SERVER_UNREACHABLE
    assert recorder.exchanges == []


def test_server_down(world: SimulatorWorld, recorder: Recorder) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = world.client(recorder, url=f"https://127.0.0.1:{closed}/eID")
    with pytest.raises(EidError) as down:
        client.use_id(LOGIN_REQUEST)
    assert down.value.outcome is Outcome.SERVER_UNREACHABLE


def test_server_slow(pki: Pki, tmp_path: Path, recorder: Recorder) -> None:
    with simulator_world(pki, tmp_path, answer_delay=1.0) as world, pytest.raises(EidError) as slow:
        world.client(recorder, timeout=0.2).use_id(LOGIN_REQUEST)
    assert slow.value.outcome is Outcome.SERVER_TIMEOUT


def test_poll_policy_is_bounded() -> None:
    policy = PollPolicy(max_attempts=6, initial_delay=0.25, factor=2.0, max_delay=1.0)
    assert policy.delays() == [0.25, 0.5, 1.0, 1.0, 1.0]
