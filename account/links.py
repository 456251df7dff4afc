"""One-time links (e-mail verification, password reset): random, stored hashed, taken once."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from core.store.base import KeyValueStore, dumps, loads


class OneTimeLinks:
    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    @staticmethod
    def _key(purpose: str, token: str) -> str:
        return f"link:{purpose}:{hashlib.sha256(token.encode()).hexdigest()}"

    def issue(self, purpose: str, payload: dict[str, Any], ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        self._store.set(self._key(purpose, token), dumps(payload), ttl)
        return token

    def peek(self, purpose: str, token: str) -> dict[str, Any] | None:
        """Look without using (the page that asks for confirmation)."""
        if not _plausible(token):
            return None
        data = loads(self._store.get(self._key(purpose, token)))
        return data if isinstance(data, dict) else None

    def redeem(self, purpose: str, token: str) -> dict[str, Any] | None:
        """Use the link: of concurrent redemptions exactly one gets the payload."""
        if not _plausible(token):
            return None
        data = loads(self._store.take(self._key(purpose, token)))
        return data if isinstance(data, dict) else None


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
