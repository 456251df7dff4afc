"""What a card reading does to the Bürgerkonto (issue 6), in one transaction each:

* log in: the account linked to the card gets a new SSO session, level as read (high for an
  ID card), method ``eid``; the card values refresh the profile;
* register: a new account with the card's values and its link, an e-mail address to verify
  and an optional password, logged in at once;
* link: the logged-in account gets the card (refused when the card belongs to another account
  or the card's date of birth differs from the one read from an earlier card of the account);
* step up: the logged-in account's session is raised by a card linked to *this* account; the
  card of another account is refused and nothing is merged;
* unlink: never the last card of an account without a password (it could not log in again).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from account import mails, registration
from account.attributes import Provenance
from account.eid import links
from account.eid.card import CardReading
from account.eid.refresh import Change, apply
from account.identity import Method
from account.models import Citizen, citizen_by_email
from account.services import services
from account.sso import SsoSession
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db

#: How recent a card login must be to stand in for the password of an account without one
#: (e-mail change, deletion).
CARD_CONFIRMATION_SECONDS = 10 * 60


def card_confirms(sso: SsoSession) -> bool:
    """Whether this session's latest login was one with the ID card, recently enough."""
    recent = services().clock.now() - sso.auth_time <= CARD_CONFIRMATION_SECONDS
    return Method.EID.value in sso.methods and recent


class Refusal(StrEnum):
    #: The card is linked to another Bürgerkonto.
    OTHER_ACCOUNT = "other-account"
    #: The card's date of birth differs from the account's earlier card.
    OTHER_PERSON = "other-person"
    #: Registration: the card got an account meanwhile.
    ALREADY_REGISTERED = "already-registered"


@dataclass(frozen=True)
class LoggedIn:
    citizen: Citizen
    sso: SsoSession
    changes: list[Change]


@dataclass(frozen=True)
class Raised:
    changes: list[Change]
    linked: bool = False


@dataclass(frozen=True)
class NotLinked:
    pass


@dataclass(frozen=True)
class EmailTaken:
    pass


class Unlinked(StrEnum):
    DONE = "done"
    NOT_FOUND = "not-found"
    LAST_CARD = "last-card"


def _now() -> float:
    return services().clock.now()


def _record_changes(citizen: Citizen, changes: list[Change], client_address: str) -> None:
    if changes:
        audit.record(
            AuditEvent.PROFILE_EID_REFRESHED,
            now=_now(),
            citizen_id=citizen.id,
            client_address=client_address,
            attributes=",".join(c.attribute for c in changes),
        )


def _refuse(citizen: Citizen, why: Refusal, client_address: str) -> Refusal:
    audit.record(
        AuditEvent.EID_REFUSED,
        now=_now(),
        citizen_id=citizen.id,
        client_address=client_address,
        reason=why.value,
    )
    db.session.commit()
    return why


def log_in(reading: CardReading, client_address: str, user_agent: str) -> LoggedIn | NotLinked:
    """The account of the card gets a new SSO session (the card is the whole credential)."""
    link = links.link_for(reading)
    if link is None:
        return NotLinked()
    now, citizen = _now(), link.citizen
    links.used(link, reading, now)
    changes = apply(citizen, reading, now)
    citizen.last_login_at = to_datetime(now)
    sso = services().sessions.start(
        citizen.id, {Method.EID}, reading.level, user_agent, client_address
    )
    audit.record(
        AuditEvent.LOGIN_EID_SUCCEEDED,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        method=Method.EID.value,
        level=reading.level.value,
    )
    _record_changes(citizen, changes, client_address)
    db.session.commit()
    return LoggedIn(citizen, sso, changes)


def step_up(
    citizen: Citizen, sso: SsoSession, reading: CardReading, client_address: str
) -> Raised | Refusal | NotLinked:
    """Raise this session with a card linked to this account; another account's card is
    refused (the session stays as it was)."""
    link = links.link_for(reading)
    if link is None:
        return NotLinked()
    if link.citizen_id != citizen.id:
        return _refuse(citizen, Refusal.OTHER_ACCOUNT, client_address)
    now = _now()
    links.used(link, reading, now)
    return _raise(citizen, sso, reading, client_address, linked=False)


def _raise(
    citizen: Citizen, sso: SsoSession, reading: CardReading, client_address: str, linked: bool
) -> Raised:
    now = _now()
    changes = apply(citizen, reading, now)
    citizen.last_login_at = to_datetime(now)
    services().sessions.raise_level(sso, Method.EID, reading.level)
    audit.record(
        AuditEvent.LOGIN_EID_STEP_UP,
        now=now,
        citizen_id=citizen.id,
        client_address=client_address,
        method=Method.EID.value,
        level=reading.level.value,
    )
    _record_changes(citizen, changes, client_address)
    db.session.commit()
    return Raised(changes, linked)


def _other_person(citizen: Citizen, reading: CardReading) -> bool:
    """A date of birth read from an earlier card that differs from this card's."""
    known = next(
        (
            v.value
            for v in citizen.profile_values
            if v.attribute == "date_of_birth" and v.provenance == Provenance.EID.value
        ),
        None,
    )
    read = reading.values.get("date_of_birth")
    return known is not None and read is not None and known != read


def link(
    citizen: Citizen, sso: SsoSession, reading: CardReading, client_address: str
) -> Raised | Refusal:
    """Link the card to the logged-in account; the card reading also raises the session."""
    found = links.link_for(reading)
    if found is not None and found.citizen_id != citizen.id:
        return _refuse(citizen, Refusal.OTHER_ACCOUNT, client_address)
    if found is not None:
        links.used(found, reading, _now())
        return _raise(citizen, sso, reading, client_address, linked=False)
    if _other_person(citizen, reading):
        return _refuse(citizen, Refusal.OTHER_PERSON, client_address)
    try:
        new = links.add(citizen, reading, _now())
    except links.LinkedElsewhereError:
        return _refuse(citizen, Refusal.OTHER_ACCOUNT, client_address)
    audit.record(
        AuditEvent.EID_LINKED,
        now=_now(),
        citizen_id=citizen.id,
        client_address=client_address,
        document_type=new.document_type,
    )
    raised = _raise(citizen, sso, reading, client_address, linked=True)
    if citizen.is_verified:
        mails.card_linked(citizen.email, citizen.preferred_locale)
    return raised


def register(
    reading: CardReading,
    email: str,
    password: str | None,
    locale: str,
    client_address: str,
    user_agent: str,
) -> LoggedIn | EmailTaken | Refusal:
    """A new account from the card; logged in at once, the e-mail address still to verify."""
    s = services()
    if links.link_for(reading) is not None:
        return Refusal.ALREADY_REGISTERED
    if citizen_by_email(email) is not None:
        return EmailTaken()
    now = _now()
    citizen = Citizen(
        email=email,
        password_hash=s.hashing.hash(password) if password else None,
        created_at=to_datetime(now),
        last_login_at=to_datetime(now),
        preferred_locale=locale,
    )
    db.session.add(citizen)
    try:
        db.session.flush()
    except IntegrityError:  # the address was taken concurrently
        db.session.rollback()
        return EmailTaken()
    try:
        new = links.add(citizen, reading, now)
    except links.LinkedElsewhereError:
        return Refusal.ALREADY_REGISTERED
    apply(citizen, reading, now)
    sso = s.sessions.start(citizen.id, {Method.EID}, reading.level, user_agent, client_address)
    for event, extra in (
        (AuditEvent.ACCOUNT_REGISTERED, {"method": Method.EID.value}),
        (AuditEvent.EID_LINKED, {"document_type": new.document_type}),
        (
            AuditEvent.LOGIN_EID_SUCCEEDED,
            {"method": Method.EID.value, "level": reading.level.value},
        ),
    ):
        audit.record(event, now=now, citizen_id=citizen.id, client_address=client_address, **extra)
    db.session.commit()
    registration.send_verification(citizen)
    return LoggedIn(citizen, sso, [])


def unlink(citizen: Citizen, link_id: int, client_address: str) -> Unlinked:
    found = links.of_citizen(citizen, link_id)
    if found is None:
        return Unlinked.NOT_FOUND
    if citizen.password_hash is None and len(citizen.eid_links) <= 1:
        return Unlinked.LAST_CARD
    citizen.eid_links.remove(found)
    audit.record(
        AuditEvent.EID_UNLINKED,
        now=_now(),
        citizen_id=citizen.id,
        client_address=client_address,
        document_type=found.document_type,
    )
    db.session.commit()
    if citizen.is_verified:
        mails.card_unlinked(citizen.email, citizen.preferred_locale)
    return Unlinked.DONE
