"""certs: keys and certificates, keyring version counter

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("state = 'active'")


def upgrade() -> None:
    op.create_table(
        "certs_key",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("key_size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("chain", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=1024), nullable=True),
        sa.Column("issuer", sa.String(length=1024), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('next', 'active', 'retired')", name=op.f("ck_certs_key_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certs_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_certs_key_kid")),
    )
    op.create_index(op.f("ix_certs_key_purpose"), "certs_key", ["purpose"], unique=False)
    op.create_index(
        "uq_certs_key_one_active",
        "certs_key",
        ["purpose", "algorithm"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    keyring = op.create_table(
        "certs_keyring",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certs_keyring")),
    )
    op.bulk_insert(keyring, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("certs_keyring")
    op.drop_index("uq_certs_key_one_active", table_name="certs_key")
    op.drop_index(op.f("ix_certs_key_purpose"), table_name="certs_key")
    op.drop_table("certs_key")
