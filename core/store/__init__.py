"""Key-value store with TTL and atomic take-once semantics.

Two implementations share one interface and one contract test suite
(``tests/integration/test_store_contract.py``): :class:`RedisStore` for production and
:class:`MemoryStore` for development and single-process use.
"""

from __future__ import annotations

from core.clock import Clock, SystemClock
from core.store.base import KeyValueStore
from core.store.memory import MemoryStore
from core.store.redis import RedisStore

__all__ = ["KeyValueStore", "MemoryStore", "RedisStore", "open_store"]


def open_store(redis_url: str, prefix: str, clock: Clock | None = None) -> KeyValueStore:
    """The store named by the settings: Redis when a URL is given, else in-process."""
    if redis_url:
        return RedisStore.from_url(redis_url, prefix=prefix)
    return MemoryStore(clock or SystemClock())
