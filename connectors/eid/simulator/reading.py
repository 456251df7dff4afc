"""Reading a test card for one session: which fields the citizen released, what the chip has,
the verifications, the level reached (TR-03130-1 §3.3.4–3.3.12 semantics)."""

from __future__ import annotations

import calendar
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from connectors.eid.fields import (
    FUNCTIONS,
    EidType,
    EidTypeSelection,
    Permission,
    Requirement,
    fields_for,
)
from connectors.eid.messages import UseIdRequest
from connectors.eid.outcomes import Outcome
from connectors.eid.results import LEVEL_URIS, Level
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.cards import TestCard
from connectors.eid.simulator.pseudonym import restricted_id

#: The level each eID type reaches (TR-03130-1 v2.4.0 §3.3.12; Smart-eID SE endorsed is
#: "substantiell").
TYPE_LEVEL = {
    EidType.CARD_CERTIFIED: Level.HIGH,
    EidType.SE_CERTIFIED: Level.HIGH,
    EidType.SE_ENDORSED: Level.SUBSTANTIAL,
    EidType.HW_KEYSTORE: Level.SUBSTANTIAL,
}
_ORDER = (Level.UNDEFINED, Level.LOW, Level.SUBSTANTIAL, Level.HIGH)


@dataclass(frozen=True)
class CardReading:
    card: TestCard
    permissions: dict[str, Permission]
    restricted_id: str | None
    eid_type: EidType
    level_uri: str
    fulfils_age: bool | None = None
    fulfils_place: bool | None = None
    released: frozenset[str] = field(default_factory=frozenset)


def requested(request: UseIdRequest) -> dict[str, Requirement]:
    return {k: v for k, v in request.operations.items() if v is not Requirement.PROHIBITED}


def denial(request: UseIdRequest, card: TestCard, eid_type: EidType, today: date) -> Outcome | None:
    """invalidDocument for an expired card; deniedDocument for a refused type or level."""
    if card.expired(today):
        return Outcome.INVALID_DOCUMENT
    if request.eid_types.get(eid_type) is EidTypeSelection.DENIED:
        return Outcome.DENIED_DOCUMENT
    wanted = LEVEL_URIS.get(request.level_of_assurance or "", Level.UNDEFINED)
    if _ORDER.index(TYPE_LEVEL[eid_type]) < _ORDER.index(wanted):
        return Outcome.DENIED_DOCUMENT
    return None


def read_card(
    request: UseIdRequest,
    version: InterfaceVersion,
    card: TestCard,
    generation: int,
    deselected: Collection[str],
    eid_type: EidType,
    sector: str,
    today: date,
) -> CardReading:
    permissions: dict[str, Permission] = {}
    for name in fields_for(version):
        wanted = request.operations.get(name, Requirement.PROHIBITED)
        if wanted is Requirement.PROHIBITED or (
            wanted is Requirement.ALLOWED and name in deselected
        ):
            permissions[name] = Permission.PROHIBITED
        elif name not in FUNCTIONS | {"RestrictedID"} and card.value(name) is None:
            permissions[name] = Permission.NOTONCHIP
        else:
            permissions[name] = Permission.ALLOWED
    allowed = {n for n, p in permissions.items() if p is Permission.ALLOWED}
    return CardReading(
        card=card,
        permissions=permissions,
        restricted_id=(
            restricted_id(card.id, generation, sector) if "RestrictedID" in allowed else None
        ),
        eid_type=eid_type,
        level_uri=_level_uri(request, eid_type),
        fulfils_age=(
            _age_ok(card, request.age_verification or 0, today)
            if "AgeVerification" in allowed
            else None
        ),
        fulfils_place=(
            (card.community_id or "").startswith(request.place_verification or "-")
            if "PlaceVerification" in allowed
            else None
        ),
        released=frozenset(allowed - FUNCTIONS - {"RestrictedID"}),
    )


def _level_uri(request: UseIdRequest, eid_type: EidType) -> str:
    level = TYPE_LEVEL[eid_type]
    eidas = (request.level_of_assurance or "").startswith("http://eidas.europa.eu/")
    for uri, value in LEVEL_URIS.items():
        if value is level and uri.startswith("http://eidas.europa.eu/") is eidas:
            return uri
    return "http://bsi.bund.de/eID/LoA/hoch"


def _age_ok(card: TestCard, age: int, today: date) -> bool:
    """Unknown parts of the birth date count as late as possible (never too young wrongly
    passes)."""
    text = card.date_of_birth
    year = int(text[0:4])
    month = int(text[4:6]) if text[4:6].strip() else 12
    day = int(text[6:8]) if text[6:8].strip() else calendar.monthrange(year, month)[1]
    born = date(year, month, day)
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:  # 29 February
        birthday = date(born.year + age, 3, 1)
    return birthday <= today
