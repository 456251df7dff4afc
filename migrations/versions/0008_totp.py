"""TOTP second factor: the citizen's authenticator app (sealed secret, last accepted time step)
and the one-time recovery codes (digests)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "totp_credential",
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_totp_credential_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("citizen_id", name=op.f("pk_totp_credential")),
    )
    op.create_table(
        "totp_recovery_code",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_totp_recovery_code_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_recovery_code")),
        sa.UniqueConstraint("digest", name=op.f("uq_totp_recovery_code_digest")),
    )
    with op.batch_alter_table("totp_recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_totp_recovery_code_citizen_id"), ["citizen_id"])


def downgrade() -> None:
    with op.batch_alter_table("totp_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_totp_recovery_code_citizen_id"))
    op.drop_table("totp_recovery_code")
    op.drop_table("totp_credential")
