"""Probes for load balancers: /healthz (the process lives), /readyz (database and store answer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store import MemoryStore, RedisStore
from core.store.base import KeyValueStore
from tests.conftest import SQLITE
from tests.helpers import Portal


class UnreachableStore(MemoryStore):
    """Test double of the external key-value server when it is down."""

    def ping(self) -> bool:
        return False


def build(settings: Settings, clock: FrozenClock, store: KeyValueStore) -> Iterator[Flask]:
    import wsgi

    application = wsgi.create_app(settings, clock=clock, store=store)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_without_store(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    yield from build(settings, clock, UnreachableStore(clock))


@pytest.fixture
def app_with_redis_down(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    yield from build(settings, clock, RedisStore.from_url("redis://127.0.0.1:1/0"))


@pytest.fixture
def app_without_database(backend: str, settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    """A hub whose database goes away after the start (the SQLite file becomes unopenable).

    PostgreSQL is shared with the other tests of this run, so its outage is not staged.
    """
    if backend != SQLITE:
        pytest.skip("a database outage is staged on the SQLite backend only")
    for application in build(settings, clock, MemoryStore(clock)):
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        with application.app_context():
            db.engine.dispose()
        path.unlink()
        path.mkdir()  # a directory where the database file was: every connect fails
        yield application


def test_healthz_says_the_process_lives(portal: Portal) -> None:
    response = portal.browser.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_says_database_and_store_answer(portal: Portal) -> None:
    response = portal.browser.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": True, "schema": True, "store": True},
    }


def test_readyz_is_503_while_the_schema_is_behind_the_code(portal: Portal) -> None:
    """A forgotten ``flask migrate`` after a deploy: the instance says it is not ready."""
    with portal.app.app_context():
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    response = portal.browser.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["schema"] is False
    with portal.app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    assert portal.browser.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_store_does_not_answer(app_without_store: Flask) -> None:
    response = app_without_store.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": True, "schema": True, "store": False},
    }


def test_readyz_is_503_when_redis_is_unreachable(app_with_redis_down: Flask) -> None:
    response = app_with_redis_down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["store"] is False


def test_readyz_is_503_when_the_database_is_unreachable(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": False, "schema": False, "store": True}


def test_healthz_stays_200_while_the_store_is_down(app_without_store: Flask) -> None:
    assert app_without_store.test_client().get("/healthz").status_code == 200


def test_healthz_stays_200_while_the_database_is_down(app_without_database: Flask) -> None:
    assert app_without_database.test_client().get("/healthz").status_code == 200


def test_the_probes_need_no_login_and_are_not_cached(portal: Portal) -> None:
    for path in ["/healthz", "/readyz"]:
        response = portal.browser.get(path)
        assert response.mimetype == "application/json"
        assert response.headers["Cache-Control"] == "no-store"
