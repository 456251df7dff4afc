"""eID links: ID cards linked to a Bürgerkonto by the digest of their RestrictedID

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eid_link",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("restricted_id_digest", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=2), nullable=True),
        sa.Column("issuing_state", sa.String(length=3), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_eid_link_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eid_link")),
        sa.UniqueConstraint("restricted_id_digest", name=op.f("uq_eid_link_restricted_id_digest")),
    )
    with op.batch_alter_table("eid_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eid_link_citizen_id"), ["citizen_id"])


def downgrade() -> None:
    with op.batch_alter_table("eid_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eid_link_citizen_id"))
    op.drop_table("eid_link")
