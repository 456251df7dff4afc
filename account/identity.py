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
    """Authentication methods, by their internal names (DESIGN.md "The identity that flows
    through the hub"); :attr:`amr` is what a relying party is told (RFC 8176 §2)."""

    PASSWORD = "pwd"
    EID = "eid"
    #: RFC 6238 time-based one-time password from an authenticator app (docs/TOTP.md).
    TOTP = "totp"

    @property
    def amr(self) -> str:
        """The RFC 8176 ``amr`` value: ``otp`` for the app's code (§2), else the name."""
        return _AMR.get(self, self.value)


_AMR = {Method.TOTP: "otp"}


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

    @property
    def amr(self) -> list[str]:
        """The methods as RFC 8176 ``amr`` values, sorted (OIDC Core §2 ``amr``)."""
        return sorted(m.amr for m in self.methods)
