"""Consent per citizen and relying party: the scopes and attributes the citizen allowed."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db
from idp.oidc.config import oidc
from idp.oidc.models import OidcClient, OidcConsent


def find(citizen_id: str, client_id: str) -> OidcConsent | None:
    return db.session.scalar(
        select(OidcConsent).where(
            OidcConsent.citizen_id == citizen_id, OidcConsent.client_id == client_id
        )
    )


def covers(client: OidcClient, citizen_id: str, scopes: list[str], attributes: set[str]) -> bool:
    """True when no question is needed: a first-party client, or all of it allowed before."""
    if client.consent == "skip":
        return True
    found = find(citizen_id, client.client_id)
    if found is None:
        return False
    return set(scopes) <= set(found.scopes) and attributes <= set(found.claims)


def grant(citizen_id: str, client_id: str, scopes: list[str], attributes: set[str]) -> None:
    """Record (or widen) the consent; one row per citizen and client."""
    now = oidc().now()
    found = find(citizen_id, client_id)
    if found is None:
        found = OidcConsent(citizen_id=citizen_id, client_id=client_id, scopes=[], claims=[])
        db.session.add(found)
    found.scopes = sorted(set(found.scopes) | set(scopes))
    found.claims = sorted(set(found.claims) | attributes)
    found.granted_at = to_datetime(now)
    audit.record(
        AuditEvent.OIDC_CONSENT_GRANTED, now=now, citizen_id=citizen_id, client_id=client_id
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same consent given twice at once: the other one won
        db.session.rollback()


def of_citizen(citizen_id: str) -> list[OidcConsent]:
    return list(
        db.session.scalars(
            select(OidcConsent)
            .where(OidcConsent.citizen_id == citizen_id)
            .order_by(OidcConsent.granted_at.desc())
        )
    )


def revoke(citizen_id: str, client_id: str, client_address: str) -> bool:
    """Withdraw the consent; the caller also revokes the client's tokens for the citizen."""
    result = db.session.execute(
        delete(OidcConsent).where(
            OidcConsent.citizen_id == citizen_id, OidcConsent.client_id == client_id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    audit.record(
        AuditEvent.OIDC_CONSENT_REVOKED,
        now=oidc().now(),
        citizen_id=citizen_id,
        client_address=client_address,
        client_id=client_id,
    )
    return True
