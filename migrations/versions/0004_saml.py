"""saml: service providers and pairwise NameIDs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 19:00:00
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
        "saml_sp",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=1024), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("metadata_xml", sa.Text(), nullable=False),
        sa.Column("metadata_url", sa.String(length=1024), nullable=True),
        sa.Column("sign_response", sa.Boolean(), nullable=False),
        sa.Column("sign_assertion", sa.Boolean(), nullable=False),
        sa.Column("encrypt_assertion", sa.Boolean(), nullable=False),
        sa.Column("require_signed_requests", sa.Boolean(), nullable=False),
        sa.Column("allow_idp_initiated", sa.Boolean(), nullable=False),
        sa.Column("name_id_formats", sa.JSON(), nullable=False),
        sa.Column("release", sa.JSON(), nullable=False),
        sa.Column("min_level", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_sp")),
        sa.UniqueConstraint("entity_id", name=op.f("uq_saml_sp_entity_id")),
    )
    op.create_table(
        "saml_name_id",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sp_id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_saml_name_id_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sp_id"],
            ["saml_sp.id"],
            name=op.f("fk_saml_name_id_sp_id_saml_sp"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_name_id")),
        sa.UniqueConstraint("sp_id", "citizen_id", name=op.f("uq_saml_name_id_sp_id")),
        sa.UniqueConstraint("value", name=op.f("uq_saml_name_id_value")),
    )
    with op.batch_alter_table("saml_name_id", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saml_name_id_sp_id"), ["sp_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saml_name_id", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_name_id_sp_id"))
    op.drop_table("saml_name_id")
    op.drop_table("saml_sp")
