"""Alembic environment of the service kit (its own version table beside the service's data)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from services.kit.models import KitBase

VERSION_TABLE = "kit_alembic_version"
config = context.config


def run() -> None:
    engine = engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=KitBase.metadata,
            render_as_batch=True,
            compare_type=True,
            version_table=VERSION_TABLE,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
