"""OpenID Connect provider: one module per endpoint or RFC (see each module's docstring)."""

from __future__ import annotations

from flask import Flask

from account import api
from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore
from core.web import csrf


def init_oidc(app: Flask, settings: Settings, clock: Clock, store: KeyValueStore) -> None:
    from idp.oidc import authorize, cli, registry
    from idp.oidc.blueprint import bp
    from idp.oidc.config import OidcConfig

    app.extensions["oidc"] = OidcConfig.build(settings, clock, store)
    app.register_blueprint(bp)
    for view in (authorize.authorize,):
        csrf.exempt(view)  # protocol endpoints: the client, not a form of ours, posts here
    app.cli.add_command(cli.oidc_clients)
    api.register_client_names(app, registry.display_name)
