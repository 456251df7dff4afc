"""Levels of assurance as ``acr`` values (DESIGN.md: eIDAS URIs; STORK QAA names accepted)."""

from __future__ import annotations

from account.identity import Level

ACR: dict[Level, str] = {
    Level.LOW: "http://eidas.europa.eu/LoA/low",
    Level.SUBSTANTIAL: "http://eidas.europa.eu/LoA/substantial",
    Level.HIGH: "http://eidas.europa.eu/LoA/high",
}

_ACCEPTED: dict[str, Level] = {
    **{uri: level for level, uri in ACR.items()},
    "STORK-QAA-Level-1": Level.LOW,
    "STORK-QAA-Level-3": Level.SUBSTANTIAL,
    "STORK-QAA-Level-4": Level.HIGH,
    "http://eidas.europa.eu/LoA/NotNotified/low": Level.LOW,
    "http://eidas.europa.eu/LoA/NotNotified/substantial": Level.SUBSTANTIAL,
    "http://eidas.europa.eu/LoA/NotNotified/high": Level.HIGH,
}


def acr_of(level: Level) -> str:
    """The ``acr`` claim for the level actually performed (never more)."""
    return ACR[level]


def requested_minimum(values: list[str]) -> Level | None:
    """The minimum among the understood values (any of them would do); unknown are ignored."""
    levels = [_ACCEPTED[v] for v in values if v in _ACCEPTED]
    return min(levels, key=lambda lvl: lvl.rank) if levels else None


def stricter(a: Level, b: Level | None) -> Level:
    return a if b is None or a.at_least(b) else b


def supported_acr_values() -> list[str]:
    return list(ACR.values())
