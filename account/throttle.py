"""Login throttling that stops guessing without letting an attacker lock out the owner.

OWASP "Blocking brute force attacks" / ASVS 5.0 V6.3.1, three limits, all kept in the store:

* per (account, client address): ``free_pair`` failures free, then a delay that doubles with
  each further failure (1 s, 2 s, 4 s … up to ``max_delay``) counted from the last failure;
* per client address (any account): the same with a larger free budget (NAT, shared networks);
* per account: at most ``max_account_hour`` failures an hour from *untrusted* browsers.

A browser becomes trusted for an account when it logged in to that account successfully
(a random device cookie, remembered in the store). Trusted browsers are exempt from the
per-account cap and the per-address limit, so an attacker burning the account's budget
from elsewhere does not lock the owner out of their own browser.

Accounts are named by a keyed hash (never the e-mail) and unknown accounts are throttled
exactly like known ones, so throttling reveals nothing about who is registered.

The limits are read before the password is checked and counted after, so an attempt first
*claims* the account (``SET NX``): concurrent guesses cannot all pass the limits before the
first failure is counted. Untrusted browsers share one claim per account; a trusted browser
has its own, so an attacker's stream of guesses never blocks the owner.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from core.clock import Clock
from core.store.base import KeyValueStore

WINDOW = 3600
DEVICE_TRUST_TTL = 90 * 24 * 3600
#: How long a claim lives if the process dies during the attempt (an attempt takes ~30 ms).
CLAIM_TTL = 10
#: The wait announced to an attempt that found the account claimed by a concurrent one.
CLAIMED_RETRY_AFTER = 1
#: The per-account cap for the codes of the second factor (``account/totp/check.py``): at
#: most this many wrong codes an hour from untrusted browsers, whatever the password's cap.
CODE_MAX_FAILURES_HOUR = 20


@dataclass(frozen=True)
class ThrottleLimits:
    free_pair: int
    free_address: int
    max_account_hour: int
    max_delay: int


class LoginThrottle:
    def __init__(
        self, store: KeyValueStore, clock: Clock, limits: ThrottleLimits, secret: str
    ) -> None:
        self._store = store
        self._clock = clock
        self._limits = limits
        self._secret = secret.encode()

    def _h(self, *parts: str) -> str:
        message = "\x00".join(parts).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def claim(self, account: str, device: str | None) -> str | None:
        """Take the right to check one password now: the claim to release afterwards, or None
        while a concurrent attempt holds it."""
        key = self._claim_key(account, device)
        return key if self._store.add(key, b"1", CLAIM_TTL) else None

    def release(self, claim: str) -> None:
        self._store.delete(claim)

    def _claim_key(self, account: str, device: str | None) -> str:
        acct = self._h("acct", account)
        if device and self.is_trusted(account, device):
            return f"thr:claim:{acct}:{self._h('dev', device)}"
        return f"thr:claim:{acct}"

    def retry_after(self, account: str, address: str, device: str | None) -> int:
        """Seconds the caller must wait before this attempt is allowed (0: go ahead)."""
        acct = self._h("acct", account)
        trusted = self.is_trusted(account, device)
        waits = [self._growing_wait(f"thr:pair:{acct}:{address}", self._limits.free_pair)]
        if not trusted:
            waits.append(self._growing_wait(f"thr:addr:{address}", self._limits.free_address))
            waits.append(self._account_wait(acct))
        return max(waits)

    def failed(self, account: str, address: str, device: str | None) -> None:
        acct = self._h("acct", account)
        now = str(self._clock.now()).encode()
        for key in (f"thr:pair:{acct}:{address}", f"thr:addr:{address}"):
            self._store.incr(key, WINDOW)
            self._store.set(key + ":last", now, WINDOW)
        if not self.is_trusted(account, device):
            self._store.incr(f"thr:acct:{acct}", WINDOW)

    def succeeded(self, account: str, address: str, device: str) -> None:
        acct = self._h("acct", account)
        self._store.delete(f"thr:pair:{acct}:{address}")
        self._store.delete(f"thr:pair:{acct}:{address}:last")
        self._store.set(f"thr:dev:{acct}:{self._h('dev', device)}", b"1", DEVICE_TRUST_TTL)

    def is_trusted(self, account: str, device: str | None) -> bool:
        if not device:
            return False
        acct = self._h("acct", account)
        return self._store.get(f"thr:dev:{acct}:{self._h('dev', device)}") is not None

    def _growing_wait(self, key: str, free: int) -> int:
        raw = self._store.get(key)
        failures = int(raw) if raw else 0
        if failures < free:
            return 0
        delay = min(2 ** min(failures - free, 20), self._limits.max_delay)
        last_raw = self._store.get(key + ":last")
        last = float(last_raw) if last_raw else 0.0
        remaining = last + delay - self._clock.now()
        return max(0, int(remaining + 0.999))

    def _account_wait(self, acct: str) -> int:
        key = f"thr:acct:{acct}"
        raw = self._store.get(key)
        if raw is None or int(raw) < self._limits.max_account_hour:
            return 0
        return self._store.ttl(key) or 1
