"""Private keys at rest: AES-256-GCM under the key-encryption key (KEK) from the settings.

Each stored key is ``0x01 || nonce (12 bytes) || ciphertext || tag`` (NIST SP 800-38D, 96-bit
random nonce). The associated data binds the ciphertext to its row id, purpose and algorithm,
so a ciphertext copied to another row or relabelled for another purpose does not decrypt. The
row keeps a key check value (``kek_id``, an HMAC of a constant under the KEK) so that, during a
KEK rotation, the right KEK is chosen and a wrong one is detected without trial decryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

from certs.types import KeyUnavailable
from core.settings import Settings, decode_key_encryption_key

log = logging.getLogger("portal.certs")

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
AAD_PREFIX = b"buergerportal/certs/private-key/v1"
#: Secrets of higher layers (``certs/sealing.py``): a domain of their own, so a sealed secret
#: never opens as a private key or the other way round.
SECRET_AAD_PREFIX = b"buergerportal/certs/sealed-secret/v1"
DEV_KEK_FILE = "certs-kek.dev"


def kek_id(kek: bytes) -> str:
    """Key check value: identifies a KEK without revealing anything about it."""
    return hmac.new(kek, b"buergerportal certs kek id", hashlib.sha256).hexdigest()[:16]


def _aad(key_id: str, purpose: str, algorithm: str) -> bytes:
    return b"\x00".join((AAD_PREFIX, key_id.encode(), purpose.encode(), algorithm.encode()))


class KeyEncryption:
    """Wraps and unwraps private keys; the current KEK encrypts, older ones still decrypt."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        if len(current) != 32 or any(len(k) != 32 for k in previous):
            raise ValueError("a key-encryption key has exactly 32 bytes")
        self._current = current
        self._keys = {kek_id(k): k for k in (*previous, current)}
        self.current_id = kek_id(current)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyEncryption:
        previous = [
            decode_key_encryption_key(p)
            for p in settings.certs_kek_previous.split(",")
            if p.strip()
        ]
        if settings.certs_kek:
            return cls(decode_key_encryption_key(settings.certs_kek), previous)
        if settings.is_production:
            raise KeyUnavailable(_l("CERTS_KEK fehlt (in Produktion Pflicht)."))
        return cls(_development_kek(Path(settings.var_dir)), previous)

    def knows(self, key_check: str) -> bool:
        return key_check in self._keys

    def wrap(self, key_id: str, purpose: str, algorithm: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._current).encrypt(nonce, plaintext, _aad(key_id, purpose, algorithm))
        return FORMAT_VERSION + nonce + sealed

    def unwrap(
        self, key_id: str, purpose: str, algorithm: str, blob: bytes, key_check: str
    ) -> bytes:
        kek = self._keys.get(key_check)
        if kek is None:
            raise KeyUnavailable(
                _l(
                    "Der Schlüssel %(key)s ist mit einem unbekannten Schlüsselverschlüsselungs"
                    "schlüssel (KEK %(kek)s) gespeichert.",
                    key=key_id,
                    kek=key_check,
                )
            )
        if blob[:1] != FORMAT_VERSION or len(blob) < 1 + NONCE_BYTES + 16:
            raise KeyUnavailable(_l("Gespeicherter Schlüssel hat ein unbekanntes Format."))
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return AESGCM(kek).decrypt(nonce, sealed, _aad(key_id, purpose, algorithm))
        except InvalidTag:
            raise KeyUnavailable(
                _l("Der Schlüssel %(key)s lässt sich nicht entschlüsseln.", key=key_id)
            ) from None


def _secret_aad(context: str) -> bytes:
    return b"\x00".join((SECRET_AAD_PREFIX, context.encode()))


def seal_secret(kek: KeyEncryption, context: str, plaintext: bytes) -> bytes:
    """Seal a secret of a higher layer under the current KEK, bound to ``context``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(kek._current).encrypt(nonce, plaintext, _secret_aad(context))
    return FORMAT_VERSION + nonce + sealed


def open_secret(kek: KeyEncryption, context: str, blob: bytes, key_check: str) -> bytes:
    """The secret sealed by :func:`seal_secret`; :class:`KeyUnavailable` when the KEK is
    unknown, the blob damaged or bound to another context."""
    key = kek._keys.get(key_check)
    if key is None or blob[:1] != FORMAT_VERSION or len(blob) < 1 + NONCE_BYTES + 16:
        raise KeyUnavailable(_l("Ein gespeichertes Geheimnis lässt sich nicht entschlüsseln."))
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, _secret_aad(context))
    except InvalidTag:
        raise KeyUnavailable(
            _l("Ein gespeichertes Geheimnis lässt sich nicht entschlüsseln.")
        ) from None


def _development_kek(var_dir: Path) -> bytes:
    """Development and tests only: a random KEK kept in ``var_dir`` (mode 0600)."""
    path = var_dir / DEV_KEK_FILE
    if path.exists():
        return decode_key_encryption_key(path.read_text().strip())
    var_dir.mkdir(parents=True, exist_ok=True)
    kek = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was quicker
        return decode_key_encryption_key(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(kek).decode() + "\n")
    log.warning("created a development key-encryption key in %s (never use it in production)", path)
    return kek
