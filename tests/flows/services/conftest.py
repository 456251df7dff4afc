"""Fixtures of the service flow tests (each runs on both storage backends of the hub; the
service apps' own databases are SQLite files, or PostgreSQL schemas of their own)."""

from __future__ import annotations

import time

import pytest

from core.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    """The protocol libraries check times against the real clock."""
    return FrozenClock(start=float(int(time.time())))
