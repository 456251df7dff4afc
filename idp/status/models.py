"""Tables of the status inbox: one row per application a relying party reported, and its
timeline (one row per reported state change, idempotent by the sender's event id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, new_id


class StatusApplication(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "status_application"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    #: The reporting API client (its registry name is the service's name).
    client_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(32))
    #: The application's page at the service (an origin registered for the client), if sent.
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="[StatusEvent.occurred_at.desc(), StatusEvent.id.desc()]",
    )


class StatusEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "status_event"
    __table_args__ = (UniqueConstraint("application_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("status_application.id", ondelete="CASCADE"), index=True
    )
    #: The sender's idempotency key: the same update sent twice is one event.
    event_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    #: "status" (the service's change, ``note`` for the citizen) or "answer" (the citizen's
    #: own answer to a Rückfrage, ``note`` its text).
    kind: Mapped[str] = mapped_column(String(16), default="status")
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[StatusApplication] = relationship(back_populates="events")
