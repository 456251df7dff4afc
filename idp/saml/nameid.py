"""NameIDs (SAML Core §8.3): persistent pairwise per SP (stored in SQL, so identical in every
process and after restarts), transient (random per response, remembered in the store for
logout), and the e-mail address only for SPs that are allowed it.

``SPNameQualifier`` is always the requesting SP's own entityID: a request that names another
SP's entityID (or an affiliation, which we do not support) is refused with InvalidNameIDPolicy,
so no SP can obtain the pseudonym another SP knows.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import to_datetime
from core.db import db
from core.store.base import KeyValueStore, dumps, loads
from idp.saml.models import PairwiseNameId, ServiceProvider

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
FORMATS = {"persistent": PERSISTENT, "transient": TRANSIENT, "email": EMAIL}
_BY_URI = {uri: name for name, uri in FORMATS.items()}
_TRANSIENT_KEY = "saml-transient:"


class InvalidPolicy(Exception):  # noqa: N818
    """The request's NameIDPolicy cannot be honoured (SAML Core §3.4.1.1)."""


def choose_format(sp: ServiceProvider, requested: str | None, sp_name_qualifier: str | None) -> str:
    """The short format name to issue (``persistent``, ``transient``, ``email``)."""
    if sp_name_qualifier and sp_name_qualifier != sp.entity_id:
        raise InvalidPolicy("SPNameQualifier other than the SP itself")
    allowed = list(sp.name_id_formats)
    if requested and requested != UNSPECIFIED:
        name = _BY_URI.get(requested)
        if name is None or name not in allowed:
            raise InvalidPolicy("format not allowed")
        return name
    return allowed[0]


def persistent(sp: ServiceProvider, citizen_id: str, now: float) -> str:
    """The stored pairwise pseudonym, created on first use (concurrent creation: one wins)."""
    query = select(PairwiseNameId.value).where(
        PairwiseNameId.sp_id == sp.id, PairwiseNameId.citizen_id == citizen_id
    )
    value = db.session.scalar(query)
    if value is not None:
        return value
    entry = PairwiseNameId(
        sp_id=sp.id,
        citizen_id=citizen_id,
        value=secrets.token_urlsafe(32),
        created_at=to_datetime(now),
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        value = db.session.scalar(query)
        if value is None:
            raise
        return value
    return entry.value


def transient(store: KeyValueStore, sp: ServiceProvider, citizen_id: str, ttl: int) -> str:
    value = "_" + secrets.token_hex(20)
    store.set(_TRANSIENT_KEY + value, dumps({"sp": sp.id, "citizen": citizen_id}), ttl)
    return value


def citizen_of(store: KeyValueStore, sp: ServiceProvider, fmt: str, value: str) -> str | None:
    """Who a NameID we issued to ``sp`` stands for (for logout); None when unknown."""
    if fmt == PERSISTENT:
        query = select(PairwiseNameId.citizen_id).where(
            PairwiseNameId.sp_id == sp.id, PairwiseNameId.value == value
        )
        return db.session.scalar(query)
    if fmt == TRANSIENT:
        data = loads(store.get(_TRANSIENT_KEY + value))
        if isinstance(data, dict) and data.get("sp") == sp.id:
            return str(data["citizen"])
    return None
