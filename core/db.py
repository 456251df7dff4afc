"""The SQL database: Flask-SQLAlchemy with SQLAlchemy 2 typed models; schema by Alembic only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    """A random, non-sequential primary key (never shown to relying parties)."""
    return str(uuid.uuid4())


def sqlalchemy_url(database_url: str) -> str:
    """The driver URL: psycopg 3 for PostgreSQL; relative SQLite paths made absolute (cwd)."""
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and not database_url.startswith(prefix + "/"):
        path = database_url[len(prefix) :]
        if path and path != ":memory:":
            from pathlib import Path

            absolute = Path(path).resolve()
            absolute.parent.mkdir(parents=True, exist_ok=True)
            return prefix + str(absolute)
    return database_url


def init_db(app: object, database_url: str) -> None:
    from flask import Flask
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    assert isinstance(app, Flask)
    url = sqlalchemy_url(database_url)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options: dict[str, object] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options.update(pool_size=5, max_overflow=10, pool_recycle=1800)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if url.startswith("sqlite"):
        with app.app_context():
            engine: Engine = db.engine
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
