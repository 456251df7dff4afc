"""A submitted code, throttled like the password (``account/throttle.py``) and audited.

The throttle counts per (account, client address), per client address and per account, under
an account name of its own (``totp`` and the citizen id: never the password's counters), with
a tighter hourly cap per account (``CODE_MAX_FAILURES_HOUR`` in ``account/throttle.py``): one
who knows the password has three chances in a million per guess (three steps are accepted),
and RFC 6238 §5.2 / NIST SP 800-63B §5.2.2 ask to limit the tries. A browser that entered a
right code for the account is trusted for it like for the password, so someone guessing
elsewhere cannot lock out the owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from account.identity import Level
from account.models import Citizen
from account.services import services
from account.throttle import CLAIMED_RETRY_AFTER
from core import audit
from core.audit import AuditEvent
from core.db import db


def throttle_account(citizen_id: str) -> str:
    return "totp\x00" + citizen_id


def level_with_code(citizen: Citizen) -> Level:
    """What password and code reach: substantial for an account whose identity was verified
    with the Online-Ausweis (a card is linked, DESIGN.md "Level of assurance"), otherwise low
    (the code is still asked: it protects the account, it does not tell who the person is)."""
    return Level.SUBSTANTIAL if citizen.eid_links else Level.LOW


@dataclass(frozen=True)
class Accepted:
    pass


@dataclass(frozen=True)
class Wrong:
    pass


@dataclass(frozen=True)
class Throttled:
    retry_after: int


Checked = Accepted | Wrong | Throttled


def check(
    citizen: Citizen,
    verify: Callable[[], bool],
    client_address: str,
    device: str,
    purpose: str,
) -> Checked:
    """Run ``verify`` (which uses up the code in the open transaction) unless throttled. A
    wrong code is counted, audited and committed; after :class:`Accepted` the caller commits."""
    throttle, account = services().code_throttle, throttle_account(citizen.id)
    claim = throttle.claim(account, device)
    if claim is None:
        return _throttled(citizen, client_address, CLAIMED_RETRY_AFTER, purpose)
    try:
        wait = throttle.retry_after(account, client_address, device)
        if wait > 0:
            return _throttled(citizen, client_address, wait, purpose)
        if not verify():
            db.session.rollback()
            throttle.failed(account, client_address, device)
            _record(AuditEvent.LOGIN_TOTP_FAILED, citizen, client_address, purpose)
            return Wrong()
        throttle.succeeded(account, client_address, device)
        return Accepted()
    finally:
        throttle.release(claim)


def trust_device(citizen: Citizen, client_address: str, device: str) -> None:
    """A new browser's device id, after a right code (see the module docstring)."""
    services().code_throttle.succeeded(throttle_account(citizen.id), client_address, device)


def _throttled(citizen: Citizen, client_address: str, wait: int, purpose: str) -> Throttled:
    _record(AuditEvent.LOGIN_THROTTLED, citizen, client_address, purpose)
    return Throttled(wait)


def _record(event: AuditEvent, citizen: Citizen, client_address: str, purpose: str) -> None:
    audit.record(
        event,
        now=services().clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
        factor="totp",
        purpose=purpose,
    )
    db.session.commit()
