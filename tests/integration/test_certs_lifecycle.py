"""Key lifecycle on both storage backends: every transition, every refusal, the audit trail.

The app of the ``app`` fixture runs in the test environment, so its start has created the
required keys (development bootstrap); the tests move them on with the frozen clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import wsgi
from certs import KeyAlgorithm, KeyPurpose, KeyState
from certs.lifecycle import Actor, KeyManager
from certs.models import ManagedKey
from certs.types import KeyNotFound, TransitionRefused, WeakKey
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore

ADMIN = Actor("00000000-0000-4000-8000-00000000a0a0", "192.0.2.7", "web")
OIDC_RSA = (KeyPurpose.OIDC_SIGNING, KeyAlgorithm.RSA_3072)
LEAD = timedelta(seconds=Settings().certs_publication_lead_time)
RETENTION = timedelta(seconds=Settings().certs_max_token_lifetime)


@pytest.fixture
def keys(app: Flask) -> Iterator[KeyManager]:
    with app.app_context():
        yield app.extensions["certs"]


@contextmanager
def another_app(
    settings: Settings, clock: FrozenClock, store: KeyValueStore, **changes: Any
) -> Iterator[Flask]:
    """A second process on the same database (own keyring, own engine)."""
    other = wsgi.create_app(replace(settings, **changes), clock=clock, store=store)
    try:
        with other.app_context():
            yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def key_events() -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.event.like("key.%")).order_by(AuditRecord.id)
    return list(db.session.scalars(query))


def count_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ManagedKey)) or 0


def state_of(key_id: str) -> str:
    db.session.expire_all()
    row = db.session.get(ManagedKey, key_id)
    return row.state if row else "removed"


def test_development_start_creates_every_required_key_once(
    keys: KeyManager, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    for purpose, algorithm in keys.policy.required:
        row = keys.active_row(purpose, algorithm)
        assert row is not None and row.origin == "generated"
    events = key_events()
    assert {e.event for e in events} == {"key.created", "key.activated"}
    assert all(e.details["reason"] == "development bootstrap" for e in events)
    before = count_rows()
    with another_app(settings, clock, store):
        assert count_rows() == before


def test_a_new_key_is_published_first_and_does_not_sign(keys: KeyManager) -> None:
    active = keys.active_row(*OIDC_RSA)
    assert active is not None
    row = keys.create(*OIDC_RSA, ADMIN)
    assert row.state == KeyState.NEXT.value
    kids = [k["kid"] for k in keys.keyring.jwks()["keys"]]
    assert row.kid in kids and active.kid in kids
    token = keys.keyring.sign_jwt(KeyPurpose.OIDC_SIGNING, {"exp": keys.clock.now() + 60})
    assert keys.keyring.decode_jwt(KeyPurpose.OIDC_SIGNING, token, audience=None, issuer=None)
    assert jwt.get_unverified_header(token)["kid"] == active.kid


def test_activation_waits_for_the_lead_time(keys: KeyManager, clock: FrozenClock) -> None:
    old = keys.active_row(*OIDC_RSA)
    assert old is not None
    row = keys.create(*OIDC_RSA, ADMIN)
    events = len(key_events())
    clock.advance(LEAD.total_seconds() - 1)
    with pytest.raises(TransitionRefused, match="frühestens"):
        keys.activate(row.id, ADMIN)
    assert (state_of(row.id), state_of(old.id)) == ("next", "active")
    assert len(key_events()) == events
    clock.advance(1)
    keys.activate(row.id, ADMIN)
    assert (state_of(row.id), state_of(old.id)) == ("active", "retired")
    retired = db.session.get(ManagedKey, old.id)
    assert retired is not None and retired.retired_at == keys.now()
    assert [e.event for e in key_events()[events:]] == ["key.retired", "key.activated"]


def test_forced_activation_before_the_lead_time(keys: KeyManager) -> None:
    old = keys.active_row(*OIDC_RSA)
    assert old is not None
    row = keys.create(*OIDC_RSA, ADMIN)
    keys.activate(row.id, ADMIN, force=True, reason="Schlüssel kompromittiert")
    assert (state_of(row.id), state_of(old.id)) == ("active", "retired")
    activated = key_events()[-1]
    assert activated.event == "key.activated"
    assert activated.details["forced"] is True
    assert activated.details["reason"] == "Schlüssel kompromittiert"
    assert activated.actor_id == ADMIN.citizen_id and activated.client_address == "192.0.2.7"


def test_the_first_key_of_a_kind_signs_at_once(keys: KeyManager) -> None:
    kind = (KeyPurpose.EID_WSSEC, KeyAlgorithm.RSA_3072)
    assert keys.active_row(*kind) is None
    row = keys.create(*kind, ADMIN)
    keys.activate(row.id, ADMIN)
    assert state_of(row.id) == "active"
    ec = keys.create(KeyPurpose.EID_TLS, KeyAlgorithm.EC_P256, ADMIN, activate=True)
    assert state_of(ec.id) == "active"
    with pytest.raises(TransitionRefused):
        keys.create(*kind, ADMIN, activate=True)
    assert len(keys.next_rows(*kind)) == 0


def test_illegal_transitions_are_refused_and_change_nothing(
    keys: KeyManager, clock: FrozenClock
) -> None:
    active = keys.active_row(*OIDC_RSA)
    assert active is not None
    nxt = keys.create(*OIDC_RSA, ADMIN)
    events = len(key_events())
    with pytest.raises(TransitionRefused):
        keys.activate(active.id, ADMIN, force=True)
    with pytest.raises(TransitionRefused):
        keys.retire(nxt.id, ADMIN, force=True)
    with pytest.raises(TransitionRefused, match="aktiver Schlüssel kann nicht entfernt"):
        keys.remove(active.id, ADMIN, force=True)
    clock.advance(LEAD.total_seconds())
    keys.activate(nxt.id, ADMIN)
    events = len(key_events())
    with pytest.raises(TransitionRefused):
        keys.activate(active.id, ADMIN, force=True)  # retired never comes back
    with pytest.raises(TransitionRefused):
        keys.retire(active.id, ADMIN, force=True)
    assert (state_of(active.id), state_of(nxt.id)) == ("retired", "active")
    assert len(key_events()) == events


def test_retiring_the_last_active_key_needs_force(keys: KeyManager) -> None:
    active = keys.active_row(*OIDC_RSA)
    assert active is not None
    with pytest.raises(TransitionRefused, match="Nachfolger"):
        keys.retire(active.id, ADMIN)
    assert state_of(active.id) == "active"
    keys.retire(active.id, ADMIN, force=True)
    assert state_of(active.id) == "retired"
    assert keys.active_row(*OIDC_RSA) is None


def test_removal_waits_until_everything_signed_has_expired(
    keys: KeyManager, clock: FrozenClock
) -> None:
    old = keys.active_row(*OIDC_RSA)
    assert old is not None
    keys.rollover(*OIDC_RSA, ADMIN, reason="Test")
    clock.advance(RETENTION.total_seconds() - 1)
    with pytest.raises(TransitionRefused, match="frühestens"):
        keys.remove(old.id, ADMIN)
    assert state_of(old.id) == "retired"
    clock.advance(1)
    keys.remove(old.id, ADMIN)
    assert state_of(old.id) == "removed"
    removed = key_events()[-1]
    assert removed.event == "key.removed" and removed.details["was"] == "retired"


def test_forced_removal_and_removal_of_a_next_key(keys: KeyManager) -> None:
    old = keys.active_row(*OIDC_RSA)
    assert old is not None
    keys.rollover(*OIDC_RSA, ADMIN, reason="kompromittiert")
    keys.remove(old.id, ADMIN, force=True, reason="kompromittiert")
    assert state_of(old.id) == "removed"
    spare = keys.create(*OIDC_RSA, ADMIN)
    keys.remove(spare.id, ADMIN)
    assert state_of(spare.id) == "removed"


def test_forced_rollover_can_unpublish_the_old_key_at_once(keys: KeyManager) -> None:
    old = keys.active_row(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072)
    assert old is not None
    events = len(key_events())
    new = keys.rollover(
        KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, ADMIN, reason="Leak", remove_old=True
    )
    assert (state_of(new.id), state_of(old.id)) == ("active", "removed")
    assert [e.event for e in key_events()[events:]] == [
        "key.created",
        "key.retired",
        "key.activated",
        "key.removed",
    ]
    with pytest.raises(TransitionRefused, match="Grund"):
        keys.rollover(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, ADMIN, reason=" ")


def test_unknown_keys_and_disallowed_kinds(keys: KeyManager) -> None:
    rows = count_rows()
    with pytest.raises(KeyNotFound):
        keys.activate("no-such-key", ADMIN)
    with pytest.raises(WeakKey):
        keys.create(KeyPurpose.SAML_ENCRYPTION, KeyAlgorithm.EC_P256, ADMIN)
    assert count_rows() == rows


def test_the_database_holds_one_active_key_per_purpose_and_algorithm(keys: KeyManager) -> None:
    row = keys.create(*OIDC_RSA, ADMIN)
    with pytest.raises(IntegrityError):
        db.session.execute(update(ManagedKey).where(ManagedKey.id == row.id).values(state="active"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(ManagedKey).where(ManagedKey.id == row.id).values(state="gone"))
        db.session.flush()
    db.session.rollback()
    assert state_of(row.id) == "next"


def test_self_signed_certificates_for_saml_and_eid_not_for_oidc(keys: KeyManager) -> None:
    for purpose, algorithm in keys.policy.required:
        row = keys.active_row(purpose, algorithm)
        assert row is not None
        has_cert = purpose is not KeyPurpose.OIDC_SIGNING
        assert (row.certificate is not None) == has_cert
        assert row.not_after - row.not_before >= timedelta(days=365)


def test_scheduled_rotation_publishes_switches_and_removes(
    keys: KeyManager, clock: FrozenClock
) -> None:
    from certs.rotation import rotate

    assert rotate(keys).actions == []
    old = keys.active_row(*OIDC_RSA)
    assert old is not None
    until_window = old.not_after - keys.policy.rollover_window - keys.now()
    clock.advance(until_window.total_seconds() + 1)
    report = rotate(keys)
    successors = keys.next_rows(*OIDC_RSA)
    assert len(successors) == 1 and any("published" in a for a in report.actions)
    assert rotate(keys).actions == []  # waiting for the lead time; nothing twice
    clock.advance(LEAD.total_seconds())
    rotate(keys)
    assert (state_of(successors[0].id), state_of(old.id)) == ("active", "retired")
    clock.advance(RETENTION.total_seconds())
    report = rotate(keys)
    assert state_of(old.id) == "removed"
    assert any("removed" in a for a in report.actions)
    scheduled = [e for e in key_events() if e.details.get("reason") == "scheduled rollover"]
    assert {e.event for e in scheduled} >= {
        "key.created",
        "key.activated",
        "key.retired",
        "key.removed",
    }
    assert all(e.actor_id is None for e in scheduled)


def test_rotation_warns_before_expiry_and_after(keys: KeyManager, clock: FrozenClock) -> None:
    from certs.rotation import expiry_warnings

    assert expiry_warnings(keys) == []
    active = keys.active_row(*OIDC_RSA)
    assert active is not None
    to_warning = active.not_after - keys.policy.warning_window - keys.now()
    clock.advance(to_warning.total_seconds() + 1)
    assert any("expires" in w for w in expiry_warnings(keys))
    clock.advance(keys.policy.warning_window.total_seconds())
    assert any("EXPIRED" in w for w in expiry_warnings(keys))


def kids(app: Flask) -> set[str]:
    return {k["kid"] for k in app.extensions["keyring"].jwks()["keys"]}


def test_other_processes_see_a_change_when_they_next_check(
    keys: KeyManager, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    with (
        another_app(settings, clock, store, certs_cache_check_seconds=0) as eager,
        another_app(settings, clock, store, certs_cache_check_seconds=60) as lazy,
    ):
        before = kids(lazy)
        assert kids(eager) == before
        row = eager.extensions["certs"].create(*OIDC_RSA, ADMIN)
        assert row.kid in kids(eager)
        assert kids(lazy) == before  # snapshot kept until the check interval has passed
        clock.advance(60)
        assert kids(lazy) == before | {row.kid}


def test_private_keys_are_decrypted_once_per_process(
    keys: KeyManager, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    with another_app(settings, clock, store) as fresh:
        manager: KeyManager = fresh.extensions["certs"]
        calls: list[str] = []
        original = manager.kek.unwrap

        def counting(key_id: str, *args: Any) -> bytes:
            calls.append(key_id)
            return original(key_id, *args)

        manager.kek.unwrap = counting  # type: ignore[method-assign,assignment]
        for _ in range(5):
            manager.keyring.sign_jwt(KeyPurpose.OIDC_SIGNING, {"exp": clock.now() + 60})
            manager.keyring.sign_jwt(
                KeyPurpose.OIDC_SIGNING, {"exp": clock.now() + 60}, alg="ES256"
            )
        manager.create(*OIDC_RSA, ADMIN)  # a lifecycle change reloads the snapshot …
        manager.keyring.sign_jwt(KeyPurpose.OIDC_SIGNING, {"exp": clock.now() + 60})
        assert len(calls) == 2 and len(set(calls)) == 2  # … but keeps the loaded keys


def test_kek_rotation_rewraps_every_key(
    keys: KeyManager, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> None:
    import base64

    from certs.exports import rewrap_all
    from certs.kek import DEV_KEK_FILE
    from certs.types import KeyUnavailable

    old_kek = (settings.var_dir / DEV_KEK_FILE).read_text().strip()
    new_kek = base64.b64encode(bytes(range(100, 132))).decode()
    claims = {"exp": clock.now() + 60}
    with (
        another_app(settings, clock, store, certs_kek=new_kek) as wrong,
        pytest.raises(KeyUnavailable),
    ):
        wrong.extensions["keyring"].sign_jwt(KeyPurpose.OIDC_SIGNING, claims)
    with another_app(settings, clock, store, certs_kek=new_kek, certs_kek_previous=old_kek) as both:
        both.extensions["keyring"].sign_jwt(KeyPurpose.OIDC_SIGNING, claims)
        assert rewrap_all(both.extensions["certs"], ADMIN) == count_rows()
        assert rewrap_all(both.extensions["certs"], ADMIN) == 0
    with another_app(settings, clock, store, certs_kek=new_kek) as rotated:
        rotated.extensions["keyring"].sign_jwt(KeyPurpose.OIDC_SIGNING, claims)
        assert {e.event for e in key_events()} >= {"key.rewrapped"}
