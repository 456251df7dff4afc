"""OpenID Connect provider: one module per endpoint or RFC (see each module's docstring)."""

from __future__ import annotations

from flask import Flask

from account import api
from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore
from core.web import csrf


def init_oidc(app: Flask, settings: Settings, clock: Clock, store: KeyValueStore) -> None:
    from idp.oidc import (  # noqa: F401  (their routes register on import)
        admin,
        authorize,
        cli,
        discovery,
        logout,
        registry,
        revocation,
        token,
        userinfo,
        views,
    )
    from idp.oidc.backchannel import BackchannelSender
    from idp.oidc.blueprint import bp
    from idp.oidc.config import OidcConfig

    app.extensions["oidc"] = OidcConfig.build(settings, clock, store)
    app.extensions["oidc_backchannel"] = BackchannelSender()
    app.register_blueprint(bp)
    exempt = (
        authorize.authorize,
        token.token,
        userinfo.userinfo,
        revocation.revoke,
        revocation.introspect,
        logout.end_session,
    )
    for view in exempt:
        csrf.exempt(view)  # protocol endpoints: the client, not a form of ours, posts here
    app.cli.add_command(cli.oidc_clients)
    app.extensions.setdefault("admin_sections", []).append(admin.SECTION)
    api.register_client_names(app, registry.display_name)
    api.on_session_end(app, logout.session_ended)
    api.on_background_work(app, lambda: logout.backchannel_sender().flush())
