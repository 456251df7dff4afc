"""The one immutable identity value that ``account`` hands to every protocol face."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from account.attributes import Provenance


class Level(StrEnum):
    """Level of assurance (eIDAS / BSI TR-03107-1), ordered low < substantial < high."""

    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


_RANK = {Level.LOW: 1, Level.SUBSTANTIAL: 2, Level.HIGH: 3}


@dataclass(frozen=True)
class SessionLimits:
    absolute_seconds: int
    idle_seconds: int


#: BSI TR-03160-1 session limits per level (DESIGN.md, "Level of assurance").
SESSION_LIMITS: dict[Level, SessionLimits] = {
    Level.LOW: SessionLimits(absolute_seconds=12 * 3600, idle_seconds=60 * 60),
    Level.SUBSTANTIAL: SessionLimits(absolute_seconds=2 * 3600, idle_seconds=30 * 60),
    Level.HIGH: SessionLimits(absolute_seconds=30 * 60, idle_seconds=5 * 60),
}


class Method(StrEnum):
    """Authentication methods (RFC 8176 ``amr`` values where one exists)."""

    PASSWORD = "pwd"
    EID = "eid"


@dataclass(frozen=True)
class AttributeValue:
    value: str
    provenance: Provenance
    verified_on: date | None = None


@dataclass(frozen=True)
class Identity:
    citizen_id: str
    methods: frozenset[Method]
    auth_time: float
    level: Level
    session_id: str
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
