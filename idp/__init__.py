"""The protocol faces: OpenID Connect (oidc/), later SAML 2.0 (saml/)."""

from __future__ import annotations

from flask import Flask

from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore


def init_idp(app: Flask, settings: Settings, clock: Clock, store: KeyValueStore) -> None:
    from idp.oidc import init_oidc
    from idp.status import init_status

    init_oidc(app, settings, clock, store)
    init_status(app)
