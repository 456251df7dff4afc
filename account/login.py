"""Password login: throttled, constant in its answer for every kind of failure.

Unknown account, wrong password and unverified account all produce :class:`LoginFailed` after
the same Argon2id work; only a correct password on a verified account succeeds, and for an
account with a second factor only as far as :class:`CodeNeeded`: no session until the code
from the app is right too (``account/totp/flows.py``). An unverified
account that gives the right password also gets a fresh verification link (at most once a
minute), which the generic message mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

from account import registration
from account.identity import Level, Method
from account.models import Citizen, citizen_by_email
from account.services import services
from account.sso import SsoSession
from account.throttle import CLAIMED_RETRY_AFTER
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db


@dataclass(frozen=True)
class LoginSucceeded:
    citizen: Citizen
    sso: SsoSession


@dataclass(frozen=True)
class CodeNeeded:
    """The password was right; the account asks for the code from its authenticator app."""

    citizen: Citizen


@dataclass(frozen=True)
class LoginFailed:
    pass


@dataclass(frozen=True)
class LoginThrottled:
    retry_after: int


LoginResult = LoginSucceeded | CodeNeeded | LoginFailed | LoginThrottled


def password_login(
    email: str, password: str, client_address: str, device: str, user_agent: str
) -> LoginResult:
    s = services()
    claim = s.throttle.claim(email, device)
    if claim is None:
        return _throttled(email, client_address, CLAIMED_RETRY_AFTER)
    try:
        wait = s.throttle.retry_after(email, client_address, device)
        if wait > 0:
            return _throttled(email, client_address, wait)
        citizen = citizen_by_email(email)
        ok = s.hashing.verify(citizen.password_hash if citizen else None, password)
        if not ok or citizen is None or not citizen.is_verified:
            return _failed(email, citizen, ok, client_address, device)
        if citizen.totp is not None:
            return _code_needed(email, citizen, password, client_address, device)
        return _succeeded(email, citizen, password, client_address, device, user_agent)
    finally:
        s.throttle.release(claim)


def _throttled(email: str, client_address: str, wait: int) -> LoginThrottled:
    citizen = citizen_by_email(email)
    audit.record(
        AuditEvent.LOGIN_THROTTLED,
        now=services().clock.now(),
        citizen_id=citizen.id if citizen else None,
        client_address=client_address,
    )
    db.session.commit()
    return LoginThrottled(wait)


def _failed(
    email: str, citizen: Citizen | None, password_ok: bool, client_address: str, device: str
) -> LoginFailed:
    s = services()
    s.throttle.failed(email, client_address, device)
    if citizen is not None and password_ok:
        registration.resend(email)  # right password, unverified address
    audit.record(
        AuditEvent.LOGIN_PASSWORD_FAILED,
        now=s.clock.now(),
        citizen_id=citizen.id if citizen else None,
        client_address=client_address,
    )
    db.session.commit()
    return LoginFailed()


def _rehash(citizen: Citizen, password: str, now: float) -> None:
    s = services()
    if citizen.password_hash and s.hashing.needs_rehash(citizen.password_hash):
        citizen.password_hash = s.hashing.hash(password)
        audit.record(AuditEvent.PASSWORD_REHASHED, now=now, citizen_id=citizen.id)


def _code_needed(
    email: str, citizen: Citizen, password: str, client_address: str, device: str
) -> CodeNeeded:
    s = services()
    s.throttle.succeeded(email, client_address, device)
    _rehash(citizen, password, s.clock.now())
    db.session.commit()
    return CodeNeeded(citizen)


def _succeeded(
    email: str, citizen: Citizen, password: str, client_address: str, device: str, user_agent: str
) -> LoginSucceeded:
    s = services()
    now = s.clock.now()
    s.throttle.succeeded(email, client_address, device)
    _rehash(citizen, password, now)
    citizen.last_login_at = to_datetime(now)
    sso = s.sessions.start(citizen.id, {Method.PASSWORD}, Level.LOW, user_agent, client_address)
    audit.record(
        AuditEvent.LOGIN_PASSWORD_SUCCEEDED,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        method=Method.PASSWORD.value,
    )
    db.session.commit()
    return LoginSucceeded(citizen, sso)
