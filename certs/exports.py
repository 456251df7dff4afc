"""Taking material out: public parts freely; a private key only password-protected, audited,
and only through the operators' CLI (never a web page); re-encryption under a new KEK."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12
from flask_babel import lazy_gettext as _l

from certs import models
from certs.keyring import snapshot_of
from certs.lifecycle import Actor, KeyManager
from certs.types import CertsError
from core.audit import AuditEvent
from core.db import db

#: A password protecting an exported private key: long enough to resist offline guessing.
EXPORT_PASSWORD_MIN_LENGTH = 16
#: PBKDF2 rounds for the PKCS#12 export (OWASP 2023 recommendation for PBKDF2-HMAC-SHA256).
EXPORT_KDF_ROUNDS = 600_000


def public_pem(manager: KeyManager, key_id: str) -> str:
    """The certificate with its chain (PEM), or the public key when there is no certificate."""
    row = manager.get(key_id)
    if row.certificate:
        return row.certificate + (row.chain or "")
    return row.public_key


def private_pkcs12(manager: KeyManager, key_id: str, password: str, actor: Actor) -> bytes:
    """PKCS#12 (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256, HMAC-SHA256), audited."""
    if len(password) < EXPORT_PASSWORD_MIN_LENGTH:
        raise CertsError(
            _l(
                "Das Passwort für den Export braucht mindestens %(n)s Zeichen.",
                n=EXPORT_PASSWORD_MIN_LENGTH,
            )
        )
    row = manager.get(key_id)
    snapshot = snapshot_of(row)
    private_key = manager.keyring.private_key_of(snapshot)
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(EXPORT_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    cas: list[x509.Certificate] | None = list(snapshot.chain) or None
    data = pkcs12.serialize_key_and_certificates(
        f"{row.purpose}-{row.kid[:8]}".encode(), private_key, snapshot.certificate, cas, encryption
    )
    manager.record(AuditEvent.KEY_EXPORTED, row, actor, format="pkcs12")
    db.session.commit()
    return data


def rewrap_all(manager: KeyManager, actor: Actor) -> int:
    """Re-encrypt every key not yet under the current KEK (after ``CERTS_KEK`` changed)."""
    changed = 0
    with manager.change():
        for row in models.all_keys():
            if row.kek_id == manager.kek.current_id:
                continue
            der = manager.kek.unwrap(
                row.id, row.purpose, row.algorithm, row.wrapped_key, row.kek_id
            )
            row.wrapped_key = manager.kek.wrap(row.id, row.purpose, row.algorithm, der)
            old_kek, row.kek_id = row.kek_id, manager.kek.current_id
            manager.record(AuditEvent.KEY_REWRAPPED, row, actor, previous_kek=old_kek)
            changed += 1
    return changed
