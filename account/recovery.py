"""Password reset by a one-time link, and password change.

A reset link is short-lived, used once, and dies with any password change (it carries the
account's credential version). Completing a reset or a change ends every other session.
"""

from __future__ import annotations

from account import mails
from account.models import Citizen, citizen_by_email, citizen_by_id
from account.services import services
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db

RESET = "password-reset"
REQUEST_INTERVAL = 60


def request_reset(email: str, client_address: str) -> None:
    """Mail a link when the account exists; the caller answers the same in every case."""
    s = services()
    citizen = citizen_by_email(email)
    if citizen is None or (citizen.eid_links and not citizen.is_verified):
        # an account made with the ID card whose address is not confirmed yet: the mailbox
        # may not be the card holder's (a typo), so it gets no way into the account
        return
    if not s.store.add(f"reset-sent:{citizen.id}", b"1", REQUEST_INTERVAL):
        return
    token = s.links.issue(
        RESET,
        {"citizen": citizen.id, "version": citizen.credential_version},
        s.settings.password_reset_ttl,
    )
    audit.record(
        AuditEvent.PASSWORD_RESET_REQUESTED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    db.session.commit()
    mails.password_reset(citizen.email, token, citizen.preferred_locale)


def _citizen_for(payload: dict[str, object] | None) -> Citizen | None:
    if payload is None:
        return None
    citizen = citizen_by_id(str(payload["citizen"]))
    if citizen is None or citizen.credential_version != payload["version"]:
        return None
    return citizen


def reset_link_citizen(token: str) -> Citizen | None:
    return _citizen_for(services().links.peek(RESET, token))


def complete_reset(token: str, new_password: str, client_address: str) -> Citizen | None:
    """Set the new password; None when the link is unknown, used, expired or outdated."""
    citizen = _citizen_for(services().links.redeem(RESET, token))
    if citizen is None:
        return None
    s = services()
    _set_password(citizen, new_password)
    if citizen.email_verified_at is None:
        # The link reached the mailbox: that verifies the address as well.
        citizen.email_verified_at = to_datetime(s.clock.now())
    audit.record(
        AuditEvent.PASSWORD_RESET_COMPLETED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    db.session.commit()
    s.sessions.end_all(citizen.id)
    mails.password_changed(citizen.email, citizen.preferred_locale)
    return citizen


def change_password(
    citizen: Citizen, current: str, new_password: str, keep_session: str, client_address: str
) -> bool:
    s = services()
    if not s.hashing.verify(citizen.password_hash, current):
        return False
    _set_password(citizen, new_password)
    audit.record(
        AuditEvent.PASSWORD_CHANGED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    db.session.commit()
    s.sessions.end_all(citizen.id, except_sid=keep_session)
    mails.password_changed(citizen.email, citizen.preferred_locale)
    return True


def _set_password(citizen: Citizen, new_password: str) -> None:
    citizen.password_hash = services().hashing.hash(new_password)
    citizen.credential_version += 1
