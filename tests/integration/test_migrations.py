"""The schema comes from Alembic only: upgrade to head, downgrade to base and up again, on
SQLite and on PostgreSQL (in a schema of its own), and the migrated database matches the models."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from core import migrate
from core.db import Base, sqlalchemy_url
from tests.conftest import PG_URL, POSTGRES, SQLITE

VERSIONS = migrate.ROOT / "migrations" / "versions"


def all_models() -> Any:
    """The metadata with every model registered (the composition root imports them all)."""
    import wsgi  # noqa: F401

    return Base.metadata


def differences(database_url: str) -> list[Any]:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, all_models()))
    finally:
        engine.dispose()


def tables(database_url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def postgres_scratch_schema(backend: str) -> Iterator[str]:
    """A database URL whose search_path is a fresh schema, dropped afterwards (never public)."""
    if backend != POSTGRES:
        pytest.skip("PostgreSQL only")
    schema = f"migration_test_{uuid.uuid4().hex[:12]}"
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


def test_the_revisions_form_one_line_from_0001() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert revisions[-1].revision == "0001"
    assert revisions[-1].down_revision is None


def test_migrations_import_nothing_from_the_application() -> None:
    app_import = re.compile(r"^\s*(from|import)\s+(core|certs|connectors|account|idp|services)\b")
    for path in sorted(VERSIONS.glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not app_import.match(line), f"{path.name}: {line.strip()}"


def test_sqlite_goes_up_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    migrate.upgrade(url)
    created = tables(url)
    assert {"citizen", "citizen_role", "profile_value", "audit_record"} <= created
    assert differences(url) == []
    migrate.downgrade(url, "base")
    assert tables(url) == set()
    migrate.upgrade(url)
    assert tables(url) == created
    assert differences(url) == []


def test_the_migrated_database_matches_the_models(backend: str, database_url: str) -> None:
    """``alembic check`` in a test: on SQLite and on the PostgreSQL database of this run."""
    assert backend in {SQLITE, POSTGRES}
    assert differences(database_url) == []


def tables_in_schema(schema_url: str) -> set[str]:
    schema = schema_url.rsplit("search_path%3D", 1)[1]
    engine = create_engine(sqlalchemy_url(PG_URL))
    try:
        return set(inspect(engine).get_table_names(schema=schema)) - {"alembic_version"}
    finally:
        engine.dispose()


def test_postgresql_goes_up_down_and_up_again(postgres_scratch_schema: str) -> None:
    url = postgres_scratch_schema
    migrate.upgrade(url)
    created = tables(url)
    assert tables_in_schema(url) == created, "the migration ran in the scratch schema"
    assert {"citizen", "citizen_role", "profile_value", "audit_record"} <= created
    assert differences(url) == []
    migrate.downgrade(url, "base")
    assert tables(url) == set()
    migrate.upgrade(url)
    assert tables(url) == created
    assert differences(url) == []


def test_the_scratch_schema_left_public_alone(backend: str, database_url: str) -> None:
    if backend != POSTGRES:
        pytest.skip("PostgreSQL only")
    assert {"citizen", "audit_record"} <= tables(database_url)
