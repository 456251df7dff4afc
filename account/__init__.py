"""The Bürgerkonto: citizens, credentials, profile with provenance, login, SSO session,
self-service and activity log."""

from __future__ import annotations

from flask import Flask

from account.services import AccountServices
from connectors.mail import Mailer
from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore
from core.web import auth


def init_account(
    app: Flask, settings: Settings, clock: Clock, store: KeyValueStore, mailer: Mailer
) -> None:
    from account import activity, api, cli
    from account.totp import credential
    from account.views import bp, current_principal, login_url
    from certs import register_resealer

    app.extensions["account"] = AccountServices.build(settings, clock, store, mailer)
    auth.register(app.extensions, current_principal, login_url)
    app.register_blueprint(bp)
    app.add_template_filter(activity.event_label, "event_label")
    app.add_template_filter(activity.when, "when")
    app.add_template_filter(api.client_name, "client_name")
    app.cli.add_command(cli.accounts)
    register_resealer(app, "TOTP secrets", credential.reseal_all)
