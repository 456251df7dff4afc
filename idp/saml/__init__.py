"""SAML 2.0 identity provider (the only package that imports pysaml2)."""

from __future__ import annotations

from typing import cast

from flask import Flask

from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore


def init_saml(
    app: Flask,
    settings: Settings,
    clock: Clock,
    store: KeyValueStore,
    key_source: object | None = None,
) -> None:
    """Register the SAML endpoints, the admin pages (/verwaltung/saml) and ``flask saml-sps``."""
    from core.web import csrf
    from idp.saml import admin, cli, views
    from idp.saml.keys import EphemeralKeys, KeyringSource
    from idp.saml.service import PublishingKeySource, SamlIdp

    if key_source is None and "keyring" in app.extensions:
        key_source = KeyringSource(app.extensions["keyring"])
    if key_source is None:
        if settings.is_production:
            raise RuntimeError("SAML needs the keyring of certs in production")
        key_source = EphemeralKeys()
    source = cast(PublishingKeySource, key_source)
    app.extensions["saml"] = SamlIdp.build(settings, clock, store, source)
    csrf.exempt(views.sso_post)
    csrf.exempt(views.slo_post)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.extensions.setdefault("admin_sections", []).append(admin.SECTION)
    app.cli.add_command(cli.saml_sps)
