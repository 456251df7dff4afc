"""Refresh tokens (RFC 6749 §6) in SQL: rotated on every use, reuse revokes the family.

RFC 9700 §4.14.2: each use marks the presented token used (one atomic ``UPDATE … WHERE
used_at IS NULL``, so of two concurrent uses one wins) and issues the next token of the same
family with the same absolute expiry. Presenting a used token means it was copied: the whole
family is revoked and the event audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db, new_id
from idp.oidc.config import oidc
from idp.oidc.grants import Grant
from idp.oidc.models import OidcRefreshToken

MAX_LENGTH = 128


class RefreshRefused(Exception):  # noqa: N818  (an outcome, answered as invalid_grant)
    pass


@dataclass(frozen=True)
class Issued:
    token: str
    family_id: str


def issue(grant: Grant, family_id: str | None = None, expires_at: datetime | None = None) -> Issued:
    """A new token (the caller commits); a new family unless rotating within one."""
    config = oidc()
    now = config.now()
    token = secrets.token_urlsafe(32)
    family = family_id or new_id()
    db.session.add(
        OidcRefreshToken(
            token_hash=config.keyed_hash(token),
            family_id=family,
            client_id=grant.client_id,
            citizen_id=grant.citizen_id,
            session_id=grant.session_id,
            grant=grant.to_dict(),
            created_at=to_datetime(now),
            expires_at=expires_at or to_datetime(now + config.settings.oidc_refresh_token_ttl),
        )
    )
    return Issued(token, family)


def find(token: str) -> OidcRefreshToken | None:
    if not token or len(token) > MAX_LENGTH:
        return None
    return db.session.scalar(
        select(OidcRefreshToken).where(OidcRefreshToken.token_hash == oidc().keyed_hash(token))
    )


def is_active(row: OidcRefreshToken) -> bool:
    now = to_datetime(oidc().now())
    return row.used_at is None and row.revoked_at is None and row.expires_at > now


def rotate(token: str, client_id: str) -> tuple[Grant, Issued]:
    """Use ``token`` once; raises :class:`RefreshRefused` (after revoking on reuse)."""
    row = find(token)
    if row is None or row.client_id != client_id:
        raise RefreshRefused("unknown refresh token")
    now = to_datetime(oidc().now())
    if row.revoked_at is not None or row.expires_at <= now:
        raise RefreshRefused("refresh token revoked or expired")
    taken = db.session.execute(
        update(OidcRefreshToken)
        .where(
            OidcRefreshToken.id == row.id,
            OidcRefreshToken.used_at.is_(None),
            OidcRefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        reuse_detected(row.family_id, row.client_id, row.citizen_id)
        raise RefreshRefused("refresh token already used")
    grant = Grant.from_dict(row.grant)
    issued = issue(grant, row.family_id, row.expires_at)
    db.session.commit()
    return grant, issued


def reuse_detected(family_id: str, client_id: str, citizen_id: str) -> None:
    revoke_family(family_id)
    audit.record(
        AuditEvent.OIDC_TOKEN_REUSE_DETECTED,
        now=oidc().now(),
        citizen_id=citizen_id,
        client_id=client_id,
        kind="refresh_token",
    )
    db.session.commit()


def family_live(family_id: str) -> bool:
    """True while the family has a token not revoked (used ones count: rotation, not
    revocation). Its access tokens live only as long (RFC 7009 §2.1): revoking the family —
    by the client, by reuse detection, by logout of its SSO session (Back-Channel Logout 1.0
    §2.7) or by the citizen withdrawing consent — ends them too."""
    found = db.session.scalar(
        select(OidcRefreshToken.id)
        .where(OidcRefreshToken.family_id == family_id, OidcRefreshToken.revoked_at.is_(None))
        .limit(1)
    )
    return found is not None


def revoke_family(family_id: str) -> None:
    _revoke(OidcRefreshToken.family_id == family_id)


def revoke_for_session(session_id: str) -> None:
    _revoke(OidcRefreshToken.session_id == session_id)


def revoke_for(citizen_id: str, client_id: str) -> None:
    _revoke(OidcRefreshToken.citizen_id == citizen_id, OidcRefreshToken.client_id == client_id)


def _revoke(*conditions: object) -> None:
    """Mark revoked (the caller commits)."""
    db.session.execute(
        update(OidcRefreshToken)
        .where(*conditions, OidcRefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=to_datetime(oidc().now()))
    )
