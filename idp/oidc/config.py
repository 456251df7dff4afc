"""The provider's collaborators, built once per app: issuer, derived keys, lifetimes, store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore

_DEV_SECRET_FILE = "oidc_pairwise_secret"


@dataclass(frozen=True)
class OidcConfig:
    settings: Settings
    clock: Clock
    store: KeyValueStore
    issuer: str
    _pairwise_key: bytes
    _hash_key: bytes

    @classmethod
    def build(cls, settings: Settings, clock: Clock, store: KeyValueStore) -> OidcConfig:
        secret = (settings.oidc_pairwise_secret or _development_secret(settings.var_dir)).encode()
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            issuer=settings.oidc_issuer_url,
            _pairwise_key=hmac.digest(secret, b"oidc pairwise subject", "sha256"),
            _hash_key=hmac.digest(secret, b"oidc keyed hash of secrets", "sha256"),
        )

    def pairwise_subject(self, sector: str, citizen_id: str) -> str:
        """OIDC Core §8.1: a stable pseudonym per sector, never the internal id."""
        mac = hmac.digest(self._pairwise_key, f"{sector}\x00{citizen_id}".encode(), "sha256")
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA-256 of a high-entropy random secret (client secret, refresh token, code)."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def derived_id(self, label: str, value: str) -> str:
        """A short stable pseudonym of ``value`` (e.g. the ``sid`` a client sees)."""
        mac = hmac.digest(self._hash_key, f"{label}\x00{value}".encode(), "sha256")
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def now(self) -> float:
        return self.clock.now()


def _development_secret(var_dir: Path) -> str:
    """Outside production only (settings refuse an empty secret there): kept in ``var_dir``."""
    path = var_dir / _DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker was first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


def oidc() -> OidcConfig:
    return current_app.extensions["oidc"]  # type: ignore[no-any-return]
