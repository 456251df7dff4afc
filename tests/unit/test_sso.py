"""SSO sessions in the store: idle and absolute limits per level (BSI TR-03160-1, DESIGN.md
table), own sessions only, ending one or all others — on both store backends."""

from __future__ import annotations

import pytest

from account.identity import SESSION_LIMITS, Level, Method
from account.sso import SsoSessions
from core.clock import FrozenClock
from core.store import MemoryStore
from core.store.base import KeyValueStore

MINUTE = 60
HOUR = 3600


@pytest.fixture
def sessions(store: KeyValueStore, clock: FrozenClock) -> SsoSessions:
    return SsoSessions(store, clock)


def test_the_limits_are_those_of_the_design_table() -> None:
    table = {
        level: (lim.absolute_seconds, lim.idle_seconds) for level, lim in SESSION_LIMITS.items()
    }
    assert table == {
        Level.LOW: (12 * HOUR, 60 * MINUTE),
        Level.SUBSTANTIAL: (2 * HOUR, 30 * MINUTE),
        Level.HIGH: (30 * MINUTE, 5 * MINUTE),
    }


def test_a_session_records_who_how_when_and_how_sure(
    sessions: SsoSessions, clock: FrozenClock
) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW, "Firefox", "192.0.2.10")
    loaded = sessions.load(sso.id)
    assert loaded is not None
    assert (loaded.citizen_id, loaded.methods, loaded.level) == ("c-1", ["pwd"], "low")
    assert loaded.auth_time == clock.now()
    assert (loaded.user_agent, loaded.client_address) == ("Firefox", "192.0.2.10")


def test_session_ids_are_long_and_random(sessions: SsoSessions) -> None:
    ids = {sessions.start("c-1", {Method.PASSWORD}, Level.LOW).id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 40 for i in ids)


def test_an_unknown_session_id_loads_nothing(sessions: SsoSessions) -> None:
    assert sessions.load("no-such-session") is None


@pytest.mark.parametrize("level", list(Level))
def test_just_inside_the_idle_limit_the_session_lives(
    sessions: SsoSessions, clock: FrozenClock, level: Level
) -> None:
    idle = SESSION_LIMITS[level].idle_seconds
    sso = sessions.start("c-1", {Method.PASSWORD}, level)
    clock.advance(idle - MINUTE)
    assert sessions.load(sso.id) is not None


@pytest.mark.parametrize("level", list(Level))
def test_past_the_idle_limit_the_session_ends(
    sessions: SsoSessions, clock: FrozenClock, level: Level
) -> None:
    idle = SESSION_LIMITS[level].idle_seconds
    sso = sessions.start("c-1", {Method.PASSWORD}, level)
    clock.advance(idle + MINUTE)
    assert sessions.load(sso.id) is None
    assert sessions.list_for("c-1") == []


@pytest.mark.parametrize("level", list(Level))
def test_activity_cannot_stretch_a_session_past_its_absolute_limit(
    sessions: SsoSessions, clock: FrozenClock, level: Level
) -> None:
    limits = SESSION_LIMITS[level]
    step = limits.idle_seconds - MINUTE
    sso = sessions.start("c-1", {Method.PASSWORD}, level)
    elapsed = 0
    while elapsed + step < limits.absolute_seconds:
        clock.advance(step)
        elapsed += step
        assert sessions.load(sso.id) is not None, f"active at {elapsed} s"
    clock.advance(limits.absolute_seconds - elapsed)
    assert sessions.load(sso.id) is None


def test_loading_counts_as_activity(sessions: SsoSessions, clock: FrozenClock) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    clock.advance(50 * MINUTE)
    assert sessions.load(sso.id) is not None
    clock.advance(50 * MINUTE)
    assert sessions.load(sso.id) is not None, "100 min after login, 50 min idle"


def test_looking_without_touching_does_not_count_as_activity(
    sessions: SsoSessions, clock: FrozenClock
) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    clock.advance(50 * MINUTE)
    assert sessions.load(sso.id, touch=False) is not None
    clock.advance(11 * MINUTE)
    assert sessions.load(sso.id) is None


def test_an_ended_session_is_gone(sessions: SsoSessions) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    sessions.end(sso)
    assert sessions.load(sso.id) is None
    assert sessions.list_for("c-1") == []


class LogoutBetweenReadAndTouch(MemoryStore):
    """The in-process store, with a concurrent logout landing right after a request read the
    session record (the interleaving that used to bring an ended session back)."""

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        if key.startswith("sso:"):
            self.delete(key)
        return value


def test_a_session_ended_while_a_request_reads_it_stays_ended(clock: FrozenClock) -> None:
    store = LogoutBetweenReadAndTouch(clock)
    sessions = SsoSessions(store, clock)
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    clock.advance(10)
    assert sessions.load(sso.id) is None
    assert MemoryStore.get(store, "sso:" + sso.id) is None


def test_the_list_shows_only_the_citizens_own_live_sessions(
    sessions: SsoSessions, clock: FrozenClock
) -> None:
    first = sessions.start("c-1", {Method.PASSWORD}, Level.LOW, "Laptop")
    clock.advance(10)
    second = sessions.start("c-1", {Method.PASSWORD}, Level.LOW, "Phone")
    sessions.start("c-2", {Method.PASSWORD}, Level.LOW, "Someone else")
    listed = sessions.list_for("c-1")
    assert [s.id for s in listed] == [second.id, first.id], "most recently active first"


def test_expired_sessions_drop_out_of_the_list(sessions: SsoSessions, clock: FrozenClock) -> None:
    old = sessions.start("c-1", {Method.PASSWORD}, Level.HIGH)
    clock.advance(4 * MINUTE)
    new = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    clock.advance(2 * MINUTE)  # the high session has been idle for 6 minutes
    assert [s.id for s in sessions.list_for("c-1")] == [new.id]
    assert old.id not in {s.id for s in sessions.list_for("c-1")}


def test_a_citizen_can_end_their_own_session_by_id(sessions: SsoSessions) -> None:
    sso = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    assert sessions.end_by_id("c-1", sso.id) is True
    assert sessions.load(sso.id) is None


def test_nobody_can_end_someone_elses_session(sessions: SsoSessions) -> None:
    theirs = sessions.start("c-2", {Method.PASSWORD}, Level.LOW)
    assert sessions.end_by_id("c-1", theirs.id) is False
    assert sessions.load(theirs.id) is not None
    assert sessions.end_by_id("c-1", "no-such-session") is False


def test_ending_all_others_keeps_the_current_one(sessions: SsoSessions) -> None:
    current = sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    others = [sessions.start("c-1", {Method.PASSWORD}, Level.LOW) for _ in range(3)]
    theirs = sessions.start("c-2", {Method.PASSWORD}, Level.LOW)
    assert sessions.end_all("c-1", except_sid=current.id) == 3
    assert sessions.load(current.id) is not None
    assert all(sessions.load(o.id) is None for o in others)
    assert sessions.load(theirs.id) is not None, "another citizen's session is untouched"


def test_ending_all_ends_every_session_of_the_citizen(sessions: SsoSessions) -> None:
    for _ in range(2):
        sessions.start("c-1", {Method.PASSWORD}, Level.LOW)
    assert sessions.end_all("c-1") == 2
    assert sessions.list_for("c-1") == []
