"""status inbox: the kind of an event (a service's change or the citizen's answer) and the
application's page at the service

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="status")
        )
    with op.batch_alter_table("status_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_application", schema=None) as batch_op:
        batch_op.drop_column("url")
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_column("kind")
