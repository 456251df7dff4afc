"""The service app's own tables (its own database: a service never touches the hub's)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class KitBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=KitBase)


class UTC_(TypeDecorator[datetime]):  # noqa: N801
    """Aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class KitSession(db.Model):  # type: ignore[name-defined,misc]
    """Server-side browser session: the cookie holds only the random id."""

    __tablename__ = "kit_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTC_(), index=True)


class Application(db.Model):  # type: ignore[name-defined,misc]
    """A draft until paid (if a fee is due) and submitted; then it has a reference number."""

    __tablename__ = "application"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: The citizen as the hub names them to this service (pairwise sub or persistent NameID).
    subject: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    #: Field values; ``verified`` names the fields read from the ID card (not editable).
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    verified: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32), index=True)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: The calendar year whose free quota this application used (None: it used none).
    free_quota_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTC_())
    updated_at: Mapped[datetime] = mapped_column(UTC_())
    submitted_at: Mapped[datetime | None] = mapped_column(UTC_())
    #: The archive document (PDF with data and history), written when archived.
    archive_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The certificate (services/kit/certificate.py) as issued on completion, and when.
    certificate_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_issued_at: Mapped[datetime | None] = mapped_column(UTC_())

    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ApplicationEvent.id",
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Payment.created_at",
    )
    #: Uploaded documents (their content is loaded only when downloaded); they go with the
    #: application, and with a draft when an abandoned draft is dropped.
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Attachment.created_at",
    )

    def attachment_for(self, field: str) -> Attachment | None:
        """The document uploaded in the form field ``field``, if any."""
        return next((a for a in self.attachments if a.field == field), None)


class ApplicationEvent(db.Model):  # type: ignore[name-defined,misc]
    """One state change; ``pushed_at`` is set once the hub's status inbox has it (outbox, see
    :mod:`services.kit.outbox`)."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_id)
    state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    #: "citizen", "payment" or the clerk's subject.
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTC_())
    pushed_at: Mapped[datetime | None] = mapped_column(UTC_(), index=True)
    #: Failed attempts so far; the next one not before ``push_due_at``.
    push_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    push_due_at: Mapped[datetime | None] = mapped_column(UTC_())
    #: A sender (of any process) owns the event until then (a crashed one's claim runs out).
    push_claimed_until: Mapped[datetime | None] = mapped_column(UTC_())
    #: Why the hub will never get it (a final refusal, or retries used up); never retried.
    push_failed: Mapped[str | None] = mapped_column(String(200))

    application: Mapped[Application] = relationship(back_populates="events")
    #: Documents attached to this event (the citizen's answer to a Rückfrage).
    attachments: Mapped[list[Attachment]] = relationship(back_populates="event", lazy="selectin")


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded document (PDF, JPEG or PNG, recognised by its content): a form field's
    (``field``, e.g. the Wohnungsgeberbestätigung) or an answer's to a Rückfrage (``event_id``).
    Only clerks of this service can download it; the citizen sees its name and size."""

    __tablename__ = "application_attachment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_event.id", ondelete="CASCADE"), index=True
    )
    #: A safe name for the download: no path, the extension of the recognised type.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTC_())

    application: Mapped[Application] = relationship(back_populates="attachments")
    event: Mapped[ApplicationEvent | None] = relationship(back_populates="attachments")


class Payment(db.Model):  # type: ignore[name-defined,misc]
    """One payment attempt of a draft at one provider."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("provider", "provider_ref"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    #: created -> approved -> captured, or failed
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTC_())
    updated_at: Mapped[datetime] = mapped_column(UTC_())

    application: Mapped[Application] = relationship(back_populates="payments")


class ProcessedNotification(db.Model):  # type: ignore[name-defined,misc]
    """Provider notifications already handled (idempotency of webhooks)."""

    __tablename__ = "processed_notification"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTC_())


class UsedAssertion(db.Model):  # type: ignore[name-defined,misc]
    """SAML assertion IDs already accepted (python3-saml leaves replay checks to us)."""

    __tablename__ = "used_assertion"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTC_(), index=True)


class FreeQuotaUse(db.Model):  # type: ignore[name-defined,misc]
    """How many free applications a citizen (the subject the hub gives this service) used in
    a calendar year. Claimed by one conditional UPDATE in the submission's transaction
    (services/kit/quota.py), so two submissions at once cannot both take the last one."""

    __tablename__ = "free_quota_use"
    __table_args__ = (CheckConstraint("used >= 0", name="ck_free_quota_use_used"),)

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class HubLogin(db.Model):  # type: ignore[name-defined,misc]
    """Which local session a login through the hub belongs to, so the hub's logout can end it:
    the OIDC back-channel logout token names ``sid``/``sub``, a SAML LogoutRequest the NameID
    and SessionIndex (services/kit/local_sessions.py)."""

    __tablename__ = "hub_login"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: The local session (kit_session.id; no foreign key: the row is written after the view).
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    #: The pairwise ``sub`` or the persistent NameID.
    subject: Mapped[str] = mapped_column(String(255), index=True)
    #: OIDC ``sid`` or SAML SessionIndex ("" when the hub sent none).
    hub_session: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTC_())
