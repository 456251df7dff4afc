"""Keys and certificates: the only code that touches private keys.

The rest of the hub asks :func:`keyring` to sign, verify and publish (JWKS, SAML
KeyDescriptors); administrators manage keys with ``flask certs …`` and the pages under
``/verwaltung/schluessel``. See docs/KEYS.md for the operator's guide.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from certs.kek import KeyEncryption
from certs.keyring import KeyRing, PublishedKey, SamlKeyDescriptor, keyring
from certs.lifecycle import Actor, KeyManager, manager
from certs.policy import Policy
from certs.sealing import Sealed, SecretSealing, register_resealer, sealing
from certs.types import (
    CertsError,
    ImportRefused,
    KeyAlgorithm,
    KeyNotFound,
    KeyPurpose,
    KeyState,
    KeyUnavailable,
    NoActiveKey,
    TransitionRefused,
    WeakKey,
)
from core.clock import Clock
from core.settings import Settings

__all__ = [
    "Actor",
    "CertsError",
    "ImportRefused",
    "KeyAlgorithm",
    "KeyManager",
    "KeyNotFound",
    "KeyPurpose",
    "KeyRing",
    "KeyState",
    "KeyUnavailable",
    "KeysMissing",
    "NoActiveKey",
    "PublishedKey",
    "SamlKeyDescriptor",
    "Sealed",
    "SecretSealing",
    "TransitionRefused",
    "WeakKey",
    "check_keys",
    "init_certs",
    "keyring",
    "manager",
    "register_resealer",
    "sealing",
]

log = logging.getLogger("portal.certs")


class KeysMissing(Exception):  # noqa: N818
    """Production start refused: required keys are missing, expired or cannot be decrypted."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("keys and certificates not ready:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AdminSection:
    endpoint: str
    label: object


def init_certs(app: Flask, settings: Settings, clock: Clock) -> None:
    """Build the keyring and the key manager once per app; register pages and commands."""
    from certs import cli, views

    kek = KeyEncryption.from_settings(settings)
    ring = KeyRing(kek, clock, settings.certs_cache_check_seconds)
    app.extensions["keyring"] = ring
    app.extensions["certs"] = KeyManager(Policy.from_settings(settings), kek, ring, clock)
    app.extensions["secret_sealing"] = SecretSealing(kek)
    app.register_blueprint(views.bp)
    sections = app.extensions.setdefault("admin_sections", [])
    sections.append(AdminSection("certs.keys", _l("Schlüssel und Zertifikate")))
    app.cli.add_command(cli.certs)


def check_keys(app: Flask, settings: Settings) -> None:
    """The start-up check. Development and tests create what is missing; production refuses
    to start without the required active keys (raises :class:`KeysMissing`) and warns about
    keys that expire soon. Under the ``flask`` command (operators creating the first keys)
    production only reports, and ``flask certs check`` gives the verdict."""
    from certs import rotation

    with app.app_context():
        if not rotation.tables_exist():
            _refuse(settings, ["the key tables are missing: run `flask migrate` first"])
            return
        found = manager()
        if not settings.is_production:
            rotation.bootstrap(found, settings.environment)
        else:
            problems = rotation.startup_problems(found)
            if problems:
                _refuse(settings, problems)
        for warning in rotation.expiry_warnings(found):
            log.warning("certs: %s", warning)


def _refuse(settings: Settings, problems: list[str]) -> None:
    if settings.is_production and click.get_current_context(silent=True) is None:
        raise KeysMissing(problems)
    for problem in problems:
        log.warning("certs: %s", problem)
