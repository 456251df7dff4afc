"""A login whose password was right and whose code is still to come (the second page).

Kept in the key-value store for minutes under a random handle that only this browser's
server-side session knows; it gives no SSO session. It dies with a change of the account's
credentials (password reset or change), after :data:`MAX_WRONG` wrong codes (then the
password is asked again) and when the login completes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import session

from account.models import Citizen, citizen_by_id
from account.services import services
from core.store.base import dumps, loads

TTL = 5 * 60
MAX_WRONG = 5
_KEY = "login-code:"
_SESSION = "login_code"


@dataclass(frozen=True)
class Waiting:
    handle: str
    citizen: Citizen
    next_path: str


def keep(citizen: Citizen, next_path: str) -> None:
    handle = secrets.token_urlsafe(24)
    data = {
        "citizen": citizen.id,
        "version": citizen.credential_version,
        "next": next_path,
        "expires_at": services().clock.now() + TTL,
    }
    services().store.set(_KEY + handle, dumps(data), TTL)
    session[_SESSION] = handle


def current() -> Waiting | None:
    handle = session.get(_SESSION)
    if not isinstance(handle, str):
        return None
    data = loads(services().store.get(_KEY + handle))
    if not isinstance(data, dict) or float(data.get("expires_at", 0)) <= services().clock.now():
        return None
    citizen = citizen_by_id(str(data.get("citizen")))
    if citizen is None or citizen.credential_version != data.get("version"):
        return None
    return Waiting(handle, citizen, str(data.get("next") or ""))


def wrong(waiting: Waiting) -> bool:
    """Count a wrong code; False when that was the last one allowed (the login is dropped)."""
    tries = services().store.incr(_KEY + waiting.handle + ":wrong", TTL)
    if tries < MAX_WRONG:
        return True
    drop(waiting)
    return False


def drop(waiting: Waiting) -> bool:
    """End the waiting login; False when a concurrent request ended it first."""
    session.pop(_SESSION, None)
    services().store.delete(_KEY + waiting.handle + ":wrong")
    return services().store.delete(_KEY + waiting.handle)
