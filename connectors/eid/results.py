"""The connector's own result types: each field as the card (TR-03130-1 §3.3.4) has it.

``account/`` translates these into profile values; nothing here is normalised or re-cased:
``GivenNames`` is "ERIKA", the street keeps a leading blank, a DateString keeps its blanks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from connectors.eid.fields import EidType, Permission


@dataclass(frozen=True)
class GeneralDate:
    """``GeneralDateType``: DateString ``yyyymmdd`` (blanks for unknown parts) and DateValue
    only when the date is complete."""

    date_string: str
    date_value: date | None = None


@dataclass(frozen=True)
class StructuredPlace:
    city: str
    country: str
    street: str | None = None
    state: str | None = None
    zip_code: str | None = None


@dataclass(frozen=True)
class GeneralPlace:
    """``GeneralPlaceType``: exactly one of the three is set."""

    structured: StructuredPlace | None = None
    freetext: str | None = None
    no_place_info: str | None = None


@dataclass(frozen=True)
class RestrictedID:
    """The sector-specific pseudonym of the card (hex, upper case as sent)."""

    id: str
    id2: str | None = None


@dataclass(frozen=True)
class PersonalData:
    document_type: str | None = None
    issuing_state: str | None = None
    date_of_expiry: date | None = None
    given_names: str | None = None
    family_names: str | None = None
    artistic_name: str | None = None
    academic_title: str | None = None
    date_of_birth: GeneralDate | None = None
    place_of_birth: GeneralPlace | None = None
    nationality: str | None = None
    birth_name: str | None = None
    place_of_residence: GeneralPlace | None = None
    community_id: str | None = None
    residence_permit_i: str | None = None
    restricted_id: RestrictedID | None = None


@dataclass(frozen=True)
class OperationsAllowedByUser:
    """Per field ALLOWED | PROHIBITED | NOTONCHIP; a field the server did not list is PROHIBITED
    (the schema default)."""

    permissions: Mapping[str, Permission] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Permission:
        return self.permissions.get(name, Permission.PROHIBITED)


class Level(StrEnum):
    """Levels ordered from low to high (national and eIDAS URIs map onto them)."""

    UNDEFINED = "undefined"
    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"


LEVEL_URIS: dict[str, Level] = {
    "http://bsi.bund.de/eID/LoA/normal": Level.LOW,
    "http://bsi.bund.de/eID/LoA/substantiell": Level.SUBSTANTIAL,
    "http://bsi.bund.de/eID/LoA/hoch": Level.HIGH,
    "http://bsi.bund.de/eID/LoA/undefined": Level.UNDEFINED,
    "http://eidas.europa.eu/LoA/low": Level.LOW,
    "http://eidas.europa.eu/LoA/substantial": Level.SUBSTANTIAL,
    "http://eidas.europa.eu/LoA/high": Level.HIGH,
}

LOA_HOCH = "http://bsi.bund.de/eID/LoA/hoch"

_ORDER = (Level.UNDEFINED, Level.LOW, Level.SUBSTANTIAL, Level.HIGH)


@dataclass(frozen=True)
class LevelOfAssuranceResult:
    """``LevelOfAssuranceResult`` as sent (2.4.0), or None from a 2.0.2 server (where a card
    read always means ``hoch``: 2.0.2 knows only the physical card)."""

    uri: str | None

    @property
    def level(self) -> Level:
        if self.uri is None:
            return Level.HIGH
        return LEVEL_URIS.get(self.uri, Level.UNDEFINED)

    def meets(self, minimum: Level) -> bool:
        return _ORDER.index(self.level) >= _ORDER.index(minimum)


@dataclass(frozen=True)
class EidResult:
    """A successful getResult (ResultMajor ok)."""

    personal_data: PersonalData
    operations: OperationsAllowedByUser
    level_of_assurance: LevelOfAssuranceResult
    eid_type: EidType | None = None
    fulfils_age_verification: bool | None = None
    fulfils_place_verification: bool | None = None


@dataclass(frozen=True)
class ServerInfo:
    version_string: str
    major: int
    minor: int
    bugfix: int | None
    rights: Mapping[str, str]
