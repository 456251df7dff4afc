"""The service kit's schema comes from its own Alembic migrations (version table
``kit_alembic_version``): up, down to base and up again on SQLite and on PostgreSQL (in a schema
of its own), and the migrated database matches the kit's models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from services.kit.models import KitBase
from services.kit.storage import MIGRATIONS, sqlalchemy_url, upgrade
from tests.conftest import PG_URL, POSTGRES


def _differences(url: str) -> list[Any]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": "kit_alembic_version"}
            )
            return list(compare_metadata(context, KitBase.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"kit_alembic_version"}
    finally:
        engine.dispose()


def _downgrade(url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    command.downgrade(config, "base")


def _round_trip(url: str) -> None:
    upgrade(url)
    created = _tables(url)
    assert {"application", "application_event", "application_attachment"} <= created
    assert _differences(url) == []
    _downgrade(url)
    assert _tables(url) == set()
    upgrade(url)
    assert _tables(url) == created and _differences(url) == []


@pytest.fixture
def postgres_schema(backend: str) -> Iterator[str]:
    if backend != POSTGRES:
        pytest.skip("PostgreSQL only")
    schema = f"kit_migration_{uuid.uuid4().hex[:12]}"
    engine = create_engine(sqlalchemy_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_kit_sqlite_goes_up_down_and_up_again(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'service.db'}")


def test_kit_postgresql_goes_up_down_and_up_again(postgres_schema: str) -> None:
    _round_trip(postgres_schema)


def test_kit_revisions_form_one_line() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_kit_certificate_columns_down_one_step_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(url)
    columns = {"certificate_pdf", "certificate_issued_at"}
    assert columns <= _columns(url, "application")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url))
    command.downgrade(config, "0004")
    assert not columns & _columns(url, "application")
    assert _differences(url) != []  # the comparison sees the missing columns
    upgrade(url)
    assert _differences(url) == []


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()
