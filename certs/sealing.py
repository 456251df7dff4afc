"""Secrets of higher layers sealed under the key-encryption key (docs/KEYS.md, "The KEK").

``account/`` keeps the seeds of the citizens' authenticator apps (RFC 6238 shared secrets)
this way: AES-256-GCM under ``CERTS_KEK`` with a domain of its own in the associated data
(``certs/kek.py``) plus the caller's context (e.g. the citizen id), so a sealed value copied to
another row does not open. The caller stores the blob and the KEK's key check value and never
sees the KEK. ``flask certs rekey`` re-seals them through the re-sealers registered with
:func:`register_resealer` (certs cannot import the layers above it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from certs.kek import KeyEncryption, open_secret, seal_secret

#: Re-seals everything a layer keeps under an older KEK; returns how many values it changed.
Resealer = Callable[["SecretSealing"], int]


@dataclass(frozen=True)
class Sealed:
    blob: bytes
    kek_id: str


class SecretSealing:
    def __init__(self, kek: KeyEncryption) -> None:
        self._kek = kek

    @property
    def current_id(self) -> str:
        """Key check value of the KEK that seals now (a value under another needs re-sealing)."""
        return self._kek.current_id

    def seal(self, context: str, plaintext: bytes) -> Sealed:
        return Sealed(seal_secret(self._kek, context, plaintext), self._kek.current_id)

    def open(self, context: str, sealed: Sealed) -> bytes:
        """The plaintext; :class:`~certs.types.KeyUnavailable` when it cannot be opened."""
        return open_secret(self._kek, context, sealed.blob, sealed.kek_id)


def sealing() -> SecretSealing:
    found: SecretSealing = current_app.extensions["secret_sealing"]
    return found


def register_resealer(app: Flask, name: str, resealer: Resealer) -> None:
    """``flask certs rekey`` calls ``resealer`` after re-encrypting the private keys."""
    app.extensions.setdefault("certs_resealers", {})[name] = resealer


def reseal_all(app: Flask) -> dict[str, int]:
    """Run every registered re-sealer: name -> values re-sealed."""
    found: dict[str, Resealer] = app.extensions.get("certs_resealers", {})
    ring = sealing()
    return {name: resealer(ring) for name, resealer in sorted(found.items())}
