"""Bürgerkonto tables: citizens, their roles and their profile values with provenance."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, new_id


class Citizen(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "citizen"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: Normalised (see account.emails.normalise); unique across all accounts.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Argon2id PHC string; None for accounts without a password (ID card only, later).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Raised on every password or e-mail change: invalidates outstanding reset links.
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preferred_locale: Mapped[str] = mapped_column(String(8), default="de")

    roles: Mapped[list[CitizenRole]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan", lazy="selectin"
    )
    profile_values: Mapped[list[ProfileValue]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan", lazy="selectin"
    )
    eid_links: Mapped[list[EidLink]] = relationship(
        back_populates="citizen", cascade="all, delete-orphan", order_by="EidLink.linked_at"
    )
    totp: Mapped[TotpCredential | None] = relationship(
        back_populates="citizen", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class CitizenRole(db.Model):  # type: ignore[name-defined,misc]
    """``admin``, or ``clerk:<service>`` for a back-office clerk of one service."""

    __tablename__ = "citizen_role"
    __table_args__ = (UniqueConstraint("citizen_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    citizen: Mapped[Citizen] = relationship(back_populates="roles")


class ProfileValue(db.Model):  # type: ignore[name-defined,misc]
    """One attribute of the attribute table, with where it came from."""

    __tablename__ = "profile_value"
    __table_args__ = (UniqueConstraint("citizen_id", "attribute"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(400))
    provenance: Mapped[str] = mapped_column(String(8))
    #: For provenance ``eid``: the day the value was read from the ID card.
    verified_on: Mapped[date | None] = mapped_column(Date())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    citizen: Mapped[Citizen] = relationship(back_populates="profile_values")


class EidLink(db.Model):  # type: ignore[name-defined,misc]
    """An ID card linked to the account (docs/EID.md "eID links").

    The card is known only by its RestrictedID, the card- and sector-specific pseudonym the
    eID-Server reads (TR-03130-1 §3.3.4), and that only as a SHA-256 digest bound to the sector
    (account/eid/card.py): enough to find the account, nothing to hand on. One card, one
    account (unique); an account may have several cards (a new card, an eID card for Union
    citizens beside a passport …). The document fields only help the citizen tell links apart.
    """

    __tablename__ = "eid_link"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    restricted_id_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: DocumentType (ICAO 9303 code: ID, UB, AR …) and IssuingState as read at linking.
    document_type: Mapped[str | None] = mapped_column(String(2))
    issuing_state: Mapped[str | None] = mapped_column(String(3))
    #: DateOfExpiry as last read (a new card of the same person has a new RestrictedID).
    valid_until: Mapped[date | None] = mapped_column(Date())
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    citizen: Mapped[Citizen] = relationship(back_populates="eid_links")


class TotpCredential(db.Model):  # type: ignore[name-defined,misc]
    """The citizen's authenticator app (RFC 6238, docs/TOTP.md): one per account.

    The shared secret is sealed under the KEK (``certs/sealing.py``, bound to the citizen id);
    ``last_step`` is the newest time step a code was accepted for, raised only by an atomic
    conditional UPDATE, so no step is accepted twice (RFC 6238 §5.2).
    """

    __tablename__ = "totp_credential"

    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True
    )
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary())
    kek_id: Mapped[str] = mapped_column(String(16))
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(BigInteger())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    citizen: Mapped[Citizen] = relationship(back_populates="totp")


class TotpRecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """A one-time recovery code (80 random bits), kept as a SHA-256 digest; deleted on use."""

    __tablename__ = "totp_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)


def citizen_by_email(email: str) -> Citizen | None:
    return db.session.scalar(select(Citizen).where(Citizen.email == email))


def citizen_by_id(citizen_id: str) -> Citizen | None:
    return db.session.get(Citizen, citizen_id)
