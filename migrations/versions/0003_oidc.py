"""oidc: relying parties, consents, refresh tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:42:13.826718
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "oidc_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("auth_method", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=True),
        sa.Column("jwks", sa.JSON(), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=500), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("release", sa.JSON(), nullable=False),
        sa.Column("min_level", sa.String(length=16), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("id_token_alg", sa.String(length=8), nullable=False),
        sa.Column("sector_identifier", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oidc_client")),
    )
    op.create_table(
        "oidc_consent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_oidc_consent_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oidc_client.client_id"],
            name=op.f("fk_oidc_consent_client_id_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_consent")),
        sa.UniqueConstraint("citizen_id", "client_id", name=op.f("uq_oidc_consent_citizen_id")),
    )
    op.create_table(
        "oidc_refresh_token",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("grant", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_oidc_refresh_token_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oidc_client.client_id"],
            name=op.f("fk_oidc_refresh_token_client_id_oidc_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oidc_refresh_token_token_hash")),
    )
    with op.batch_alter_table("oidc_refresh_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_refresh_token_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oidc_refresh_token_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oidc_refresh_token_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_oidc_refresh_token_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("oidc_refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_token_session_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_token_family_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_token_client_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_token_citizen_id"))

    op.drop_table("oidc_refresh_token")
    op.drop_table("oidc_consent")
    op.drop_table("oidc_client")
