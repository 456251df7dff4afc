"""Scheduled rollover (``flask certs rotate``, daily from cron/systemd), the start-up check,
and the development bootstrap.

Timeline of one scheduled rollover for each required purpose and algorithm::

    T - rollover window    create the successor as ``next`` (published, not signing)
    + lead time            activate it; the predecessor is retired (still published)
    + max token lifetime   remove the predecessor (everything it signed has expired)
    T                      the predecessor would have expired

Keys imported from the city PKI are not replaced by generated ones unless
``CERTS_ROTATE_IMPORTED`` says so: the run warns instead, so that the successor certificate
is imported as ``next`` in time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import inspect, select

from certs import material
from certs.keyring import snapshot_of
from certs.lifecycle import KeyManager
from certs.material import PrivateKey
from certs.models import ManagedKey
from certs.policy import KeyKind
from certs.types import CertsError, KeyAlgorithm, KeyPurpose, KeyState
from core.db import db
from core.settings import Environment

log = logging.getLogger("portal.certs")

SCHEDULED = "scheduled rollover"
BOOTSTRAP = "development bootstrap"


@dataclass
class RotationReport:
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def act(self, text: str) -> None:
        log.info("certs rotate: %s", text)
        self.actions.append(text)

    def warn(self, text: str) -> None:
        log.warning("certs rotate: %s", text)
        self.warnings.append(text)


def _label(row: ManagedKey) -> str:
    return f"{row.purpose}/{row.algorithm} key {row.kid}"


def kinds_in_use(manager: KeyManager) -> list[KeyKind]:
    """The required kinds, and every other kind that has an active or next key."""
    kinds = list(manager.policy.required)
    for row in manager.rows():
        kind = (KeyPurpose(row.purpose), KeyAlgorithm(row.algorithm))
        if row.state != KeyState.RETIRED.value and kind not in kinds:
            kinds.append(kind)
    return kinds


def rotate(manager: KeyManager) -> RotationReport:
    """One scheduled run: warn, publish successors, switch, remove long-retired keys."""
    report = RotationReport()
    for kind in kinds_in_use(manager):
        try:
            _rotate_kind(manager, kind, report)
        except CertsError as exc:
            report.warn(f"{kind[0].value}/{kind[1].value}: {exc}")
    _remove_expired(manager, report)
    for text in expiry_warnings(manager):
        report.warn(text)
    return report


def _rotate_kind(manager: KeyManager, kind: KeyKind, report: RotationReport) -> None:
    purpose, algorithm = kind
    now = manager.now()
    active = manager.active_row(purpose, algorithm)
    due = active is None or active.not_after - now <= manager.policy.rollover_window
    pending = manager.next_rows(purpose, algorithm)
    if due and not pending:
        if (
            active is not None
            and active.origin == "imported"
            and not manager.policy.rotate_imported
        ):
            report.warn(
                f"{_label(active)} (imported) expires {active.not_after:%Y-%m-%d}: import its "
                "successor as next"
            )
            return
        created = manager.ensure_next(purpose, algorithm, reason=SCHEDULED)
        if created is not None:
            report.act(f"published {_label(created)} as next")
            pending = [created]
    if active is not None:
        # a next key older than the current activation was passed over: leave it to an admin
        pending = [
            p for p in pending if active.activated_at is None or p.created_at >= active.activated_at
        ]
    for candidate in pending:
        ready = active is None or manager.now() >= manager.activatable_at(candidate)
        if ready and candidate.not_before <= manager.now() < candidate.not_after:
            manager.activate(candidate.id, reason=SCHEDULED)
            report.act(f"activated {_label(candidate)}")
            return


def _remove_expired(manager: KeyManager, report: RotationReport) -> None:
    now = manager.now()
    for row in manager.rows():
        removable = manager.removable_at(row)
        if removable is not None and now >= removable:
            label = _label(row)
            manager.remove(row.id, reason=SCHEDULED)
            report.act(f"removed retired {label}")


def expiry_warnings(manager: KeyManager) -> list[str]:
    """Active keys whose validity (certificate) ends within the warning window, or has ended."""
    now, found = manager.now(), []
    for row in manager.rows():
        if row.state != KeyState.ACTIVE.value:
            continue
        if row.not_after <= now:
            found.append(f"{_label(row)} EXPIRED on {row.not_after:%Y-%m-%d %H:%M} UTC")
        elif row.not_after - now <= manager.policy.warning_window:
            found.append(f"{_label(row)} expires on {row.not_after:%Y-%m-%d %H:%M} UTC")
    return found


def startup_problems(manager: KeyManager) -> list[str]:
    """Why production must not start: a required key missing, expired or undecryptable.

    Loading the active keys here also warms the keyring (one decryption per key and process).
    """
    problems, now = [], manager.now()
    for purpose, algorithm in manager.policy.required:
        row = manager.active_row(purpose, algorithm)
        name = f"{purpose.value}:{algorithm.value}"
        if row is None:
            problems.append(f"no active key for {name} (flask certs create/import/activate)")
        elif row.not_after <= now:
            problems.append(f"the active key for {name} expired on {row.not_after:%Y-%m-%d}")
        else:
            try:
                manager.keyring.private_key_of(snapshot_of(row))
            except CertsError as exc:
                problems.append(f"the active key for {name} cannot be used: {exc}")
    return problems


#: Tests build an app per test; RSA-3072 generation would dominate their run time. In the test
#: environment (only) the bootstrap reuses one generated key per kind within the process.
_TEST_KEYS: dict[KeyKind, PrivateKey] = {}


def _bootstrap_key(kind: KeyKind, environment: Environment) -> PrivateKey:
    if environment is not Environment.TEST:
        return material.generate(kind[1])
    pooled = _TEST_KEYS.get(kind)
    kid = material.thumbprint(pooled.public_key()) if pooled else None
    if pooled is None or db.session.scalar(select(ManagedKey.id).where(ManagedKey.kid == kid)):
        pooled = _TEST_KEYS[kind] = material.generate(kind[1])
    return pooled


def bootstrap(manager: KeyManager, environment: Environment) -> list[ManagedKey]:
    """Development and tests: create and activate every required key that is missing."""
    created = []
    for kind in manager.policy.required:
        if manager.active_row(*kind) is not None:
            continue
        row = manager.provision(
            *kind, reason=BOOTSTRAP, private_key=_bootstrap_key(kind, environment)
        )
        if row is not None:
            log.info("created the development key %s", _label(row))
            created.append(row)
    return created


def tables_exist() -> bool:
    names = set(inspect(db.engine).get_table_names())
    return {"certs_key", "certs_keyring"} <= names
