"""Registration with e-mail and password, and e-mail verification by a one-time link.

The answer to "register" is the same whether the address is new or taken (no enumeration);
the owner of a taken address gets a mail saying so instead of a verification link.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from account import mails
from account.models import Citizen, citizen_by_email, citizen_by_id
from account.services import services
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db

VERIFY = "verify-email"
RESEND_INTERVAL = 60


def register(email: str, password: str, locale: str, client_address: str) -> None:
    """Create an unverified account and mail the link (``email`` already normalised)."""
    s = services()
    existing = citizen_by_email(email)
    if existing is not None:
        s.hashing.hash(password)  # same work as a new registration: no timing difference
        if s.store.add(f"resend:{existing.id}", b"1", RESEND_INTERVAL):
            mails.already_registered(email, existing.preferred_locale)
        return
    now = s.clock.now()
    citizen = Citizen(
        email=email,
        password_hash=s.hashing.hash(password),
        created_at=to_datetime(now),
        preferred_locale=locale,
    )
    db.session.add(citizen)
    try:
        db.session.flush()
        audit.record(
            AuditEvent.ACCOUNT_REGISTERED,
            now=now,
            citizen_id=citizen.id,
            client_address=client_address,
        )
        db.session.commit()
    except IntegrityError:
        # A concurrent registration of the same address won: answer as for a taken address.
        db.session.rollback()
        return
    send_verification(citizen)


def send_verification(citizen: Citizen) -> None:
    s = services()
    token = s.links.issue(
        VERIFY, {"citizen": citizen.id, "email": citizen.email}, s.settings.email_verification_ttl
    )
    mails.verification(citizen.email, token, citizen.preferred_locale)


def resend(email: str) -> None:
    """Send a new link if the account exists and is unverified; at most once a minute."""
    citizen = citizen_by_email(email)
    if citizen is None or citizen.is_verified:
        return
    if services().store.add(f"resend:{citizen.id}", b"1", RESEND_INTERVAL):
        send_verification(citizen)


def link_is_valid(token: str) -> bool:
    return services().links.peek(VERIFY, token) is not None


def verify_email(token: str, client_address: str) -> Citizen | None:
    """Use the link; None when unknown, expired, used, or the address changed since."""
    s = services()
    payload = s.links.redeem(VERIFY, token)
    if payload is None:
        return None
    citizen = citizen_by_id(str(payload["citizen"]))
    if citizen is None or citizen.email != payload["email"]:
        return None
    if not citizen.is_verified:
        now = s.clock.now()
        citizen.email_verified_at = to_datetime(now)
        audit.record(
            AuditEvent.ACCOUNT_EMAIL_VERIFIED,
            now=now,
            citizen_id=citizen.id,
            client_address=client_address,
        )
        db.session.commit()
    return citizen
