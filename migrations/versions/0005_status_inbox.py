"""status inbox: API access of relying parties, issued subjects, applications and their timeline

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("oidc_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("api_scopes", sa.JSON(), nullable=False, server_default=EMPTY)
        )
        batch_op.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default=EMPTY))
        batch_op.add_column(sa.Column("saml_entity_id", sa.String(length=1024), nullable=True))
    with op.batch_alter_table("saml_sp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default=EMPTY))
    op.create_table(
        "oidc_subject",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sector", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_oidc_subject_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_subject")),
        sa.UniqueConstraint("sector", "subject", name=op.f("uq_oidc_subject_sector")),
    )
    with op.batch_alter_table("oidc_subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_subject_citizen_id"), ["citizen_id"])
    op.create_table(
        "status_application",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_status_application_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_application")),
        sa.UniqueConstraint("client_id", "reference", name=op.f("uq_status_application_client_id")),
    )
    with op.batch_alter_table("status_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_application_citizen_id"), ["citizen_id"])
        batch_op.create_index(batch_op.f("ix_status_application_updated_at"), ["updated_at"])
    op.create_table(
        "status_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["status_application.id"],
            name=op.f("fk_status_event_application_id_status_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_event")),
        sa.UniqueConstraint(
            "application_id", "event_id", name=op.f("uq_status_event_application_id")
        ),
    )
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_event_application_id"), ["application_id"])


def downgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_event_application_id"))
    op.drop_table("status_event")
    with op.batch_alter_table("status_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_application_updated_at"))
        batch_op.drop_index(batch_op.f("ix_status_application_citizen_id"))
    op.drop_table("status_application")
    with op.batch_alter_table("oidc_subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_subject_citizen_id"))
    op.drop_table("oidc_subject")
    with op.batch_alter_table("saml_sp", schema=None) as batch_op:
        batch_op.drop_column("roles")
    with op.batch_alter_table("oidc_client", schema=None) as batch_op:
        batch_op.drop_column("saml_entity_id")
        batch_op.drop_column("roles")
        batch_op.drop_column("api_scopes")
