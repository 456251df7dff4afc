"""Security-relevant events: a closed set, written to the database in the caller's transaction.

The same records are the citizen's activity log. Details never hold secrets or passwords;
client addresses are kept so a citizen can recognise their own logins, and are erased with
the account (see docs/DATA.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import to_datetime
from core.db import UTCDateTime, db


class AuditEvent(StrEnum):
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_EMAIL_VERIFIED = "account.email_verified"
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_EXPORTED = "account.exported"
    LOGIN_PASSWORD_SUCCEEDED = "login.password.succeeded"
    LOGIN_PASSWORD_FAILED = "login.password.failed"
    LOGIN_THROTTLED = "login.throttled"
    LOGOUT = "logout"
    SESSION_REVOKED = "session.revoked"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET_REQUESTED = "password.reset_requested"
    PASSWORD_RESET_COMPLETED = "password.reset_completed"
    PASSWORD_REHASHED = "password.rehashed"
    PROFILE_CHANGED = "profile.changed"
    EMAIL_CHANGE_REQUESTED = "email.change_requested"
    EMAIL_CHANGED = "email.changed"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    KEY_CREATED = "key.created"
    KEY_IMPORTED = "key.imported"
    KEY_ACTIVATED = "key.activated"
    KEY_RETIRED = "key.retired"
    KEY_REMOVED = "key.removed"
    KEY_EXPORTED = "key.exported"
    KEY_REWRAPPED = "key.rewrapped"
    # --- SAML 2.0 identity provider (idp/saml) ---
    SAML_SP_REGISTERED = "saml.sp_registered"
    SAML_SP_CHANGED = "saml.sp_changed"
    SAML_SP_DISABLED = "saml.sp_disabled"
    SAML_SP_ENABLED = "saml.sp_enabled"
    SAML_SP_REMOVED = "saml.sp_removed"
    SAML_LOGIN = "saml.login"
    SAML_LOGOUT = "saml.logout"
    SAML_REQUEST_REFUSED = "saml.request_refused"
    # --- end SAML ---
    OIDC_CLIENT_REGISTERED = "oidc.client_registered"
    OIDC_CLIENT_CHANGED = "oidc.client_changed"
    OIDC_CLIENT_SECRET_ROTATED = "oidc.client_secret_rotated"
    OIDC_CLIENT_DISABLED = "oidc.client_disabled"
    OIDC_CLIENT_ENABLED = "oidc.client_enabled"
    OIDC_CONSENT_GRANTED = "oidc.consent_granted"
    OIDC_CONSENT_REVOKED = "oidc.consent_revoked"
    OIDC_LOGIN = "oidc.login"
    OIDC_LOGOUT = "oidc.logout"
    OIDC_TOKEN_REUSE_DETECTED = "oidc.token_reuse_detected"
    # --- Online-Ausweis (eID, account/eid) ---
    LOGIN_EID_SUCCEEDED = "login.eid.succeeded"
    LOGIN_EID_FAILED = "login.eid.failed"
    LOGIN_EID_STEP_UP = "login.eid.step_up"
    EID_LINKED = "eid.linked"
    EID_UNLINKED = "eid.unlinked"
    #: A card linked to another account (or of another person) offered for this one: refused.
    EID_REFUSED = "eid.refused"
    PROFILE_EID_REFRESHED = "profile.eid_refreshed"
    # --- end Online-Ausweis ---
    # --- second factor: code from an authenticator app (TOTP, account/totp) ---
    TOTP_ENABLED = "totp.enabled"
    TOTP_DISABLED = "totp.disabled"
    TOTP_RECOVERY_CODE_USED = "totp.recovery_code_used"
    #: Ten new recovery codes replaced the old ones (after a right code from the app).
    TOTP_RECOVERY_CODES_RENEWED = "totp.recovery_codes_renewed"
    #: An operator switched the factor off (``flask accounts second-factor-off``, a reason).
    TOTP_DISABLED_BY_OPERATOR = "totp.disabled_by_operator"
    LOGIN_TOTP_SUCCEEDED = "login.totp.succeeded"
    LOGIN_TOTP_FAILED = "login.totp.failed"
    LOGIN_TOTP_STEP_UP = "login.totp.step_up"
    # --- end second factor ---


class AuditRecord(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    citizen_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    client_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    event: AuditEvent,
    *,
    now: float,
    citizen_id: str | None = None,
    actor_id: str | None = None,
    client_address: str | None = None,
    **details: str | int | bool | None,
) -> AuditRecord:
    """Add an audit record to the current transaction (the caller commits)."""
    entry = AuditRecord(
        occurred_at=to_datetime(now),
        event=AuditEvent(event).value,
        citizen_id=citizen_id,
        actor_id=actor_id,
        client_address=client_address,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(entry)
    return entry


def for_citizen(citizen_id: str, limit: int = 200) -> list[AuditRecord]:
    """The citizen's activity, newest first."""
    query = (
        select(AuditRecord)
        .where(AuditRecord.citizen_id == citizen_id)
        .order_by(AuditRecord.occurred_at.desc(), AuditRecord.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def erase_addresses(citizen_id: str) -> None:
    """Remove the client addresses of a deleted citizen's records (the rest stays for audit)."""
    db.session.query(AuditRecord).filter(AuditRecord.citizen_id == citizen_id).update(
        {AuditRecord.client_address: None}, synchronize_session=False
    )


def erase_details(citizen_id: str, event: AuditEvent, *keys: str) -> None:
    """Remove the free-text ``keys`` (e.g. an operator's reason) from the citizen's records of
    ``event`` when the account is deleted: they may name the person (see docs/DATA.md)."""
    query = select(AuditRecord).where(
        AuditRecord.citizen_id == citizen_id, AuditRecord.event == AuditEvent(event).value
    )
    for entry in db.session.scalars(query):
        entry.details = {k: v for k, v in entry.details.items() if k not in keys}
