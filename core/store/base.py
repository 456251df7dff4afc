"""The key-value store interface.

Values are bytes; TTLs are whole seconds and always required, so nothing lives forever.
Every operation that decides "who was first" is atomic in both implementations.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

Members = set[str]


class KeyValueStore(Protocol):
    def get(self, key: str) -> bytes | None:
        """The value, or None when missing or expired."""
        ...

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds, replacing any previous value."""
        ...

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        """Store only if absent (``SET NX``); True when this call stored it."""
        ...

    def replace(self, key: str, value: bytes, ttl: int) -> bool:
        """Store only if present (``SET XX``); False when the key was gone (nothing stored)."""
        ...

    def take(self, key: str) -> bytes | None:
        """Return and delete in one step (``GETDEL``); of concurrent takers one wins."""
        ...

    def delete(self, key: str) -> bool:
        """Delete; True when something was deleted."""
        ...

    def incr(self, key: str, ttl: int) -> int:
        """Add one to a counter; a new counter starts at 1 and expires after ``ttl``."""
        ...

    def ttl(self, key: str) -> int | None:
        """Remaining whole seconds, or None when missing."""
        ...

    def set_add(self, key: str, member: str, ttl: int) -> None:
        """Add to a set and (re)start the set's TTL."""
        ...

    def set_remove(self, key: str, member: str) -> None: ...

    def set_members(self, key: str) -> Members: ...

    def ping(self) -> bool:
        """True when the store answers (``/readyz``)."""
        ...


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def loads(raw: bytes | None) -> Any:
    return None if raw is None else json.loads(raw)
