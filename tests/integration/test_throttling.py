"""Login throttling through the pages: guessing is stopped with 429 + Retry-After and growing
delays, but an attacker cannot lock the owner out of their own (trusted) browser."""

from __future__ import annotations

from werkzeug.test import TestResponse

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal

WRONG = "Ein falsches langes Passwort"


def attempts(browser: Browser, email: str, password: str, count: int) -> list[int]:
    return [browser.login(email, password).status_code for _ in range(count)]


def retry_after(response: TestResponse) -> int:
    assert response.status_code == 429
    return int(response.headers["Retry-After"])


def test_after_the_free_failures_the_login_answers_429_with_retry_after(
    portal: Portal, erika: Citizen
) -> None:
    assert attempts(portal.browser, erika.email, WRONG, 5) == [200] * 5
    response = portal.browser.login(erika.email, WRONG)
    assert retry_after(response) == 1
    assert "Zu viele fehlgeschlagene Anmeldungen" in response.text
    assert "1 Sekunden" in response.text


def test_the_delays_grow_with_every_further_failure(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    attempts(portal.browser, erika.email, WRONG, 5)
    waits = []
    for _ in range(5):
        wait = retry_after(portal.browser.login(erika.email, WRONG))
        waits.append(wait)
        clock.advance(wait)
        assert portal.browser.login(erika.email, WRONG).status_code == 200, "the wait is over"
    assert waits == [1, 2, 4, 8, 16]


def test_during_a_wait_even_the_right_password_is_not_checked(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    attempts(portal.browser, erika.email, WRONG, 5)
    assert portal.browser.login(erika.email, erika.password).status_code == 429
    assert not portal.is_logged_in()
    clock.advance(1)
    assert portal.browser.login(erika.email, erika.password).status_code == 303


def test_a_successful_login_clears_the_count_for_that_browser_address(
    portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    attempts(portal.browser, erika.email, WRONG, 4)
    assert portal.browser.login(erika.email, erika.password).status_code == 303
    portal.browser.logout()
    assert attempts(portal.browser, erika.email, WRONG, 5) == [200] * 5


def test_throttled_attempts_are_recorded(portal: Portal, erika: Citizen) -> None:
    attempts(portal.browser, erika.email, WRONG, 6)
    events = [r.event for r in portal.audit_events(portal.citizen_id(erika.email))]
    assert events.count("login.password.failed") == 5
    assert events.count("login.throttled") == 1


def test_one_address_guessing_across_many_accounts_is_stopped(
    portal: Portal, erika: Citizen
) -> None:
    attacker = portal.new_browser("203.0.113.66")
    for n in range(30):
        assert attacker.login(f"victim{n}@example.org", WRONG).status_code == 200
    assert attacker.login("victim-next@example.org", WRONG).status_code == 429
    assert attacker.login(erika.email, erika.password).status_code == 429
    neighbour = portal.new_browser("203.0.113.67")
    assert neighbour.login(erika.email, erika.password).status_code == 303


def burn_the_hourly_budget(portal: Portal, email: str) -> None:
    """100 failures from 20 addresses (5 each: no per-pair or per-address wait)."""
    for n in range(20):
        bot = portal.new_browser(f"203.0.113.{n + 1}")
        assert attempts(bot, email, WRONG, 5) == [200] * 5


def test_at_most_100_failures_an_hour_per_account_but_the_owners_browser_gets_in(
    portal: Portal, erika: Citizen
) -> None:
    """The attacker burns Erika's hourly budget from many addresses. Untrusted browsers are
    refused even with the right password; Erika's own browser (it logged in before) is not —
    from home or from a new network. Max's device cookie does not make Erika's account trust
    the attacker."""
    own = portal.browser
    assert own.login(erika.email, erika.password).status_code == 303
    assert own.cookie("bp_device")
    own.logout()
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    max_browser = portal.new_browser("198.51.100.5")
    assert max_browser.login(max_.email, max_.password).status_code == 303
    max_device = max_browser.cookie("bp_device")
    assert max_device

    burn_the_hourly_budget(portal, erika.email)

    fresh = portal.new_browser("203.0.113.200")
    assert 3500 <= retry_after(fresh.login(erika.email, WRONG)) <= 3600
    assert retry_after(fresh.login(erika.email, erika.password)) > 0
    failed = portal.audit_events(portal.citizen_id(erika.email))
    assert sum(r.event == "login.password.failed" for r in failed) == 100

    fresh.client.set_cookie("bp_device", max_device)
    assert fresh.login(erika.email, erika.password).status_code == 429

    assert own.login(erika.email, erika.password).status_code == 303
    assert portal.is_logged_in(own)
    own.logout()
    own.address = "198.51.100.77"  # the owner's phone changed networks
    assert own.login(erika.email, erika.password).status_code == 303


def test_unknown_accounts_are_throttled_exactly_like_known_ones(
    portal: Portal, erika: Citizen
) -> None:
    def history(browser: Browser, email: str) -> list[tuple[int, str | None]]:
        seen = []
        for _ in range(8):
            response = browser.login(email, WRONG)
            seen.append((response.status_code, response.headers.get("Retry-After")))
        return seen

    known = history(portal.new_browser("203.0.113.1"), erika.email)
    unknown = history(portal.new_browser("203.0.113.2"), "nobody@example.org")
    assert known == unknown
    assert known[5] == (429, "1")


def test_parallel_guesses_cannot_slip_past_the_free_failures(
    portal: Portal, erika: Citizen
) -> None:
    """A burst of simultaneous guesses from one address gets no more than the free budget."""
    import threading

    from tests.helpers import csrf_token

    attempts(portal.browser, erika.email, WRONG, 4)  # one free failure left
    bots = [portal.new_browser(portal.browser.address) for _ in range(12)]
    tokens = [csrf_token(bot.get("/anmelden").text) for bot in bots]
    barrier = threading.Barrier(len(bots))
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(index: int) -> None:
        fields = {"csrf_token": tokens[index], "email": erika.email, "password": WRONG}
        barrier.wait()
        status = bots[index].post("/anmelden", fields).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(bots))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {200, 429}
    failed = portal.audit_events(portal.citizen_id(erika.email))
    assert sum(r.event == "login.password.failed" for r in failed) == 5
