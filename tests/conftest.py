"""Test fixtures. Every test that uses ``app`` (or ``store``) runs once per storage backend:

* ``sqlite+memory``    – an SQLite file and the in-process store (the development default);
* ``postgresql+redis`` – PostgreSQL and Redis, when reachable (TEST_DATABASE_URL, TEST_REDIS_URL).

The end of the run says loudly which backends ran and which were skipped, and why.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from core import migrate
from core.clock import FrozenClock
from core.db import db, sqlalchemy_url
from core.settings import Environment, Settings
from core.store import MemoryStore, RedisStore
from core.store.base import KeyValueStore
from tests.helpers import Citizen, Portal

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SQLITE = "sqlite+memory"
POSTGRES = "postgresql+redis"
BACKENDS = (SQLITE, POSTGRES)

_ran: Counter[str] = Counter()
_external_problem: list[str] = []


def _external_unreachable() -> str | None:
    """None when PostgreSQL and Redis both answer, else the reason."""
    if _external_problem:
        return _external_problem[0] or None
    reason = ""
    try:
        engine = create_engine(sqlalchemy_url(PG_URL), connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: not usable here
        reason = f"PostgreSQL at {PG_URL} unreachable: {type(exc).__name__}"
    if not reason:
        store = RedisStore.from_url(REDIS_URL)
        if not store.ping():
            reason = f"Redis at {REDIS_URL} unreachable"
    _external_problem.append(reason)
    return reason or None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == POSTGRES:
        reason = _external_unreachable()
        if reason:
            pytest.skip(f"{POSTGRES} backend skipped: {reason}")
    _ran[name] += 1
    return name


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(start=1_780_000_000.0)


# --- databases ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (fast, and migrations tested)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """Reset the test database's schema once and migrate it to head."""
    engine = create_engine(sqlalchemy_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(PG_URL)
    return PG_URL


def _truncate_postgres(url: str) -> None:
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        tables = [t for t in db.metadata.sorted_tables]
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == SQLITE:
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "portal.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    url: str = request.getfixturevalue("postgres_schema")
    _truncate_postgres(url)
    yield url


# --- store ---------------------------------------------------------------------------------


@pytest.fixture
def store(backend: str, clock: FrozenClock) -> Iterator[KeyValueStore]:
    if backend == SQLITE:
        yield MemoryStore(clock)
        return
    redis_store = RedisStore.from_url(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    yield redis_store
    redis_store.flush_prefix()


# --- the app -------------------------------------------------------------------------------


@pytest.fixture
def settings(backend: str, database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment=Environment.TEST,
        secret_key="test-secret-" + "x" * 40,
        base_url="http://portal.test",
        database_url=database_url,
        redis_url=REDIS_URL if backend == POSTGRES else "",
        mail_outbox_dir=tmp_path / "outbox",
        var_dir=tmp_path,
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, store: KeyValueStore) -> Iterator[Flask]:
    import wsgi

    application = wsgi.create_app(settings, clock=clock, store=store)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def portal(app: Flask, clock: FrozenClock) -> Portal:
    """The hub as a citizen meets it: pages, forms, the mail outbox, the clock."""
    return Portal(app, clock)


@pytest.fixture
def erika(portal: Portal) -> Citizen:
    """A registered citizen whose e-mail address is verified (not logged in)."""
    return portal.registered_citizen("erika@example.org", "Ein langer Satz als Passwort")


# --- the loud summary ----------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tr = terminalreporter
    tr.section("storage backends")
    for name in BACKENDS:
        if _ran[name]:
            tr.write_line(f"RAN      {name:<18} {_ran[name]} test setups")
    reason = _external_problem[0] if _external_problem else ""
    if reason:
        banner = "!" * 78
        tr.write_line(banner, red=True, bold=True)
        tr.write_line(f"SKIPPED  {POSTGRES}: {reason}", red=True, bold=True)
        tr.write_line(
            "         the storage tests ran ONLY against SQLite + in-process store",
            red=True,
            bold=True,
        )
        tr.write_line(banner, red=True, bold=True)
    elif not _ran[POSTGRES]:
        tr.write_line(f"NOT RUN  {POSTGRES}: no selected test needed a backend", yellow=True)
