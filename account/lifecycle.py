"""The citizen's own data: export as JSON, change of e-mail address, deletion of the account.

Deletion removes the account row and with it credentials, roles and profile values (foreign
keys cascade), ends every session, and erases the client addresses in the audit records. What
stays is what the audit duty needs: the audit records' event, time and the account's random id,
which no longer leads to a person (docs/DATA.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from account import api, mails
from account.models import Citizen, citizen_by_email, citizen_by_id
from account.profile import values
from account.services import services
from account.totp import credential, support
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db

EMAIL_CHANGE = "email-change"


def export(citizen: Citizen, client_address: str) -> dict[str, Any]:
    s = services()
    audit.record(
        AuditEvent.ACCOUNT_EXPORTED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    db.session.commit()
    return _own_sections(citizen) | api.export_sections(citizen.id)


def _own_sections(citizen: Citizen) -> dict[str, Any]:
    s = services()
    return {
        "format": "buergerportal-export/1",
        "account": {
            "id": citizen.id,
            "email": citizen.email,
            "email_verified_at": _iso(citizen.email_verified_at),
            "created_at": _iso(citizen.created_at),
            "last_login_at": _iso(citizen.last_login_at),
            "preferred_locale": citizen.preferred_locale,
            "roles": sorted(citizen.role_names),
            "has_password": citizen.password_hash is not None,
        },
        "profile": {
            name: {
                "value": v.value,
                "provenance": v.provenance.value,
                "verified_on": v.verified_on.isoformat() if v.verified_on else None,
            }
            for name, v in values(citizen).items()
        },
        "id_cards": [
            {
                "document_type": link.document_type,
                "issuing_state": link.issuing_state,
                "valid_until": _iso(link.valid_until),
                "linked_at": _iso(link.linked_at),
                "last_used_at": _iso(link.last_used_at),
            }
            for link in citizen.eid_links
        ],
        "second_factor": _second_factor(citizen),
        "sessions": [
            {
                "started": sso.created_at,
                "last_seen": sso.last_seen,
                "methods": sso.methods,
                "level": sso.level,
                "user_agent": sso.user_agent,
            }
            for sso in s.sessions.list_for(citizen.id)
        ],
        "activity": [
            {"at": r.occurred_at.isoformat(), "event": r.event, "client_address": r.client_address}
            for r in audit.for_citizen(citizen.id, limit=10_000)
        ],
    }


def _second_factor(citizen: Citizen) -> dict[str, Any] | None:
    """Whether the authenticator app is on (never its secret or the recovery codes)."""
    if citizen.totp is None:
        return None
    return {
        "method": "totp",
        "enabled_at": _iso(citizen.totp.enabled_at),
        "last_used_at": _iso(citizen.totp.last_used_at),
        "recovery_codes_left": credential.recovery_codes_left(citizen.id),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def delete(
    citizen: Citizen, password: str, client_address: str, *, card_confirmed: bool = False
) -> bool:
    """Delete after the password was re-entered (an account without one: after a fresh card
    login, ``card_confirmed``); False (and nothing changed) when wrong."""
    s = services()
    if not card_confirmed and not s.hashing.verify(citizen.password_hash, password):
        return False
    email, locale, citizen_id = citizen.email, citizen.preferred_locale, citizen.id
    db.session.delete(citizen)
    audit.erase_addresses(citizen_id)
    support.forget_reasons(citizen_id)
    audit.record(AuditEvent.ACCOUNT_DELETED, now=s.clock.now(), citizen_id=citizen_id)
    db.session.commit()
    s.sessions.end_all(citizen_id)
    mails.account_deleted(email, locale)
    return True


def request_email_change(
    citizen: Citizen,
    new_email: str,
    password: str,
    client_address: str,
    *,
    card_confirmed: bool = False,
) -> bool:
    """Mail a confirmation link to the new address (after the password was re-entered, or for
    an account without one after a fresh card login, ``card_confirmed``)."""
    s = services()
    if not card_confirmed and not s.hashing.verify(citizen.password_hash, password):
        return False
    if citizen_by_email(new_email) is None:
        token = s.links.issue(
            EMAIL_CHANGE,
            {"citizen": citizen.id, "email": new_email},
            s.settings.email_verification_ttl,
        )
        mails.email_change(new_email, token, citizen.preferred_locale)
    audit.record(
        AuditEvent.EMAIL_CHANGE_REQUESTED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    db.session.commit()
    return True


def confirm_email_change(token: str, client_address: str) -> Citizen | None:
    s = services()
    payload = s.links.redeem(EMAIL_CHANGE, token)
    if payload is None:
        return None
    citizen = citizen_by_id(str(payload["citizen"]))
    new_email = str(payload["email"])
    if citizen is None or citizen_by_email(new_email) is not None:
        return None
    citizen.email = new_email
    if citizen.email_verified_at is None:  # the link reached the new mailbox (card accounts)
        citizen.email_verified_at = to_datetime(s.clock.now())
    citizen.credential_version += 1  # reset links mailed to the old address die with it
    audit.record(
        AuditEvent.EMAIL_CHANGED,
        now=s.clock.now(),
        citizen_id=citizen.id,
        client_address=client_address,
    )
    try:
        db.session.commit()
    except IntegrityError:  # the address was taken concurrently
        db.session.rollback()
        return None
    return citizen
