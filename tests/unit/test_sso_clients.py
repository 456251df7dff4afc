"""The relying parties of an SSO session: a store set of their own, so concurrent logins
through one session are never lost (no read-modify-write of the session record), living as
long as the session can and ended with it — on both store backends."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator

import pytest

from account.identity import SESSION_LIMITS, Level, Method
from account.sso import SsoSession, SsoSessions
from core.clock import FrozenClock
from core.store.base import KeyValueStore

CLIENTS = "sso-clients:"


@pytest.fixture
def sessions(store: KeyValueStore, clock: FrozenClock) -> SsoSessions:
    return SsoSessions(store, clock)


def _listed(sessions: SsoSessions, sid: str) -> set[str]:
    (found,) = [s for s in sessions.list_for("c-1") if s.id == sid]
    return set(found.clients)


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads very often, so that the in-process store interleaves like Redis does."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("busy_switching")
def test_concurrent_adds_and_touches_lose_no_client(sessions: SsoSessions) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    wanted = {f"rp-{n}" for n in range(12)}
    barrier = threading.Barrier(2 * len(wanted))
    added: list[bool] = []

    def add(client_id: str) -> None:
        barrier.wait()
        added.append(sessions.add_client(sso.id, client_id))

    def touch() -> None:  # every request of the browser saves the session record
        barrier.wait()
        for _ in range(5):
            assert sessions.load(sso.id) is not None

    threads = [threading.Thread(target=add, args=(c,)) for c in sorted(wanted)]
    threads += [threading.Thread(target=touch) for _ in wanted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert added == [True] * len(wanted)
    assert _listed(sessions, sso.id) == wanted
    assert set(sessions.clients_of(sso.id)) == wanted


def test_adding_twice_keeps_one_entry_and_the_record_holds_none(
    sessions: SsoSessions, store: KeyValueStore
) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    assert sessions.add_client(sso.id, "rp-a") and sessions.add_client(sso.id, "rp-a")
    assert sessions.clients_of(sso.id) == ("rp-a",)
    assert sessions.load(sso.id) is not None  # a touch rewrites the record
    record = json.loads(store.get("sso:" + sso.id) or b"{}")
    assert "clients" not in record
    assert sessions.clients_of(sso.id) == ("rp-a",)


def test_ending_reports_the_clients_once_and_deletes_the_set(
    sessions: SsoSessions, store: KeyValueStore
) -> None:
    told: list[tuple[str, ...]] = []
    sessions.on_end.append(lambda ended: told.append(ended.clients))
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    for client_id in ("rp-b", "rp-a"):
        sessions.add_client(sso.id, client_id)
    assert sessions.end(sso) == ("rp-a", "rp-b")
    assert told == [("rp-a", "rp-b")]
    assert store.set_members(CLIENTS + sso.id) == set()
    assert sessions.end(sso) is None  # a second end tells nobody
    assert told == [("rp-a", "rp-b")]


def test_no_client_is_recorded_for_an_ended_or_unknown_session(
    sessions: SsoSessions, store: KeyValueStore
) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    sessions.end(sso)
    assert sessions.add_client(sso.id, "rp-a") is False
    assert sessions.add_client("no-such-session", "rp-a") is False
    assert store.set_members(CLIENTS + sso.id) == set()
    assert store.set_members(CLIENTS + "no-such-session") == set()


@pytest.mark.parametrize("level", list(Level))
def test_the_set_lives_as_long_as_the_session_can(
    sessions: SsoSessions, store: KeyValueStore, clock: FrozenClock, level: Level
) -> None:
    limits = SESSION_LIMITS[level]
    sso = sessions.start("c-1", {Method.PASSWORD}, level)
    clock.advance(limits.idle_seconds // 2)
    assert sessions.load(sso.id) is not None
    sessions.add_client(sso.id, "rp-a")
    remaining = store.ttl(CLIENTS + sso.id)
    session_ttl = store.ttl("sso:" + sso.id)
    absolute_left = limits.absolute_seconds - limits.idle_seconds // 2
    assert remaining is not None and session_ttl is not None
    assert session_ttl <= remaining <= absolute_left + 1  # not shorter than the session


def test_the_set_expires_with_the_sessions_absolute_limit(
    sessions: SsoSessions, store: KeyValueStore, clock: FrozenClock, backend: str
) -> None:
    if backend != "sqlite+memory":
        pytest.skip("Redis expires keys by its own clock; the TTL test covers it")
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.HIGH)
    sessions.add_client(sso.id, "rp-a")
    limits = SESSION_LIMITS[Level.HIGH]
    for _ in range(limits.absolute_seconds // limits.idle_seconds - 1):
        clock.advance(limits.idle_seconds - 1)
        assert sessions.load(sso.id) is not None
    assert store.set_members(CLIENTS + sso.id) == {"rp-a"}  # kept while the session lives
    clock.advance(limits.absolute_seconds)
    assert store.set_members(CLIENTS + sso.id) == set()


def test_a_record_from_before_the_set_keeps_its_clients(
    sessions: SsoSessions, store: KeyValueStore, clock: FrozenClock
) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    record = json.loads(store.get("sso:" + sso.id) or b"{}")
    record["clients"] = ["rp-old", "saml:https://sp.example"]
    store.set("sso:" + sso.id, json.dumps(record).encode(), 3600)
    loaded = sessions.load(sso.id)
    assert isinstance(loaded, SsoSession)
    assert _listed(sessions, sso.id) == {"rp-old", "saml:https://sp.example"}


def test_a_step_up_late_in_the_session_keeps_its_clients(
    sessions: SsoSessions, store: KeyValueStore, clock: FrozenClock, backend: str
) -> None:
    """raise_level restarts the absolute limit (TR-03160-1): the client set follows it, also
    past the end the password session had when the client was added."""
    low, high = SESSION_LIMITS[Level.LOW], SESSION_LIMITS[Level.HIGH]
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    sessions.add_client(sso.id, "rp-a")
    while clock.now() - sso.created_at < low.absolute_seconds - high.absolute_seconds + 60:
        clock.advance(min(low.idle_seconds - 60, 50 * 60))
        assert sessions.load(sso.id) is not None
    original_end = sso.created_at + low.absolute_seconds
    raised = sessions.raise_level(sso, Method.EID, Level.HIGH)
    assert raised.created_at + high.absolute_seconds > original_end
    remaining = store.ttl(CLIENTS + sso.id)
    assert remaining is not None and remaining >= high.absolute_seconds
    if backend == "sqlite+memory":  # Redis expires by its own clock
        while clock.now() <= original_end + 60:
            clock.advance(high.idle_seconds - 60)
            assert sessions.load(raised.id) is not None
        assert store.set_members(CLIENTS + sso.id) == {"rp-a"}
