"""The key-value store contract: ONE suite, run against MemoryStore and RedisStore.

The ``store`` fixture is backend-parametrized. Time passes by the FrozenClock for the
in-process store and by a short real sleep for Redis (its TTLs run on the server's clock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from core.clock import FrozenClock
from core.store import MemoryStore, RedisStore
from core.store.base import KeyValueStore, dumps, loads

THREADS = 16


def elapse(store: KeyValueStore, clock: FrozenClock, seconds: float) -> None:
    """Let ``seconds`` pass as far as ``store`` can tell."""
    if isinstance(store, MemoryStore):
        clock.advance(seconds)
    else:
        time.sleep(seconds)


def race(count: int, action: Callable[[], object]) -> list[object]:
    """Run ``action`` in ``count`` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        outcome = action()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == count
    return results


# --- get / set / ttl ------------------------------------------------------------------------


def test_a_value_that_was_set_can_be_read_back(store: KeyValueStore) -> None:
    store.set("greeting", b"moin", 60)
    assert store.get("greeting") == b"moin"


def test_a_missing_key_reads_as_none(store: KeyValueStore) -> None:
    assert store.get("never-set") is None
    assert store.ttl("never-set") is None


def test_set_replaces_the_previous_value_and_its_ttl(store: KeyValueStore) -> None:
    store.set("k", b"old", 5)
    store.set("k", b"new", 600)
    assert store.get("k") == b"new"
    ttl = store.ttl("k")
    assert ttl is not None and 595 <= ttl <= 600


def test_binary_values_survive_unchanged(store: KeyValueStore) -> None:
    value = bytes(range(256))
    store.set("bin", value, 60)
    assert store.get("bin") == value


def test_ttl_reports_the_remaining_seconds(store: KeyValueStore) -> None:
    store.set("k", b"v", 120)
    ttl = store.ttl("k")
    assert ttl is not None and 118 <= ttl <= 120


def test_a_value_expires_after_its_ttl(store: KeyValueStore, clock: FrozenClock) -> None:
    store.set("short", b"v", 1)
    store.set("long", b"v", 60)
    elapse(store, clock, 1.2)
    assert store.get("short") is None
    assert store.ttl("short") is None
    assert store.get("long") == b"v"


def test_a_value_lives_until_just_before_its_ttl(store: KeyValueStore, clock: FrozenClock) -> None:
    store.set("k", b"v", 30)
    elapse(store, clock, 0.5)
    assert store.get("k") == b"v"


def test_two_stores_do_not_see_each_others_keys(store: KeyValueStore, clock: FrozenClock) -> None:
    """Two hubs on one Redis (different prefixes), or two in-process stores, stay apart."""
    if isinstance(store, RedisStore):
        from tests.conftest import REDIS_URL

        other: KeyValueStore = RedisStore.from_url(REDIS_URL, prefix="test:contract-other:")
    else:
        other = MemoryStore(clock)
    store.set("k", b"mine", 60)
    try:
        assert other.get("k") is None
        assert other.add("k", b"theirs", 60) is True
        assert store.get("k") == b"mine"
    finally:
        if isinstance(other, RedisStore):
            other.flush_prefix()


# --- add (SET NX) ---------------------------------------------------------------------------


def test_add_stores_only_when_the_key_is_absent(store: KeyValueStore) -> None:
    assert store.add("once", b"first", 60) is True
    assert store.add("once", b"second", 60) is False
    assert store.get("once") == b"first"


def test_add_succeeds_again_after_the_first_value_expired(
    store: KeyValueStore, clock: FrozenClock
) -> None:
    assert store.add("once", b"first", 1)
    elapse(store, clock, 1.2)
    assert store.add("once", b"second", 60) is True
    assert store.get("once") == b"second"


def test_of_many_concurrent_adds_exactly_one_wins(store: KeyValueStore) -> None:
    results = race(THREADS, lambda: store.add("contended", b"x", 60))
    assert results.count(True) == 1
    assert results.count(False) == THREADS - 1


def test_replace_stores_only_when_the_key_is_present(store: KeyValueStore) -> None:
    assert store.replace("session", b"new", 60) is False
    assert store.get("session") is None  # nothing was created
    store.set("session", b"old", 60)
    assert store.replace("session", b"new", 30) is True
    assert store.get("session") == b"new"
    assert 0 < (store.ttl("session") or 0) <= 30


def test_replace_after_the_key_expired_or_was_deleted_stores_nothing(
    store: KeyValueStore, clock: FrozenClock
) -> None:
    store.set("soon-gone", b"v", 1)
    elapse(store, clock, 1.2)
    assert store.replace("soon-gone", b"w", 60) is False
    store.set("deleted", b"v", 60)
    store.delete("deleted")
    assert store.replace("deleted", b"w", 60) is False
    assert store.get("soon-gone") is None and store.get("deleted") is None


# --- take (GETDEL) --------------------------------------------------------------------------


def test_take_returns_the_value_and_removes_it(store: KeyValueStore) -> None:
    store.set("code", b"abc", 60)
    assert store.take("code") == b"abc"
    assert store.get("code") is None
    assert store.take("code") is None


def test_take_of_a_missing_or_expired_key_gives_none(
    store: KeyValueStore, clock: FrozenClock
) -> None:
    assert store.take("nothing") is None
    store.set("soon-gone", b"v", 1)
    elapse(store, clock, 1.2)
    assert store.take("soon-gone") is None


def test_of_many_concurrent_takers_exactly_one_gets_the_value(store: KeyValueStore) -> None:
    store.set("one-time", b"secret", 60)
    results = race(THREADS, lambda: store.take("one-time"))
    assert results.count(b"secret") == 1
    assert results.count(None) == THREADS - 1


# --- delete ---------------------------------------------------------------------------------


def test_delete_says_whether_something_was_deleted(store: KeyValueStore) -> None:
    store.set("k", b"v", 60)
    assert store.delete("k") is True
    assert store.get("k") is None
    assert store.delete("k") is False


# --- incr -----------------------------------------------------------------------------------


def test_incr_counts_from_one(store: KeyValueStore) -> None:
    assert store.incr("counter", 60) == 1
    assert store.incr("counter", 60) == 2
    assert store.incr("counter", 60) == 3
    assert store.get("counter") == b"3"


def test_incr_keeps_the_ttl_from_the_counters_creation(
    store: KeyValueStore, clock: FrozenClock
) -> None:
    store.incr("window", 10)
    elapse(store, clock, 1.2)
    store.incr("window", 10)
    ttl = store.ttl("window")
    assert ttl is not None and ttl <= 9, "a later incr must not restart the window"


def test_an_expired_counter_starts_again_at_one(store: KeyValueStore, clock: FrozenClock) -> None:
    store.incr("window", 1)
    store.incr("window", 1)
    elapse(store, clock, 1.2)
    assert store.incr("window", 60) == 1


def test_concurrent_increments_are_all_counted(store: KeyValueStore) -> None:
    results = race(THREADS, lambda: store.incr("hits", 60))
    assert sorted(results) == list(range(1, THREADS + 1))  # type: ignore[type-var]


# --- sets -----------------------------------------------------------------------------------


def test_set_members_are_added_and_removed(store: KeyValueStore) -> None:
    assert store.set_members("index") == set()
    store.set_add("index", "a", 60)
    store.set_add("index", "b", 60)
    store.set_add("index", "a", 60)
    assert store.set_members("index") == {"a", "b"}
    store.set_remove("index", "a")
    assert store.set_members("index") == {"b"}
    store.set_remove("index", "not-there")
    store.set_remove("index", "b")
    assert store.set_members("index") == set()
    assert store.ttl("index") is None


def test_set_add_restarts_the_sets_ttl(store: KeyValueStore, clock: FrozenClock) -> None:
    store.set_add("index", "a", 1)
    store.set_add("index", "b", 60)
    elapse(store, clock, 1.2)
    assert store.set_members("index") == {"a", "b"}
    ttl = store.ttl("index")
    assert ttl is not None and 55 <= ttl <= 60


def test_a_set_expires_with_its_ttl(store: KeyValueStore, clock: FrozenClock) -> None:
    store.set_add("index", "a", 1)
    elapse(store, clock, 1.2)
    assert store.set_members("index") == set()


def test_concurrent_set_adds_keep_every_member(store: KeyValueStore) -> None:
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def add() -> None:
        with lock:
            member = f"m{next(counter)}"
        store.set_add("crowd", member, 60)

    race(THREADS, add)
    assert store.set_members("crowd") == {f"m{i}" for i in range(THREADS)}


# --- ttl must be positive -------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [0, -1])
@pytest.mark.parametrize(
    "operation",
    [
        lambda s, ttl: s.set("k", b"v", ttl),
        lambda s, ttl: s.add("k", b"v", ttl),
        lambda s, ttl: s.incr("k", ttl),
        lambda s, ttl: s.set_add("k", "m", ttl),
        lambda s, ttl: s.replace("k", b"v", ttl),
    ],
    ids=["set", "add", "incr", "set_add", "replace"],
)
def test_nothing_may_live_forever_ttl_must_be_positive(
    store: KeyValueStore, operation: Callable[[KeyValueStore, int], object], ttl: int
) -> None:
    with pytest.raises(ValueError, match="ttl"):
        operation(store, ttl)
    assert store.get("k") is None
    assert store.set_members("k") == set()


# --- ping and JSON helpers ------------------------------------------------------------------


def test_a_reachable_store_answers_ping(store: KeyValueStore) -> None:
    assert store.ping() is True


def test_an_unreachable_redis_says_so_instead_of_raising() -> None:
    assert RedisStore.from_url("redis://127.0.0.1:1/0").ping() is False


def test_json_values_round_trip(store: KeyValueStore) -> None:
    value = {"citizen": "c-1", "methods": ["pwd"], "ä": 1.5}
    store.set("doc", dumps(value), 60)
    assert loads(store.get("doc")) == value
    assert loads(store.get("missing")) is None
