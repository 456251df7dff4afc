"""The start-up check: development creates keys, production refuses to start without them."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import click
import pytest
from flask import Flask

import wsgi
from certs import KeyAlgorithm, KeyPurpose, KeysMissing
from certs.kek import DEV_KEK_FILE
from core.clock import FrozenClock
from core.db import db
from core.settings import Environment, Settings
from core.store.base import KeyValueStore

OTHER_KEK = base64.b64encode(bytes(range(7, 39))).decode()


def production(settings: Settings, kek: str) -> Settings:
    return replace(
        settings,
        environment=Environment.PRODUCTION,
        certs_kek=kek,
        oidc_pairwise_secret="p" * 48,
    )


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def dev_kek(settings: Settings) -> str:
    return (settings.var_dir / DEV_KEK_FILE).read_text().strip()


@pytest.fixture
def prepared(app: Flask, settings: Settings) -> Iterator[str]:
    """A database whose keys a development start has created; yields their KEK."""
    yield dev_kek(settings)


def test_production_refuses_to_start_without_keys(
    settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    with pytest.raises(KeysMissing) as refused:
        wsgi.create_app(production(settings, OTHER_KEK), clock=clock, store=store)
    problems = "\n".join(refused.value.problems)
    for name in ("saml-signing:rsa-3072", "saml-encryption:rsa-3072", "oidc-signing:rsa-3072"):
        assert f"no active key for {name}" in problems


def test_production_starts_with_its_keys_and_loads_them_once(
    prepared: str, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    app = wsgi.create_app(production(settings, prepared), clock=clock, store=store)
    try:
        with app.app_context():
            ring = app.extensions["keyring"]
            manager = app.extensions["certs"]
            for kind in manager.policy.required:
                row = manager.active_row(*kind)
                assert row is not None and row.id in ring._private  # warmed at start
    finally:
        dispose(app)


def test_production_refuses_keys_it_cannot_decrypt(
    prepared: str, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    with pytest.raises(KeysMissing, match="cannot be used"):
        wsgi.create_app(production(settings, OTHER_KEK), clock=clock, store=store)


def test_production_warns_about_keys_expiring_soon_and_refuses_expired_ones(
    prepared: str,
    app: Flask,
    settings: Settings,
    clock: FrozenClock,
    store: KeyValueStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with app.app_context():
        row = app.extensions["certs"].active_row(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072)
        assert row is not None
        remaining = (row.not_after.timestamp() - clock.now()) - 10 * 86400
    clock.advance(remaining)
    with caplog.at_level(logging.WARNING, logger="portal.certs"):
        started = wsgi.create_app(production(settings, prepared), clock=clock, store=store)
        dispose(started)
    assert any(
        "saml-signing/rsa-3072" in r.message and "expires" in r.message for r in caplog.records
    )
    clock.advance(11 * 86400)
    with pytest.raises(KeysMissing, match="expired"):
        wsgi.create_app(production(settings, prepared), clock=clock, store=store)


def test_under_the_flask_command_production_only_reports(
    settings: Settings, clock: FrozenClock, store: KeyValueStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Operators must be able to run ``flask certs create`` before the first start."""
    with click.Context(click.Command("flask")), caplog.at_level(logging.WARNING):
        app = wsgi.create_app(production(settings, OTHER_KEK), clock=clock, store=store)
    try:
        assert any("no active key" in r.message for r in caplog.records)
        result = app.test_cli_runner().invoke(args=["certs", "check"])
        assert result.exit_code == 1 and "no active key for saml-signing" in result.output
        with app.app_context():
            assert app.extensions["certs"].rows() == []  # production never invents keys
    finally:
        dispose(app)


def test_development_start_before_migration_does_not_crash(
    tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        environment=Environment.TEST,
        secret_key="x" * 40,
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        var_dir=tmp_path,
        mail_outbox_dir=tmp_path / "outbox",
    )
    from core.store import MemoryStore

    with caplog.at_level(logging.WARNING, logger="portal.certs"):
        app = wsgi.create_app(settings, clock=clock, store=MemoryStore(clock))
    dispose(app)
    assert any("flask migrate" in r.message for r in caplog.records)
    with pytest.raises(KeysMissing, match="flask migrate"):
        wsgi.create_app(production(settings, OTHER_KEK), clock=clock, store=MemoryStore(clock))
