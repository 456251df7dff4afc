"""What a right code does to the Bürgerkonto, each in one transaction:

* log in: the second page after a right password; a new SSO session with methods password and
  code, level :func:`~account.totp.check.level_with_code` (a recovery code: level low);
* step up: a password session of an account whose code reaches more is raised to that level
  (methods password and code, limits from now), the session id stays;
* enrol: a new secret waits (sealed) in the browser's server-side session until the citizen
  typed a right code from the app; then it is stored with ten recovery codes;
* disable: after a right code (or recovery code), the credential and its recovery codes go;
  a card login of level high in this session stands in for the code (:func:`card_proves`);
* renew the recovery codes: after a right code from the app, ten new ones replace the old.

Enrolling, disabling and renewing need a login of the last :data:`account.sso.FRESH_SECONDS`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from flask import session
from sqlalchemy.exc import IntegrityError

from account import mails
from account.eid.flows import card_confirms
from account.identity import Level, Method
from account.models import Citizen
from account.services import services
from account.sso import SsoSession
from account.sso import is_fresh as sso_fresh
from account.totp import codes, credential
from account.totp.check import Accepted, Checked, check, level_with_code
from certs import KeyUnavailable, Sealed
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db

ENROLMENT_TTL = 15 * 60
_ENROLMENT = "totp_enrolment"


def _now() -> float:
    return services().clock.now()


def is_fresh(sso: SsoSession) -> bool:
    return sso_fresh(sso, _now())


def _verifier(citizen: Citizen, code: str, recovery: bool, now: float) -> Callable[[], bool]:
    if recovery:
        return lambda: credential.use_recovery_code(citizen, code)
    return lambda: credential.accept_code(citizen, code, now)


# --- log in -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedIn:
    sso: SsoSession
    recovery_codes_left: int | None = None


def log_in(
    citizen: Citizen,
    code: str,
    recovery: bool,
    client_address: str,
    device: str,
    user_agent: str,
) -> LoggedIn | Checked:
    """The second step of a password login (the password was right a moment ago)."""
    now = _now()
    checked = check(
        citizen, _verifier(citizen, code, recovery, now), client_address, device, "login"
    )
    if not isinstance(checked, Accepted):
        return checked
    s = services()
    s.throttle.succeeded(citizen.email, client_address, device)
    citizen.last_login_at = to_datetime(now)
    if recovery:
        return _logged_in_with_recovery(citizen, client_address, user_agent)
    level = level_with_code(citizen)
    methods = {Method.PASSWORD, Method.TOTP}
    sso = s.sessions.start(citizen.id, methods, level, user_agent, client_address)
    audit.record(
        AuditEvent.LOGIN_TOTP_SUCCEEDED,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        method="+".join(sorted(m.value for m in methods)),
        level=level.value,
    )
    db.session.commit()
    return LoggedIn(sso)


def _logged_in_with_recovery(citizen: Citizen, client_address: str, user_agent: str) -> LoggedIn:
    """A recovery code opens the account at level low (a fall-back, not the app)."""
    s, now = services(), _now()
    left = credential.recovery_codes_left(citizen.id)
    sso = s.sessions.start(citizen.id, {Method.PASSWORD}, Level.LOW, user_agent, client_address)
    for event, extra in (
        (AuditEvent.TOTP_RECOVERY_CODE_USED, {"left": left}),
        (AuditEvent.LOGIN_PASSWORD_SUCCEEDED, {"method": Method.PASSWORD.value}),
    ):
        audit.record(event, now=now, citizen_id=citizen.id, client_address=client_address, **extra)
    db.session.commit()
    if citizen.is_verified:
        mails.recovery_code_used(citizen.email, citizen.preferred_locale, left)
    return LoggedIn(sso, recovery_codes_left=left)


# --- step up ------------------------------------------------------------------------------------


def raises(citizen: Citizen, sso: SsoSession) -> bool:
    """Whether a code from the app takes this password session higher than it is."""
    if citizen.totp is None or Method.PASSWORD.value not in sso.methods:
        return False
    return level_with_code(citizen).rank > sso.level_enum.rank


def step_up(
    citizen: Citizen, sso: SsoSession, code: str, client_address: str, device: str
) -> Checked:
    now = _now()
    verify = _verifier(citizen, code, False, now)
    checked = check(citizen, verify, client_address, device, "step-up")
    if not isinstance(checked, Accepted):
        return checked
    level = level_with_code(citizen)
    services().sessions.raise_level(sso, Method.TOTP, level)
    citizen.last_login_at = to_datetime(now)
    audit.record(
        AuditEvent.LOGIN_TOTP_STEP_UP,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        method=Method.TOTP.value,
        level=level.value,
    )
    db.session.commit()
    return checked


# --- enrol --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    grouped: str
    qr_svg: str


def enrolment(citizen: Citizen) -> Enrolment:
    """The secret waiting for the first code (a new one when none waits or it expired)."""
    sealed = _waiting_secret(citizen)
    try:
        secret = credential.open_sealed(citizen.id, sealed) if sealed else codes.new_secret()
    except KeyUnavailable:  # sealed under a KEK that is gone meanwhile: start anew
        sealed, secret = None, codes.new_secret()
    if sealed is None:
        sealed = credential.seal(citizen.id, secret)
        session[_ENROLMENT] = {
            "citizen": citizen.id,
            "blob": base64.b64encode(sealed.blob).decode(),
            "kek": sealed.kek_id,
            "expires_at": _now() + ENROLMENT_TTL,
        }
    uri = codes.provisioning_uri(secret, citizen.email)
    return Enrolment(secret, uri, codes.grouped(secret), codes.qr_svg(uri))


def _waiting_secret(citizen: Citizen) -> Sealed | None:
    data = session.get(_ENROLMENT)
    if not isinstance(data, dict) or data.get("citizen") != citizen.id:
        return None
    if float(data.get("expires_at", 0)) <= _now():
        return None
    return Sealed(base64.b64decode(str(data["blob"])), str(data["kek"]))


@dataclass(frozen=True)
class Enabled:
    recovery_codes: list[str]


class AlreadyEnabled:
    pass


class NothingWaiting:
    """No secret waits for its first code (expired, or another browser session)."""


def enable(
    citizen: Citizen, sso: SsoSession, code: str, client_address: str, device: str
) -> Enabled | AlreadyEnabled | NothingWaiting | Checked:
    """Store the waiting secret once ``code`` is right for it; other sessions end."""
    if citizen.totp is not None:
        return AlreadyEnabled()
    sealed = _waiting_secret(citizen)
    if sealed is None:
        return NothingWaiting()
    try:
        secret, now = credential.open_sealed(citizen.id, sealed), _now()
    except KeyUnavailable:
        return NothingWaiting()
    matched: list[int] = []

    def verify() -> bool:
        step = codes.matching_step(secret, code, now)
        matched.extend([] if step is None else [step])
        return step is not None

    checked = check(citizen, verify, client_address, device, "enrol")
    if not isinstance(checked, Accepted):
        return checked
    shown = credential.store(citizen, sealed, matched[0], now)
    audit.record(
        AuditEvent.TOTP_ENABLED, now=now, citizen_id=citizen.id, client_address=client_address
    )
    try:
        db.session.commit()
    except IntegrityError:  # a second tab enabled it at the same moment
        db.session.rollback()
        return AlreadyEnabled()
    session.pop(_ENROLMENT, None)
    services().sessions.end_all(citizen.id, except_sid=sso.id)
    mails.totp_enabled(citizen.email, citizen.preferred_locale)
    return Enabled(shown)


# --- disable ------------------------------------------------------------------------------------


def disable(
    citizen: Citizen, code: str, recovery: bool, client_address: str, device: str
) -> Checked:
    now = _now()
    verify = _verifier(citizen, code, recovery, now)
    checked = check(citizen, verify, client_address, device, "disable")
    if not isinstance(checked, Accepted):
        return checked
    credential.remove(citizen)
    audit.record(
        AuditEvent.TOTP_DISABLED,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        with_recovery_code=recovery,
    )
    db.session.commit()
    mails.totp_disabled(citizen.email, citizen.preferred_locale)
    return checked


def card_proves(sso: SsoSession) -> bool:
    """Whether this session's latest login was one with the ID card, of level high, in the
    last minutes (:func:`account.eid.flows.card_confirms`): it stands in for the code when
    switching off. A card linked to the account logs in without any code anyway, so this
    gives nobody a way in that the card did not give already (docs/TOTP.md)."""
    return card_confirms(sso) and sso.level_enum is Level.HIGH


def disable_with_card(citizen: Citizen, sso: SsoSession, client_address: str) -> bool:
    """Switch off after :func:`card_proves`; every other session ends (the phone may be lost
    with a login on it). False when the card does not prove it, or it was off already."""
    if citizen.totp is None or not card_proves(sso):
        return False
    if not credential.remove_if_there(citizen):
        db.session.rollback()
        return False
    audit.record(
        AuditEvent.TOTP_DISABLED,
        now=_now(),
        citizen_id=citizen.id,
        client_address=client_address,
        with_card=True,
    )
    db.session.commit()
    services().sessions.end_all(citizen.id, except_sid=sso.id)
    mails.totp_disabled(citizen.email, citizen.preferred_locale)
    return True


# --- new recovery codes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Renewed:
    recovery_codes: list[str]


def renew_recovery_codes(
    citizen: Citizen, code: str, client_address: str, device: str
) -> Renewed | Checked:
    """Ten new recovery codes for all old ones, after a right code from the app (not a
    recovery code: whoever has only those switches off and on again).

    One transaction: the code's conditional UPDATE of the credential row, the DELETE of every
    old code, the INSERT of the new ones, the audit record. The UPDATE keeps the row locked
    until the commit, so of two renewals at once the second waits and then needs a code of a
    later time step; it never leaves old and new codes side by side."""
    now = _now()
    verify = _verifier(citizen, code, False, now)
    checked = check(citizen, verify, client_address, device, "recovery-codes")
    if not isinstance(checked, Accepted):
        return checked
    shown = credential.renew_recovery_codes(citizen)
    audit.record(
        AuditEvent.TOTP_RECOVERY_CODES_RENEWED,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        count=len(shown),
    )
    db.session.commit()
    mails.recovery_codes_renewed(citizen.email, citizen.preferred_locale)
    return Renewed(shown)
