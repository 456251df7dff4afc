"""A card reading that waits for the citizen's next step in the same browser (registration
form, "link this card?"), kept in the key-value store for minutes and taken once.

Only the translated reading is kept (profile values, the RestrictedID digest), never the
eID-Server's result; the browser session holds just the random handle.
"""

from __future__ import annotations

import secrets

from flask import session

from account.eid.card import CardReading
from account.services import services
from core.store.base import dumps, loads

TTL = 15 * 60
_KEY = "eid-pending:"
_SESSION = "eid_pending"


def keep(reading: CardReading, purpose: str, **extra: str) -> None:
    handle = secrets.token_urlsafe(24)
    expires_at = services().clock.now() + TTL
    data = {"reading": reading.to_dict(), "purpose": purpose, "expires_at": expires_at, **extra}
    services().store.set(_KEY + handle, dumps(data), TTL)
    session[_SESSION] = handle


def _load(purpose: str, take: bool) -> tuple[CardReading, dict[str, str]] | None:
    handle = session.get(_SESSION)
    if not isinstance(handle, str):
        return None
    store = services().store
    data = loads(store.take(_KEY + handle) if take else store.get(_KEY + handle))
    if take:
        session.pop(_SESSION, None)
    if not isinstance(data, dict) or data.get("purpose") != purpose:
        return None
    if float(data.get("expires_at", 0)) <= services().clock.now():  # by the hub's clock
        return None
    extra = {k: str(v) for k, v in data.items() if k not in {"reading", "purpose", "expires_at"}}
    return CardReading.from_dict(data["reading"]), extra


def peek(purpose: str) -> tuple[CardReading, dict[str, str]] | None:
    return _load(purpose, take=False)


def take(purpose: str) -> tuple[CardReading, dict[str, str]] | None:
    """Of two concurrent submissions only one gets the reading."""
    return _load(purpose, take=True)


def drop() -> None:
    handle = session.pop(_SESSION, None)
    if isinstance(handle, str):
        services().store.delete(_KEY + handle)
