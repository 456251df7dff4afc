"""hub logins: the local session of each login through the hub (for the hub's logout)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:00:00
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
        "hub_login",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("hub_session", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_login")),
    )
    with op.batch_alter_table("hub_login", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_login_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_login_subject"), ["subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_login_hub_session"), ["hub_session"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hub_login", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_login_hub_session"))
        batch_op.drop_index(batch_op.f("ix_hub_login_subject"))
        batch_op.drop_index(batch_op.f("ix_hub_login_session_id"))
    op.drop_table("hub_login")
