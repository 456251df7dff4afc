"""The stored authenticator app of an account and its recovery codes.

The shared secret is sealed under the KEK (``certs.sealing``, bound to the citizen id) and only
opened to check a code. Accepting a code raises ``last_step`` with one conditional UPDATE
(``… WHERE last_step IS NULL OR last_step < :step``): of two requests with the same code, or
with codes of the same time step, only one changes the row (PostgreSQL re-checks the condition
after the row lock, SQLite writes one at a time), and a code of a step before the last accepted
one is refused as well (RFC 6238 §5.2: a verifier must not accept an OTP a second time).
A recovery code is one DELETE of its digest: it works once.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, or_, select, update

from account.models import Citizen, TotpCredential, TotpRecoveryCode
from account.totp import codes
from certs import KeyUnavailable, Sealed, SecretSealing, sealing
from core.clock import to_datetime
from core.db import db

log = logging.getLogger("portal.account")


def _context(citizen_id: str) -> str:
    return f"account.totp:{citizen_id}"


def seal(citizen_id: str, secret: str) -> Sealed:
    return sealing().seal(_context(citizen_id), secret.encode())


def open_sealed(citizen_id: str, sealed: Sealed) -> str:
    """The secret; :class:`~certs.KeyUnavailable` when the KEK that sealed it is gone."""
    return sealing().open(_context(citizen_id), sealed).decode()


def _secret(credential: TotpCredential) -> str:
    return open_sealed(credential.citizen_id, Sealed(credential.sealed_secret, credential.kek_id))


def accept_code(citizen: Citizen, code: str, now: float) -> bool:
    """Whether ``code`` is the app's code for a time step within the window that was not used
    before; the step is then used up (in the caller's transaction, which commits)."""
    credential = citizen.totp
    if credential is None:
        return False
    try:
        secret = _secret(credential)
    except KeyUnavailable:  # the KEK that sealed it is gone: only recovery codes are left
        log.error("totp: a sealed secret cannot be opened with the configured KEKs")
        return False
    step = codes.matching_step(secret, code, now)
    if step is None:
        return False
    if not claim_step(citizen.id, step, now):
        return False
    if credential.kek_id != sealing().current_id:  # a KEK rotation since: re-seal on the way
        _reseal(credential, sealing())
    return True


def claim_step(citizen_id: str, step: int, now: float) -> bool:
    """Use up time step ``step`` (atomic, see the module docstring)."""
    result = db.session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.citizen_id == citizen_id,
            or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step),
        )
        .values(last_step=step, last_used_at=to_datetime(now))
        .execution_options(synchronize_session=False)
    )
    claimed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    credential = db.session.get(TotpCredential, citizen_id)
    if credential is not None:
        db.session.expire(credential, ["last_step", "last_used_at"])
    return claimed


def use_recovery_code(citizen: Citizen, code: str) -> bool:
    """Whether ``code`` is one of the account's unused recovery codes; it is used up then."""
    normalised = codes.normalise_recovery(code)
    if normalised is None or citizen.totp is None:
        return False
    result = db.session.execute(
        delete(TotpRecoveryCode)
        .where(
            TotpRecoveryCode.citizen_id == citizen.id,
            TotpRecoveryCode.digest == codes.recovery_digest(citizen.id, normalised),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def recovery_codes_left(citizen_id: str) -> int:
    query = select(func.count()).where(TotpRecoveryCode.citizen_id == citizen_id)
    return int(db.session.scalar(query) or 0)


def store(citizen: Citizen, sealed: Sealed, step: int, now: float) -> list[str]:
    """The credential (its first code's step already used) and ten new recovery codes, in the
    caller's transaction; the recovery codes as shown, the only time they exist in clear."""
    citizen.totp = TotpCredential(
        sealed_secret=sealed.blob,
        kek_id=sealed.kek_id,
        enabled_at=to_datetime(now),
        last_step=step,
        last_used_at=to_datetime(now),
    )
    return renew_recovery_codes(citizen)


def renew_recovery_codes(citizen: Citizen) -> list[str]:
    db.session.execute(delete(TotpRecoveryCode).where(TotpRecoveryCode.citizen_id == citizen.id))
    new = codes.new_recovery_codes(citizen.id)
    db.session.add_all(TotpRecoveryCode(citizen_id=citizen.id, digest=c.digest) for c in new)
    return [c.shown for c in new]


def remove(citizen: Citizen) -> None:
    db.session.execute(delete(TotpRecoveryCode).where(TotpRecoveryCode.citizen_id == citizen.id))
    citizen.totp = None


def remove_if_there(citizen: Citizen) -> bool:
    """Delete the credential and its recovery codes in the caller's transaction; False when
    it was gone already (two operators, or an operator and the citizen, at the same moment:
    one conditional DELETE each, so only one of them reports it)."""
    db.session.execute(delete(TotpRecoveryCode).where(TotpRecoveryCode.citizen_id == citizen.id))
    result = db.session.execute(
        delete(TotpCredential)
        .where(TotpCredential.citizen_id == citizen.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(citizen, ["totp"])
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _reseal(credential: TotpCredential, ring: SecretSealing) -> None:
    secret = _secret(credential)
    sealed = ring.seal(_context(credential.citizen_id), secret.encode())
    credential.sealed_secret, credential.kek_id = sealed.blob, sealed.kek_id


def reseal_all(ring: SecretSealing) -> int:
    """``flask certs rekey``: every secret not yet under the current KEK, sealed anew."""
    changed = 0
    for credential in db.session.scalars(
        select(TotpCredential).where(TotpCredential.kek_id != ring.current_id)
    ):
        _reseal(credential, ring)
        changed += 1
    db.session.commit()
    return changed
