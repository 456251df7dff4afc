"""Pairwise subjects the hub has issued (OIDC Core §8.1), remembered so that a relying party
can address a citizen by the ``sub`` it knows (the status inbox, idp/status).

A pairwise ``sub`` is a keyed hash and cannot be turned back into the citizen; the hub keeps
(sector, sub) → citizen for every subject it hands out. Nothing here is shown to anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import to_datetime
from core.db import UTCDateTime, db


class OidcSubject(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "oidc_subject"
    __table_args__ = (UniqueConstraint("sector", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sector: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _known(sector: str, subject: str) -> str | None:
    query = select(OidcSubject.citizen_id).where(
        OidcSubject.sector == sector, OidcSubject.subject == subject
    )
    return db.session.scalar(query)


def remember(sector: str, subject: str, citizen_id: str, now: float) -> None:
    """Record the subject (in a savepoint: a concurrent first record is no error)."""
    if _known(sector, subject) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                OidcSubject(
                    sector=sector,
                    subject=subject,
                    citizen_id=citizen_id,
                    created_at=to_datetime(now),
                )
            )
    except IntegrityError:
        pass  # the other request recorded the same row


def citizen_for(sector: str, subject: str) -> str | None:
    """The citizen behind a subject the hub issued for ``sector``; None when unknown."""
    if not subject or len(subject) > 64:
        return None
    return _known(sector, subject)
