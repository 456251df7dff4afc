"""Composition root: ``create_app()`` wires every layer; gunicorn serves ``wsgi:app``."""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask, current_app

from account import init_account
from certs import check_keys, init_certs
from connectors.mail import BackgroundMailer, Mailer, OutboxMailer, SmtpMailer
from connectors.mail.views import outbox
from core import migrate
from core.clock import Clock, SystemClock
from core.db import init_db
from core.health import health
from core.settings import Settings
from core.store import open_store
from core.store.base import KeyValueStore
from core.web import init_web
from idp import init_idp
from idp.saml import init_saml


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    store: KeyValueStore | None = None,
    mailer: Mailer | None = None,
) -> Flask:
    """Build the hub. Tests pass explicit settings and their own clock; nothing is global."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    store = store or open_store(settings.redis_url, settings.store_prefix, clock)
    mailer = mailer or _mailer(settings)

    app = Flask(__name__, static_folder=None)
    app.config["PORTAL_DEFAULT_LOCALE"] = settings.default_locale
    app.config["PORTAL_LOCALES"] = settings.locales
    app.extensions.update(settings=settings, clock=clock, store=store, mailer=mailer)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    init_db(app, settings.database_url)
    init_web(app, settings)
    app.register_blueprint(health)
    init_certs(app, settings, clock)
    init_account(app, settings, clock, store, mailer)
    init_saml(app, settings, clock, store)
    init_idp(app, settings, clock, store)
    _wire_logout(app)
    if settings.eid_enabled:
        _wire_eid(app, settings, clock, store)
    if not settings.is_production:
        app.register_blueprint(outbox)
    app.cli.add_command(migrate_command)
    check_keys(app, settings)  # production refuses to start without its active keys
    return app


def _wire_logout(app: Flask) -> None:
    """A logout at the hub or by OpenID Connect goes on to the session's SAML SPs over the
    front channel before it lands (docs/SAML.md); account knows only its own registry."""
    from account import api
    from idp.saml.frontchannel import continuation

    api.on_front_channel_logout(app, continuation)


def _wire_eid(app: Flask, settings: Settings, clock: Clock, store: KeyValueStore) -> None:
    """The Online-Ausweis: the connector with the hub's keys from certs (key bytes stay there),
    its TC token / RefreshAddress endpoints, and account's answer to a finished reading. The
    simulator in development is only other configuration (docs/EID.md)."""
    from account.eid.card import use_id_request
    from account.views.eid import finish
    from certs.eid import EidSigningKey, EidTlsIdentity
    from connectors.eid import InterfaceVersion
    from connectors.eid.views import create_blueprint
    from connectors.eid.wiring import build_transactions, read_pem

    ring = app.extensions["keyring"]
    tls_ca = settings.eid_server_tls_ca
    ca = read_pem(tls_ca, "EID_SERVER_TLS_CA") if tls_ca else None
    app.extensions["eid"] = build_transactions(
        settings,
        use_id_request(InterfaceVersion(settings.eid_interface_version)),
        store,
        clock,
        EidSigningKey(ring),
        EidTlsIdentity(ring, ca),
    )
    app.register_blueprint(create_blueprint(lambda: current_app.extensions["eid"], finish))


def _mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return BackgroundMailer(
            SmtpMailer(
                settings.smtp_host,
                settings.smtp_port,
                settings.mail_from,
                settings.smtp_username,
                settings.smtp_password,
                settings.smtp_starttls,
            )
        )
    return OutboxMailer(settings.mail_outbox_dir, settings.mail_from)


@click.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest Alembic revision."""
    from flask import current_app

    migrate.upgrade(current_app.extensions["settings"].database_url)
    click.echo("database schema is up to date")


def __getattr__(name: str) -> Any:
    """``wsgi:app`` for gunicorn and ``flask --app wsgi``: built on first access."""
    if name == "app":
        globals()["app"] = created = create_app()
        return created
    raise AttributeError(name)
