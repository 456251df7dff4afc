"""One-time links (e-mail verification, password reset): random, stored hashed, taken once,
dead after their lifetime — on both store backends."""

from __future__ import annotations

import hashlib
import threading

import pytest

from account.links import OneTimeLinks
from core.clock import FrozenClock
from core.store.base import KeyValueStore


@pytest.fixture
def links(store: KeyValueStore, clock: FrozenClock) -> OneTimeLinks:
    return OneTimeLinks(store, clock)


def test_an_issued_link_carries_its_payload(links: OneTimeLinks) -> None:
    token = links.issue("verify-email", {"citizen": "c-1"}, 60)
    assert links.peek("verify-email", token) == {"citizen": "c-1"}
    assert links.redeem("verify-email", token) == {"citizen": "c-1"}


def test_tokens_are_long_random_and_url_safe(links: OneTimeLinks) -> None:
    tokens = {links.issue("verify-email", {}, 60) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 40
        assert all(c.isalnum() or c in "-_" for c in token)


def test_a_link_works_once(links: OneTimeLinks) -> None:
    token = links.issue("password-reset", {"citizen": "c-1"}, 60)
    assert links.redeem("password-reset", token) is not None
    assert links.redeem("password-reset", token) is None
    assert links.peek("password-reset", token) is None


def test_looking_at_a_link_does_not_use_it(links: OneTimeLinks) -> None:
    token = links.issue("verify-email", {"citizen": "c-1"}, 60)
    for _ in range(3):
        assert links.peek("verify-email", token) is not None
    assert links.redeem("verify-email", token) is not None


def test_a_link_is_dead_after_its_lifetime(links: OneTimeLinks, clock: FrozenClock) -> None:
    token = links.issue("password-reset", {"citizen": "c-1"}, 30 * 60)
    clock.advance(30 * 60 - 1)
    assert links.peek("password-reset", token) is not None
    clock.advance(2)
    assert links.peek("password-reset", token) is None
    assert links.redeem("password-reset", token) is None


def test_a_link_for_one_purpose_is_useless_for_another(links: OneTimeLinks) -> None:
    token = links.issue("verify-email", {"citizen": "c-1"}, 60)
    assert links.peek("password-reset", token) is None
    assert links.redeem("password-reset", token) is None
    assert links.redeem("verify-email", token) is not None


@pytest.mark.parametrize(
    "forged",
    ["", "short", "a" * 65, "../../etc/passwd-aaaaaaaaaaaaaaaa", "x" * 30 + "<script>", "ä" * 30],
)
def test_implausible_or_unknown_tokens_get_nothing(links: OneTimeLinks, forged: str) -> None:
    links.issue("verify-email", {"citizen": "c-1"}, 60)
    assert links.peek("verify-email", forged) is None
    assert links.redeem("verify-email", forged) is None


def test_the_store_holds_only_a_hash_of_the_token(
    links: OneTimeLinks, store: KeyValueStore
) -> None:
    token = links.issue("verify-email", {"citizen": "c-1"}, 60)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert store.get(f"link:verify-email:{token}") is None
    assert store.get(f"link:verify-email:{digest}") is not None


def test_of_concurrent_redemptions_exactly_one_gets_the_payload(links: OneTimeLinks) -> None:
    token = links.issue("password-reset", {"citizen": "c-1"}, 60)
    barrier = threading.Barrier(12)
    results: list[object] = []
    lock = threading.Lock()

    def redeem() -> None:
        barrier.wait()
        got = links.redeem("password-reset", token)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=redeem) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count({"citizen": "c-1"}) == 1
    assert results.count(None) == 11
