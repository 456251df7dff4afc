"""Levels of assurance in SAML: RequestedAuthnContext (SAML Core §3.3.2.2.1) against the level
the SSO session actually reached.

Both URI families are understood: STORK-QAA-Level-1..4 (as BundID/FINK use them) and the eIDAS
LoA URIs. Our levels map low → QAA 1, substantial → QAA 3, high → QAA 4 (DESIGN.md). The answer
names the level that was *performed*, in the family the SP asked in (STORK when it did not ask)
— never a higher one. Class references we do not know (e.g. PasswordProtectedTransport) are
ignored; a request naming none we know asks for nothing beyond the SP's configured minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from account.identity import Level

STORK = {
    1: "STORK-QAA-Level-1",
    2: "STORK-QAA-Level-2",
    3: "STORK-QAA-Level-3",
    4: "STORK-QAA-Level-4",
}
EIDAS = {
    1: "http://eidas.europa.eu/LoA/low",
    3: "http://eidas.europa.eu/LoA/substantial",
    4: "http://eidas.europa.eu/LoA/high",
}
_RANK_OF_URI = {uri: rank for rank, uri in STORK.items()} | {
    uri: rank for rank, uri in EIDAS.items()
}
QAA_RANK = {Level.LOW: 1, Level.SUBSTANTIAL: 3, Level.HIGH: 4}
_LEVELS_UP = (Level.LOW, Level.SUBSTANTIAL, Level.HIGH)


class Comparison(StrEnum):
    EXACT = "exact"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    BETTER = "better"


@dataclass(frozen=True)
class Requested:
    comparison: Comparison
    ranks: tuple[int, ...]
    eidas: bool

    def satisfied_by(self, level: Level) -> bool:
        if not self.ranks:
            return True
        rank = QAA_RANK[level]
        if self.comparison is Comparison.EXACT:
            return rank in self.ranks
        if self.comparison is Comparison.MINIMUM:
            return rank >= min(self.ranks)
        if self.comparison is Comparison.MAXIMUM:
            return rank <= max(self.ranks)
        return rank > max(self.ranks)


NOTHING = Requested(Comparison.EXACT, (), False)


def parse_requested(comparison: str | None, class_refs: list[str]) -> Requested | None:
    """The request's wish; None when it is malformed (unknown Comparison)."""
    try:
        how = Comparison(comparison or "exact")
    except ValueError:
        return None
    ranks = tuple(_RANK_OF_URI[r] for r in class_refs if r in _RANK_OF_URI)
    eidas = any(r in EIDAS.values() for r in class_refs)
    return Requested(how, ranks, eidas)


def needed_level(requested: Requested, sp_minimum: Level) -> Level | None:
    """The lowest of our levels that satisfies the SP's minimum and the request; None when no
    level of ours can (e.g. exactly QAA 2, or "maximum QAA 1" with a minimum of high)."""
    for level in _LEVELS_UP:
        if level.at_least(sp_minimum) and requested.satisfied_by(level):
            return level
    return None


def acceptable(performed: Level, requested: Requested, sp_minimum: Level) -> bool:
    return performed.at_least(sp_minimum) and requested.satisfied_by(performed)


def class_ref(performed: Level, requested: Requested) -> str:
    """The AuthnContextClassRef to assert: the performed level, never more."""
    rank = QAA_RANK[performed]
    return EIDAS[rank] if requested.eidas else STORK[rank]
