"""Probes for load balancers: /healthz (process alive), /readyz (ready to serve: database
reachable and migrated to the newest revision, store reachable)."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import db
from core.migrate import alembic_config

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks = {
        "database": _database_ok(),
        "schema": _schema_current(),
        "store": current_app.extensions["store"].ping(),
    }
    ok = all(checks.values())
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


@cache
def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _schema_current() -> bool:
    """A forgotten ``flask migrate`` makes the instance unready instead of failing requests."""
    try:
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return current is not None and current == _head()


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False
