"""One-time links (e-mail verification, password reset): random, stored hashed, taken once.

A link dies at the end of its lifetime by the injected clock (the store's TTL only cleans up),
so expiry does not depend on which store, or whose clock, is underneath.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from core.clock import Clock, SystemClock
from core.store.base import KeyValueStore, dumps, loads


class OneTimeLinks:
    def __init__(self, store: KeyValueStore, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or SystemClock()

    @staticmethod
    def _key(purpose: str, token: str) -> str:
        return f"link:{purpose}:{hashlib.sha256(token.encode()).hexdigest()}"

    def issue(self, purpose: str, payload: dict[str, Any], ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        entry = {"payload": payload, "expires_at": self._clock.now() + ttl}
        self._store.set(self._key(purpose, token), dumps(entry), ttl)
        return token

    def peek(self, purpose: str, token: str) -> dict[str, Any] | None:
        """Look without using (the page that asks for confirmation)."""
        if not _plausible(token):
            return None
        return self._live(self._store.get(self._key(purpose, token)))

    def redeem(self, purpose: str, token: str) -> dict[str, Any] | None:
        """Use the link: of concurrent redemptions exactly one gets the payload."""
        if not _plausible(token):
            return None
        return self._live(self._store.take(self._key(purpose, token)))

    def _live(self, raw: bytes | None) -> dict[str, Any] | None:
        entry = loads(raw)
        if not isinstance(entry, dict) or entry.get("expires_at", 0) <= self._clock.now():
            return None
        payload = entry.get("payload")
        return payload if isinstance(payload, dict) else None


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
