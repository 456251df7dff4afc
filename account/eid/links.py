"""The cards linked to Bürgerkonten (table ``eid_link``): one card belongs to at most one
account (unique digest); an account may hold several. Never linked automatically by name,
date of birth or e-mail: only after a card reading in a browser where the account is logged in
(or that registers it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from account.eid.card import CardReading
from account.models import Citizen, EidLink
from core.clock import to_datetime
from core.db import db


class LinkedElsewhereError(Exception):
    """The card is linked to another account (found at insert time: a concurrent link)."""


def link_for(reading: CardReading) -> EidLink | None:
    return db.session.scalar(
        select(EidLink).where(EidLink.restricted_id_digest == reading.restricted_id_digest)
    )


def add(citizen: Citizen, reading: CardReading, now: float) -> EidLink:
    """Link the card to ``citizen`` in the current transaction; :class:`LinkedElsewhereError`
    (after a rollback of it) when another transaction linked it first."""
    link = EidLink(
        citizen_id=citizen.id,
        restricted_id_digest=reading.restricted_id_digest,
        linked_at=to_datetime(now),
        last_used_at=to_datetime(now),
    )
    describe(link, reading)
    db.session.add(link)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise LinkedElsewhereError from None
    return link


def used(link: EidLink, reading: CardReading, now: float) -> None:
    link.last_used_at = to_datetime(now)
    describe(link, reading)


def describe(link: EidLink, reading: CardReading) -> None:
    """What helps the citizen recognise the card (only what this reading delivered)."""
    link.document_type = reading.document_type or link.document_type
    link.issuing_state = reading.issuing_state or link.issuing_state
    link.valid_until = reading.valid_until or link.valid_until


def of_citizen(citizen: Citizen, link_id: int) -> EidLink | None:
    link = db.session.get(EidLink, link_id)
    return link if link is not None and link.citizen_id == citizen.id else None
