"""The support desk switches the second factor off for a citizen who lost phone and recovery
codes (``flask accounts second-factor-off``, docs/TOTP.md "Support").

The operator has checked who the citizen is out of band (at the counter with the ID card, a
call back to a known number …); the hub cannot check that, so it insists on a reason, keeps it
in the audit log with the operator's name, ends every session of the account and tells the
citizen by mail — the citizen's defence when someone talked the desk into it.
"""

from __future__ import annotations

from dataclasses import dataclass

from account import mails
from account.models import Citizen
from account.services import services
from account.totp import credential
from core import audit
from core.audit import AuditEvent
from core.db import db

#: The reason as the audit log keeps it: one line, at most this many characters.
REASON_MAX = 500


class ReasonRefusedError(ValueError):
    """The reason is missing, blank or too long."""


def clean_reason(reason: str) -> str:
    """The reason on one line (runs of white space and control characters become a blank);
    :class:`ReasonRefusedError` when nothing is left or it is longer than :data:`REASON_MAX`."""
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in reason).split())
    if not cleaned:
        raise ReasonRefusedError("a reason is required (who asked, how their identity was checked)")
    if len(cleaned) > REASON_MAX:
        raise ReasonRefusedError(f"the reason is longer than {REASON_MAX} characters")
    return cleaned


@dataclass(frozen=True)
class SwitchedOff:
    #: Sessions of the account that were ended.
    sessions_ended: int


def switch_off(citizen: Citizen, reason: str, via: str) -> SwitchedOff | None:
    """Delete the credential and the recovery codes, audit it with ``reason`` (see
    :func:`clean_reason`) and ``via`` (who, how), end every session, mail the citizen. None
    when the factor is not on (nothing changed)."""
    if citizen.totp is None:
        return None
    left = credential.recovery_codes_left(citizen.id)
    if not credential.remove_if_there(citizen):  # switched off meanwhile
        db.session.rollback()
        return None
    audit.record(
        AuditEvent.TOTP_DISABLED_BY_OPERATOR,
        now=services().clock.now(),
        citizen_id=citizen.id,
        reason=reason,
        via=via,
        recovery_codes_left=left,
    )
    db.session.commit()
    ended = services().sessions.end_all(citizen.id)
    mails.totp_disabled_by_operator(citizen.email, citizen.preferred_locale)
    return SwitchedOff(ended)


def forget_reasons(citizen_id: str) -> None:
    """With the account (``account.lifecycle.delete``): the reasons go, the records stay."""
    audit.erase_details(citizen_id, AuditEvent.TOTP_DISABLED_BY_OPERATOR, "reason")
