"""The service kit's schema comes from its own Alembic migrations: upgraded to head, the
database matches the kit's models; down to base and up again works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from services.kit.models import KitBase
from services.kit.storage import MIGRATIONS, sqlalchemy_url, upgrade


def _differences(url: str) -> list[Any]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": "kit_alembic_version"}
            )
            return [
                d
                for d in compare_metadata(context, KitBase.metadata)
                if not (d[0] == "remove_table" and d[1].name == "kit_alembic_version")
            ]
    finally:
        engine.dispose()


def test_the_kit_migrations_match_the_models_and_go_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(url)
    assert _differences(url) == []
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url))
    command.downgrade(config, "base")
    engine = create_engine(sqlalchemy_url(url))
    assert set(inspect(engine).get_table_names()) <= {"kit_alembic_version"}
    engine.dispose()
    upgrade(url)
    assert _differences(url) == []
