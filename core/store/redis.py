"""Redis store (production). Atomicity comes from Redis itself: SET NX, GETDEL, MULTI."""

from __future__ import annotations

from typing import cast

import redis

Members = set[str]


class RedisStore:
    def __init__(self, client: redis.Redis[bytes], prefix: str = "") -> None:
        self._r = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "") -> RedisStore:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self._prefix + key

    def get(self, key: str) -> bytes | None:
        return self._r.get(self._k(key))

    def set(self, key: str, value: bytes, ttl: int) -> None:
        _check_ttl(ttl)
        self._r.set(self._k(key), value, ex=ttl)

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        _check_ttl(ttl)
        return bool(self._r.set(self._k(key), value, ex=ttl, nx=True))

    def replace(self, key: str, value: bytes, ttl: int) -> bool:
        _check_ttl(ttl)
        return bool(self._r.set(self._k(key), value, ex=ttl, xx=True))

    def take(self, key: str) -> bytes | None:
        return self._r.getdel(self._k(key))

    def delete(self, key: str) -> bool:
        return bool(self._r.delete(self._k(key)))

    def incr(self, key: str, ttl: int) -> int:
        _check_ttl(ttl)
        pipe = self._r.pipeline(transaction=True)
        pipe.set(self._k(key), 0, ex=ttl, nx=True)
        pipe.incr(self._k(key))
        return int(pipe.execute()[1])

    def ttl(self, key: str) -> int | None:
        remaining = int(self._r.ttl(self._k(key)))
        return None if remaining < 0 else remaining

    def set_add(self, key: str, member: str, ttl: int) -> None:
        _check_ttl(ttl)
        pipe = self._r.pipeline(transaction=True)
        pipe.sadd(self._k(key), member)
        pipe.expire(self._k(key), ttl)
        pipe.execute()

    def set_remove(self, key: str, member: str) -> None:
        self._r.srem(self._k(key), member)

    def set_members(self, key: str) -> Members:
        raw = cast(Members, self._r.smembers(self._k(key)))
        return {m.decode() if isinstance(m, bytes) else str(m) for m in raw}

    def ping(self) -> bool:
        try:
            return bool(self._r.ping())
        except redis.RedisError:
            return False

    def flush_prefix(self) -> None:
        """Delete every key under this store's prefix (tests)."""
        for key in self._r.scan_iter(match=self._prefix + "*", count=500):
            self._r.delete(key)


def _check_ttl(ttl: int) -> None:
    if ttl <= 0:
        raise ValueError("ttl must be positive")
