"""The key table, and one counter that says "keys changed" to every process.

A row holds public material in the clear (public key, certificate, chain) and the private key
only as AES-GCM ciphertext (see :mod:`certs.kek`). Removing a key deletes its row. At most one
key per purpose and algorithm is active: a partial unique index enforces it in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, new_id

_ACTIVE = text("state = 'active'")


class ManagedKey(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certs_key"
    __table_args__ = (
        CheckConstraint("state IN ('next', 'active', 'retired')", name="state"),
        Index(
            "uq_certs_key_one_active",
            "purpose",
            "algorithm",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    key_size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    #: RFC 7638 JWK thumbprint (base64url SHA-256): the ``kid``; unique, so no key twice.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 (hex) of the certificate, or of the public key when there is none.
    fingerprint: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(Text)
    certificate: Mapped[str | None] = mapped_column(Text)
    #: Issuer certificates (PEM), leaf's issuer first.
    chain: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(1024))
    issuer: Mapped[str | None] = mapped_column(String(1024))
    #: ``generated`` or ``imported``.
    origin: Mapped[str] = mapped_column(String(16))
    #: The private key, PKCS#8 DER sealed with AES-GCM (certs.kek), and the KEK's check value.
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(16))
    #: Publication starts when the row is written.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(36))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KeyringVersion(db.Model):  # type: ignore[name-defined,misc]
    """A single row (id 1) whose counter every lifecycle change raises in its transaction."""

    __tablename__ = "certs_keyring"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)


def all_keys() -> list[ManagedKey]:
    query = select(ManagedKey).order_by(ManagedKey.purpose, ManagedKey.created_at, ManagedKey.id)
    return list(db.session.scalars(query))


def current_version() -> int:
    return db.session.scalar(select(KeyringVersion.version).where(KeyringVersion.id == 1)) or 0


def bump_version() -> None:
    """Raise the counter; in PostgreSQL this also locks the row, so that lifecycle changes
    (and scheduled rotations in several processes) run one after the other."""
    result = db.session.execute(
        update(KeyringVersion)
        .where(KeyringVersion.id == 1)
        .values(version=KeyringVersion.version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        db.session.add(KeyringVersion(id=1, version=1))
        db.session.flush()
