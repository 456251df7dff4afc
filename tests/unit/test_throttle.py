"""Login throttling (OWASP brute-force guidance, ASVS 5.0 V6.3.1), on both store backends.

Per (account, address): free failures, then doubling waits from the last failure.
Per address: the same with a larger budget. Per account: at most N failures an hour from
untrusted browsers; the owner's trusted browser is exempt from that cap.
"""

from __future__ import annotations

import pytest

from account.throttle import LoginThrottle, ThrottleLimits
from core.clock import FrozenClock
from core.store.base import KeyValueStore

LIMITS = ThrottleLimits(free_pair=5, free_address=30, max_account_hour=100, max_delay=900)
ERIKA = "erika@example.org"
HOME = "192.0.2.10"


@pytest.fixture
def throttle(store: KeyValueStore, clock: FrozenClock) -> LoginThrottle:
    return LoginThrottle(store, clock, LIMITS, "test-secret-" + "x" * 40)


def fail(throttle: LoginThrottle, times: int, account: str, address: str, device: str = "") -> None:
    for _ in range(times):
        throttle.failed(account, address, device)


def test_a_fresh_account_may_try_at_once(throttle: LoginThrottle) -> None:
    assert throttle.retry_after(ERIKA, HOME, None) == 0


def test_the_free_failures_cost_no_wait(throttle: LoginThrottle) -> None:
    fail(throttle, LIMITS.free_pair - 1, ERIKA, HOME)
    assert throttle.retry_after(ERIKA, HOME, None) == 0


def test_after_the_free_failures_the_wait_doubles(
    throttle: LoginThrottle, clock: FrozenClock
) -> None:
    fail(throttle, LIMITS.free_pair, ERIKA, HOME)
    waits = []
    for _ in range(6):
        wait = throttle.retry_after(ERIKA, HOME, None)
        waits.append(wait)
        clock.advance(wait)
        assert throttle.retry_after(ERIKA, HOME, None) == 0, "the wait is over"
        throttle.failed(ERIKA, HOME, "")
    assert waits == [1, 2, 4, 8, 16, 32]


def test_the_wait_counts_from_the_last_failure(throttle: LoginThrottle, clock: FrozenClock) -> None:
    fail(throttle, LIMITS.free_pair + 3, ERIKA, HOME)  # 8 s
    clock.advance(5)
    assert throttle.retry_after(ERIKA, HOME, None) == 3


def test_the_wait_never_exceeds_the_maximum_delay(store: KeyValueStore, clock: FrozenClock) -> None:
    limits = ThrottleLimits(free_pair=1, free_address=1000, max_account_hour=1000, max_delay=60)
    throttle = LoginThrottle(store, clock, limits, "s" * 40)
    fail(throttle, 40, ERIKA, HOME)
    assert throttle.retry_after(ERIKA, HOME, None) == 60


def test_a_success_clears_the_pair_counter(throttle: LoginThrottle) -> None:
    fail(throttle, LIMITS.free_pair + 2, ERIKA, HOME)
    assert throttle.retry_after(ERIKA, HOME, None) > 0
    throttle.succeeded(ERIKA, HOME, "device-1")
    assert throttle.retry_after(ERIKA, HOME, None) == 0


def test_the_pair_limit_does_not_touch_the_same_account_elsewhere(throttle: LoginThrottle) -> None:
    fail(throttle, LIMITS.free_pair + 4, ERIKA, "203.0.113.66")
    assert throttle.retry_after(ERIKA, "203.0.113.66", None) > 0
    assert throttle.retry_after(ERIKA, HOME, None) == 0


def test_the_pair_limit_does_not_touch_other_accounts_from_that_address(
    throttle: LoginThrottle,
) -> None:
    fail(throttle, LIMITS.free_pair + 4, ERIKA, HOME)
    assert throttle.retry_after("max@example.org", HOME, None) == 0


def test_one_address_guessing_across_many_accounts_is_slowed(throttle: LoginThrottle) -> None:
    attacker = "203.0.113.66"
    for n in range(LIMITS.free_address):
        throttle.failed(f"victim{n}@example.org", attacker, "")
    assert throttle.retry_after("fresh@example.org", attacker, None) == 1
    assert throttle.retry_after("fresh@example.org", HOME, None) == 0, "others are not slowed"


def test_at_most_the_hourly_budget_of_failures_per_account(throttle: LoginThrottle) -> None:
    for n in range(LIMITS.max_account_hour):
        address = f"198.51.100.{n}"
        assert throttle.retry_after(ERIKA, address, None) == 0
        throttle.failed(ERIKA, address, "")
    wait = throttle.retry_after(ERIKA, "198.51.100.250", None)
    assert 3590 <= wait <= 3600


def test_the_hourly_budget_returns_after_the_hour(
    throttle: LoginThrottle, store: KeyValueStore, clock: FrozenClock
) -> None:
    from core.store import MemoryStore

    if not isinstance(store, MemoryStore):
        pytest.skip("Redis expires the window on its own clock; the memory store proves it")
    for n in range(LIMITS.max_account_hour):
        throttle.failed(ERIKA, f"198.51.100.{n}", "")
    clock.advance(3601)
    assert throttle.retry_after(ERIKA, "198.51.100.250", None) == 0


def test_the_owners_trusted_browser_is_exempt_from_the_account_cap(
    throttle: LoginThrottle,
) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    for n in range(LIMITS.max_account_hour):
        throttle.failed(ERIKA, f"198.51.100.{n}", "")
    assert throttle.retry_after(ERIKA, "198.51.100.250", None) > 0
    assert throttle.retry_after(ERIKA, "198.51.100.250", "attackers-guess") > 0
    assert throttle.retry_after(ERIKA, HOME, "erikas-laptop") == 0


def test_a_device_is_trusted_only_for_the_account_it_logged_in_to(
    throttle: LoginThrottle,
) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    assert throttle.is_trusted(ERIKA, "erikas-laptop")
    assert not throttle.is_trusted("max@example.org", "erikas-laptop")
    assert not throttle.is_trusted(ERIKA, "other-device")
    assert not throttle.is_trusted(ERIKA, "")
    assert not throttle.is_trusted(ERIKA, None)


def test_failures_from_the_trusted_browser_do_not_eat_the_account_budget(
    throttle: LoginThrottle,
) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    for n in range(LIMITS.max_account_hour):
        throttle.failed(ERIKA, f"198.51.100.{n % 50}", "erikas-laptop")
    assert throttle.retry_after(ERIKA, "203.0.113.9", None) == 0


def test_a_trusted_browser_is_still_slowed_per_pair(throttle: LoginThrottle) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    fail(throttle, LIMITS.free_pair, ERIKA, HOME, "erikas-laptop")
    assert throttle.retry_after(ERIKA, HOME, "erikas-laptop") == 1


def test_a_trusted_browser_is_not_slowed_by_a_busy_shared_address(
    throttle: LoginThrottle,
) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    for n in range(LIMITS.free_address + 5):
        throttle.failed(f"neighbour{n}@example.org", HOME, "")
    assert throttle.retry_after("fresh@example.org", HOME, None) > 0
    assert throttle.retry_after(ERIKA, HOME, "erikas-laptop") == 0


def test_known_and_unknown_accounts_are_throttled_alike(
    throttle: LoginThrottle, clock: FrozenClock
) -> None:
    def history(account: str) -> list[int]:
        seen = []
        for _ in range(LIMITS.free_pair + 4):
            seen.append(throttle.retry_after(account, HOME, None))
            throttle.failed(account, HOME, "")
        return seen

    # The throttle never asks whether an account exists: the sequences are identical.
    assert history(ERIKA) == history("nobody-here@example.org")


def test_accounts_are_kept_under_a_keyed_hash_not_the_address(
    throttle: LoginThrottle, store: KeyValueStore
) -> None:
    from core.store import MemoryStore, RedisStore

    fail(throttle, 3, ERIKA, HOME)
    if isinstance(store, MemoryStore):
        keys = list(store._data)
    else:
        assert isinstance(store, RedisStore)
        keys = [k.decode() for k in store._r.scan_iter(match=store._prefix + "*")]
    assert keys
    assert not any("erika" in k for k in keys)


def test_one_password_check_at_a_time_per_account(throttle: LoginThrottle) -> None:
    claim = throttle.claim(ERIKA, None)
    assert claim is not None
    assert throttle.claim(ERIKA, None) is None, "a concurrent guess must wait"
    assert throttle.claim(ERIKA, "some-untrusted-device") is None
    assert throttle.claim("max@example.org", None) is not None, "other accounts are free"
    throttle.release(claim)
    assert throttle.claim(ERIKA, None) is not None


def test_the_owners_trusted_browser_has_a_claim_of_its_own(throttle: LoginThrottle) -> None:
    throttle.succeeded(ERIKA, HOME, "erikas-laptop")
    assert throttle.claim(ERIKA, None) is not None  # an attacker's attempt in progress
    assert throttle.claim(ERIKA, "erikas-laptop") is not None


def test_a_claim_is_released_even_when_the_device_became_trusted_meanwhile(
    throttle: LoginThrottle,
) -> None:
    claim = throttle.claim(ERIKA, "new-laptop")
    assert claim is not None
    throttle.succeeded(ERIKA, HOME, "new-laptop")  # the attempt succeeded
    throttle.release(claim)
    assert throttle.claim(ERIKA, None) is not None


def test_a_claim_left_behind_by_a_dead_process_expires(
    throttle: LoginThrottle, store: KeyValueStore, clock: FrozenClock
) -> None:
    from account.throttle import CLAIM_TTL
    from core.store import MemoryStore

    if not isinstance(store, MemoryStore):
        pytest.skip("Redis expires the claim on its own clock; the memory store proves it")
    assert throttle.claim(ERIKA, None) is not None
    clock.advance(CLAIM_TTL + 1)
    assert throttle.claim(ERIKA, None) is not None
