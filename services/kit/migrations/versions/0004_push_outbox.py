"""status push outbox: attempts, due time, claim, final failure

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("push_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("push_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("push_claimed_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("push_failed", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.drop_column("push_failed")
        batch_op.drop_column("push_claimed_until")
        batch_op.drop_column("push_due_at")
        batch_op.drop_column("push_attempts")
