"""uploaded documents of applications (Wohnungsgeberbestätigung, attachments to answers)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00
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
    op.create_table(
        "application_attachment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_attachment_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["application_event.id"],
            name=op.f("fk_application_attachment_event_id_application_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_attachment")),
    )
    with op.batch_alter_table("application_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_attachment_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_application_attachment_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("application_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_attachment_event_id"))
        batch_op.drop_index(batch_op.f("ix_application_attachment_application_id"))
    op.drop_table("application_attachment")
