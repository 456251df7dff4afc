"""Lifecycle of a key: next -> active -> retired -> removed, each step checked and audited.

* ``next``: published (JWKS, SAML metadata), never signs. Activation waits for the lead time
  (``CERTS_PUBLICATION_LEAD_TIME``) so relying parties have fetched the key before it signs —
  unless no key of that purpose and algorithm is active (nothing to roll over from), or an
  administrator forces it (compromise).
* ``active``: signs; exactly one per purpose and algorithm (also a unique index). Activating a
  successor retires the predecessor in the same transaction.
* ``retired``: still published and still verifies/decrypts, never signs. Removal waits until
  ``retired_at + CERTS_MAX_TOKEN_LIFETIME`` (everything it signed has expired) unless forced.
* removed: the row is deleted. An active key is never removed directly.

Every change takes the keyring-version row lock first (changes run one after the other, also
across processes), writes its audit events in the same transaction, and commits once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from certs import imports, material, models
from certs.kek import KeyEncryption
from certs.keyring import KeyRing
from certs.material import PrivateKey
from certs.models import ManagedKey
from certs.policy import Policy
from certs.types import (
    ALLOWED_ALGORITHMS,
    CERTIFICATE_PURPOSES,
    ImportRefused,
    KeyAlgorithm,
    KeyNotFound,
    KeyPurpose,
    KeyState,
    TransitionRefused,
    WeakKey,
)
from core import audit
from core.audit import AuditEvent
from core.clock import Clock, to_datetime
from core.db import db, new_id

#: Self-signed certificates start a little in the past: clocks of relying parties differ.
CERT_BACKDATE = timedelta(hours=1)


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: an administrator (citizen id), or the system (None)."""

    citizen_id: str | None = None
    client_address: str | None = None
    #: How the change came in, for the audit log: ``web``, ``cli`` (with the OS user), or None.
    via: str | None = None


SYSTEM = Actor()


def _when(moment: datetime) -> str:
    """Dates in refusals: unambiguous, and usable outside a request (CLI)."""
    return f"{moment:%d.%m.%Y %H:%M} UTC"


class KeyManager:
    """Creates, imports and moves keys through their lifecycle (one per app)."""

    def __init__(self, policy: Policy, kek: KeyEncryption, ring: KeyRing, clock: Clock) -> None:
        self.policy = policy
        self.kek = kek
        self.keyring = ring
        self.clock = clock

    def now(self) -> datetime:
        return to_datetime(self.clock.now())

    # --- reading -------------------------------------------------------------------------

    def rows(self) -> list[ManagedKey]:
        return models.all_keys()

    def get(self, key_id: str) -> ManagedKey:
        row = db.session.get(ManagedKey, key_id) if key_id else None
        if row is None:
            raise KeyNotFound(key_id)
        return row

    def active_row(self, purpose: KeyPurpose, algorithm: KeyAlgorithm) -> ManagedKey | None:
        query = select(ManagedKey).where(
            ManagedKey.purpose == purpose.value,
            ManagedKey.algorithm == algorithm.value,
            ManagedKey.state == KeyState.ACTIVE.value,
        )
        return db.session.scalar(query)

    def activatable_at(self, row: ManagedKey) -> datetime:
        return max(row.created_at + self.policy.lead_time, row.not_before)

    def removable_at(self, row: ManagedKey) -> datetime | None:
        if row.state == KeyState.RETIRED.value and row.retired_at is not None:
            return row.retired_at + self.policy.retention
        return None

    # --- changes -------------------------------------------------------------------------

    @contextmanager
    def change(self) -> Iterator[None]:
        """One lifecycle change: lock, re-read, act, audit, commit once (or roll back)."""
        try:
            db.session.flush()  # nothing pending of the caller is lost by the re-read below
            models.bump_version()
            db.session.expire_all()  # rows may have changed before the lock was ours
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            self.keyring.invalidate()

    def create(
        self,
        purpose: KeyPurpose,
        algorithm: KeyAlgorithm,
        actor: Actor = SYSTEM,
        *,
        reason: str = "",
        activate: bool = False,
    ) -> ManagedKey:
        """Generate a key (state ``next``), with a self-signed certificate where needed.

        With ``activate``, the key signs at once, which is only allowed when no key of this
        purpose and algorithm is active (the first key; nothing to roll over from)."""
        purpose, algorithm = KeyPurpose(purpose), KeyAlgorithm(algorithm)
        check_allowed(purpose, algorithm)
        private_key = material.generate(algorithm)
        with self.change():
            row = self._create(purpose, algorithm, private_key, actor, reason=reason)
            if activate:
                self._activate(row, actor, force=False, reason=reason)
        self.keyring.remember(row.id, private_key)
        return row

    def provision(
        self,
        purpose: KeyPurpose,
        algorithm: KeyAlgorithm,
        *,
        reason: str,
        private_key: PrivateKey | None = None,
    ) -> ManagedKey | None:
        """The first key of a kind, active at once; None when one is active already."""
        private_key = private_key or material.generate(algorithm)
        with self.change():
            if self.active_row(purpose, algorithm) is not None:
                return None
            row = self._create(purpose, algorithm, private_key, SYSTEM, reason=reason)
            self._activate(row, SYSTEM, force=False, reason=reason)
        self.keyring.remember(row.id, private_key)
        return row

    def ensure_next(
        self, purpose: KeyPurpose, algorithm: KeyAlgorithm, *, reason: str
    ) -> ManagedKey | None:
        """Publish a successor unless one is waiting already (checked under the lock, so
        two scheduled runs at once create one key, not two)."""
        private_key = material.generate(algorithm)
        with self.change():
            if self.next_rows(purpose, algorithm):
                return None
            row = self._create(purpose, algorithm, private_key, SYSTEM, reason=reason)
        self.keyring.remember(row.id, private_key)
        return row

    def next_rows(self, purpose: KeyPurpose, algorithm: KeyAlgorithm) -> list[ManagedKey]:
        query = (
            select(ManagedKey)
            .where(
                ManagedKey.purpose == purpose.value,
                ManagedKey.algorithm == algorithm.value,
                ManagedKey.state == KeyState.NEXT.value,
            )
            .order_by(ManagedKey.created_at, ManagedKey.id)
        )
        return list(db.session.scalars(query))

    def import_key(
        self,
        purpose: KeyPurpose,
        data: bytes,
        key_data: bytes | None = None,
        password: str | None = None,
        actor: Actor = SYSTEM,
    ) -> ManagedKey:
        """Import a key with its certificate and chain (PEM or PKCS#12) as ``next``."""
        purpose = KeyPurpose(purpose)
        found = imports.read(data, key_data, password)
        imports.check(found, purpose, self.now())
        with self.change():
            row = self._store(purpose, found.private_key, found.certificate, found.chain, actor)
            row.origin = "imported"
            self.record(AuditEvent.KEY_IMPORTED, row, actor, subject=row.subject, issuer=row.issuer)
        self.keyring.remember(row.id, found.private_key)
        return row

    def activate(
        self, key_id: str, actor: Actor = SYSTEM, *, force: bool = False, reason: str = ""
    ) -> ManagedKey:
        with self.change():
            row = self.get(key_id)
            self._activate(row, actor, force=force, reason=reason)
        return row

    def retire(self, key_id: str, actor: Actor = SYSTEM, *, force: bool = False) -> ManagedKey:
        with self.change():
            row = self.get(key_id)
            self._retire(row, actor, force=force)
        return row

    def remove(
        self, key_id: str, actor: Actor = SYSTEM, *, force: bool = False, reason: str = ""
    ) -> None:
        with self.change():
            self._remove(self.get(key_id), actor, force=force, reason=reason)

    def rollover(
        self,
        purpose: KeyPurpose,
        algorithm: KeyAlgorithm,
        actor: Actor,
        *,
        reason: str,
        remove_old: bool = False,
    ) -> ManagedKey:
        """Forced early rollover (compromise): a new key signs at once; the old one is
        retired, or with ``remove_old`` unpublished at once as well."""
        purpose, algorithm = KeyPurpose(purpose), KeyAlgorithm(algorithm)
        check_allowed(purpose, algorithm)
        if not reason.strip():
            raise TransitionRefused(_l("Bitte geben Sie einen Grund an."))
        private_key = material.generate(algorithm)
        with self.change():
            old = self.active_row(purpose, algorithm)
            row = self._create(purpose, algorithm, private_key, actor, reason=reason)
            self._activate(row, actor, force=True, reason=reason)
            if remove_old and old is not None:
                self._remove(old, actor, force=True, reason=reason)
        self.keyring.remember(row.id, private_key)
        return row

    # --- steps inside a change -----------------------------------------------------------

    def _create(
        self,
        purpose: KeyPurpose,
        algorithm: KeyAlgorithm,
        private_key: PrivateKey,
        actor: Actor,
        *,
        reason: str = "",
    ) -> ManagedKey:
        cert = None
        if purpose in CERTIFICATE_PURPOSES:
            start = self.now().replace(microsecond=0)
            cert = material.self_signed(
                private_key,
                purpose,
                self.policy.host,
                start - CERT_BACKDATE,
                start + self.policy.key_lifetime,
            )
        row = self._store(purpose, private_key, cert, (), actor)
        self.record(AuditEvent.KEY_CREATED, row, actor, reason=reason or None)
        return row

    def _store(
        self,
        purpose: KeyPurpose,
        private_key: PrivateKey,
        cert: x509.Certificate | None,
        chain: tuple[x509.Certificate, ...],
        actor: Actor,
    ) -> ManagedKey:
        public_key = private_key.public_key()
        algorithm, size = material.classify(public_key)
        kid = material.thumbprint(public_key)
        if db.session.scalar(select(ManagedKey.id).where(ManagedKey.kid == kid)) is not None:
            raise ImportRefused(_l("Dieser Schlüssel ist bereits vorhanden."))
        now, key_id = self.now(), new_id()
        row = ManagedKey(
            id=key_id,
            purpose=purpose.value,
            algorithm=algorithm.value,
            key_size=size,
            state=KeyState.NEXT.value,
            kid=kid,
            fingerprint=material.fingerprint(public_key, cert),
            public_key=material.public_pem(public_key),
            certificate=material.cert_pem(cert) if cert else None,
            chain="".join(material.cert_pem(c) for c in chain) or None,
            subject=cert.subject.rfc4514_string()[:1024] if cert else None,
            issuer=cert.issuer.rfc4514_string()[:1024] if cert else None,
            origin="generated",
            wrapped_key=self.kek.wrap(
                key_id, purpose.value, algorithm.value, material.private_der(private_key)
            ),
            kek_id=self.kek.current_id,
            created_at=now,
            created_by=actor.citizen_id,
            not_before=cert.not_valid_before_utc if cert else now,
            not_after=cert.not_valid_after_utc if cert else now + self.policy.key_lifetime,
        )
        db.session.add(row)
        db.session.flush()
        return row

    def _activate(self, row: ManagedKey, actor: Actor, *, force: bool, reason: str = "") -> None:
        now = self.now()
        if row.state != KeyState.NEXT.value:
            raise TransitionRefused(
                _l("Nur ein neuer (veröffentlichter) Schlüssel kann aktiviert werden.")
            )
        if not row.not_before <= now < row.not_after:
            raise TransitionRefused(
                _l(
                    "Der Schlüssel ist nur vom %(start)s bis %(end)s gültig.",
                    start=_when(row.not_before),
                    end=_when(row.not_after),
                )
            )
        current = self.active_row(KeyPurpose(row.purpose), KeyAlgorithm(row.algorithm))
        if current is not None and not force and now < self.activatable_at(row):
            raise TransitionRefused(
                _l(
                    "Der Schlüssel muss erst lange genug veröffentlicht sein: aktivieren "
                    "frühestens ab %(when)s (sofort nur erzwungen, etwa bei Kompromittierung).",
                    when=_when(self.activatable_at(row)),
                )
            )
        if current is not None:
            current.state, current.retired_at = KeyState.RETIRED.value, now
            db.session.flush()
            self.record(
                AuditEvent.KEY_RETIRED, current, actor, replaced_by=row.id, reason=reason or None
            )
        row.state, row.activated_at = KeyState.ACTIVE.value, now
        db.session.flush()
        self.record(AuditEvent.KEY_ACTIVATED, row, actor, forced=force, reason=reason or None)

    def _retire(self, row: ManagedKey, actor: Actor, *, force: bool) -> None:
        if row.state != KeyState.ACTIVE.value:
            raise TransitionRefused(_l("Nur ein aktiver Schlüssel kann außer Dienst gehen."))
        if not force and self._still_needed(row):
            raise TransitionRefused(
                _l(
                    "Danach könnte für diesen Zweck nichts mehr signiert werden: bitte erst einen "
                    "Nachfolger aktivieren (oder erzwingen)."
                )
            )
        row.state, row.retired_at = KeyState.RETIRED.value, self.now()
        db.session.flush()
        self.record(AuditEvent.KEY_RETIRED, row, actor, forced=force)

    def _still_needed(self, row: ManagedKey) -> bool:
        kind = (KeyPurpose(row.purpose), KeyAlgorithm(row.algorithm))
        others = select(ManagedKey.id).where(
            ManagedKey.purpose == row.purpose,
            ManagedKey.state == KeyState.ACTIVE.value,
            ManagedKey.id != row.id,
        )
        return kind in self.policy.required or db.session.scalar(others) is None

    def _remove(self, row: ManagedKey, actor: Actor, *, force: bool, reason: str = "") -> None:
        if row.state == KeyState.ACTIVE.value:
            raise TransitionRefused(
                _l("Ein aktiver Schlüssel kann nicht entfernt werden: erst außer Dienst stellen.")
            )
        removable = self.removable_at(row)
        if removable is not None and not force and self.now() < removable:
            raise TransitionRefused(
                _l(
                    "Mit diesem Schlüssel signierte Daten können noch gültig sein: entfernen "
                    "frühestens ab %(when)s (sofort nur erzwungen).",
                    when=_when(removable),
                )
            )
        self.record(
            AuditEvent.KEY_REMOVED, row, actor, was=row.state, forced=force, reason=reason or None
        )
        db.session.delete(row)
        db.session.flush()

    def record(
        self, event: AuditEvent, row: ManagedKey, actor: Actor, **details: str | bool | None
    ) -> None:
        """Audit ``event`` about ``row`` in the current transaction (never key material)."""
        facts: dict[str, Any] = {
            "key_id": row.id,
            "purpose": row.purpose,
            "algorithm": row.algorithm,
            "kid": row.kid,
            "fingerprint": row.fingerprint,
            "via": actor.via,
            **details,
        }
        audit.record(
            event,
            now=self.clock.now(),
            actor_id=actor.citizen_id,
            client_address=actor.client_address,
            **facts,
        )


def check_allowed(purpose: KeyPurpose, algorithm: KeyAlgorithm) -> None:
    if algorithm not in ALLOWED_ALGORITHMS[purpose]:
        raise WeakKey(
            _l(
                "%(alg)s ist für %(purpose)s nicht zulässig.",
                alg=algorithm.value,
                purpose=purpose.value,
            )
        )


def manager() -> KeyManager:
    """The app's key manager (built by :func:`certs.init_certs`)."""
    found: KeyManager = current_app.extensions["certs"]
    return found
