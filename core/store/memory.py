"""In-process store: one dict behind one lock, expiry by the injected clock."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from core.clock import Clock, SystemClock


@dataclass
class _Entry:
    value: bytes | int | set[str]
    expires_at: float


Members = set[str]


class MemoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._data: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock.now():
            del self._data[key]
            return None
        return entry

    def _expiry(self, ttl: int) -> float:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        return self._clock.now() + ttl

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
            return _as_bytes(entry.value) if entry else None

    def set(self, key: str, value: bytes, ttl: int) -> None:
        with self._lock:
            self._data[key] = _Entry(bytes(value), self._expiry(ttl))

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = _Entry(bytes(value), self._expiry(ttl))
            return True

    def replace(self, key: str, value: bytes, ttl: int) -> bool:
        with self._lock:
            expires_at = self._expiry(ttl)
            if self._live(key) is None:
                return False
            self._data[key] = _Entry(bytes(value), expires_at)
            return True

    def take(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return None
            del self._data[key]
            return _as_bytes(entry.value)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None and self._data.pop(key) is not None

    def incr(self, key: str, ttl: int) -> int:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                entry = self._data[key] = _Entry(0, self._expiry(ttl))
            if not isinstance(entry.value, int):
                entry.value = int(_as_bytes(entry.value))
            entry.value += 1
            return entry.value

    def ttl(self, key: str) -> int | None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return None
            return max(0, math.ceil(entry.expires_at - self._clock.now()))

    def set_add(self, key: str, member: str, ttl: int) -> None:
        with self._lock:
            entry = self._live(key)
            members = entry.value if entry and isinstance(entry.value, set) else set()
            members.add(member)
            self._data[key] = _Entry(members, self._expiry(ttl))

    def set_remove(self, key: str, member: str) -> None:
        with self._lock:
            entry = self._live(key)
            if entry and isinstance(entry.value, set):
                entry.value.discard(member)
                if not entry.value:
                    del self._data[key]

    def set_members(self, key: str) -> Members:
        with self._lock:
            entry = self._live(key)
            return set(entry.value) if entry and isinstance(entry.value, set) else set()

    def ping(self) -> bool:
        return True


def _as_bytes(value: bytes | int | set[str]) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, int):
        return str(value).encode()
    raise TypeError("value is a set; use set_members")
