"""An ID-card reading as the Bürgerkonto keeps it (DESIGN.md "Attributes", TR-03130-1 §3.3.4).

The connector's :class:`~connectors.eid.results.EidResult` is translated into profile values of
the attribute table, each exactly as the card has it (upper case, ``ẞ``, a leading blank in a
street); how the citizen would write them is a matter of display (``account/spelling.py``).
A data group the citizen released but which is empty on the card (no birth name, no street,
"keine Wohnung in Deutschland") is *delivered without a value*: it removes an older card value.
Data groups not released (deselected, not on the chip) change nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from account.identity import Level
from connectors.eid import (
    EidResult,
    GeneralDate,
    GeneralPlace,
    InterfaceVersion,
    Permission,
    PersonalData,
    Requirement,
    UseIdRequest,
)
from connectors.eid import Level as EidLevel

#: What the hub asks of the card. RestrictedID finds the account; names and date of birth
#: make a new account's profile (and tell a card of another person at linking); the rest the
#: citizen may deselect in the AusweisApp.
REQUIRED = ("RestrictedID", "DocumentType", "GivenNames", "FamilyNames", "DateOfBirth")
OPTIONAL = (
    "IssuingState",
    "DateOfExpiry",
    "AcademicTitle",
    "BirthName",
    "PlaceOfBirth",
    "Nationality",
    "PlaceOfResidence",
    "CommunityID",
)
TRANSACTION_INFO = "Anmeldung am Bürgerportal"

#: Card data group -> the attributes it fills (PlaceOfResidence fills four).
GROUPS: dict[str, tuple[str, ...]] = {
    "GivenNames": ("given_names",),
    "FamilyNames": ("family_names",),
    "BirthName": ("birth_name",),
    "DateOfBirth": ("date_of_birth",),
    "PlaceOfBirth": ("place_of_birth",),
    "Nationality": ("nationality",),
    "AcademicTitle": ("academic_title",),
    "PlaceOfResidence": ("street_address", "postal_code", "locality", "country"),
    "CommunityID": ("community_id",),
    "DocumentType": ("document_type",),
}

_LEVELS = {
    EidLevel.LOW: Level.LOW,
    EidLevel.SUBSTANTIAL: Level.SUBSTANTIAL,
    EidLevel.HIGH: Level.HIGH,
}


def use_id_request(version: InterfaceVersion) -> UseIdRequest:
    """The useID request for the interface version (2.0.2 has no CommunityID)."""
    optional = [f for f in OPTIONAL if f != "CommunityID" or version is InterfaceVersion.V2_4_0]
    operations = {f: Requirement.REQUIRED for f in REQUIRED}
    operations.update({f: Requirement.ALLOWED for f in optional})
    return UseIdRequest(operations=operations, transaction_info=TRANSACTION_INFO)


def restricted_id_digest(restricted_id: str, sector: str) -> str:
    """What an eID link stores: SHA-256 over the sector and the RestrictedID (hex, any case).

    The RestrictedID is already a pseudonym of 256 bits for this sector only; the digest adds
    that the database holds no value the eID-Server or another system of the sector knows, and
    needs no secret (a key change would orphan every link)."""
    material = f"buergerportal eid link\0{sector}\0{restricted_id.strip().upper()}"
    return hashlib.sha256(material.encode()).hexdigest()


class UnusableReadingError(ValueError):
    """The result lacks what every use needs (RestrictedID, a level of ours)."""


@dataclass(frozen=True)
class CardReading:
    restricted_id_digest: str
    #: Attribute -> value as on the card, for the data groups delivered with a value.
    values: dict[str, str]
    #: Attributes whose data group was delivered (with or without a value).
    delivered: frozenset[str]
    read_on: date
    level: Level
    document_type: str | None
    issuing_state: str | None
    valid_until: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "digest": self.restricted_id_digest,
            "values": self.values,
            "delivered": sorted(self.delivered),
            "read_on": self.read_on.isoformat(),
            "level": self.level.value,
            "document_type": self.document_type,
            "issuing_state": self.issuing_state,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardReading:
        until = data.get("valid_until")
        return cls(
            restricted_id_digest=str(data["digest"]),
            values={str(k): str(v) for k, v in dict(data["values"]).items()},
            delivered=frozenset(str(a) for a in data["delivered"]),
            read_on=date.fromisoformat(str(data["read_on"])),
            level=Level(str(data["level"])),
            document_type=data.get("document_type"),
            issuing_state=data.get("issuing_state"),
            valid_until=date.fromisoformat(until) if until else None,
        )


def translate(result: EidResult, sector: str, today: date) -> CardReading:
    """Account's reading of a successful getResult; :class:`UnusableReadingError` if it has none."""
    data = result.personal_data
    if data.restricted_id is None or not data.restricted_id.id.strip():
        raise UnusableReadingError("no RestrictedID in the result")
    level = _LEVELS.get(result.level_of_assurance.level)
    if level is None:
        raise UnusableReadingError("no known level of assurance in the result")
    delivered = {
        attribute
        for group, attributes in GROUPS.items()
        if result.operations[group] is Permission.ALLOWED
        for attribute in attributes
    }
    values = {k: v for k, v in _values(data).items() if k in delivered and v}
    return CardReading(
        restricted_id_digest=restricted_id_digest(data.restricted_id.id, sector),
        values=values,
        delivered=frozenset(delivered),
        read_on=today,
        level=level,
        document_type=_allowed(result, "DocumentType", data.document_type),
        issuing_state=_allowed(result, "IssuingState", data.issuing_state),
        valid_until=data.date_of_expiry
        if result.operations["DateOfExpiry"] is Permission.ALLOWED
        else None,
    )


def _allowed(result: EidResult, group: str, value: str | None) -> str | None:
    return value if result.operations[group] is Permission.ALLOWED and value else None


def _values(data: PersonalData) -> dict[str, str | None]:
    residence = _residence(data.place_of_residence)
    return {
        "given_names": data.given_names,
        "family_names": data.family_names,
        "birth_name": data.birth_name,
        "date_of_birth": iso_date(data.date_of_birth),
        "place_of_birth": _place_name(data.place_of_birth),
        "nationality": data.nationality,
        "academic_title": data.academic_title,
        "community_id": data.community_id,
        "document_type": data.document_type,
        **residence,
    }


def iso_date(value: GeneralDate | None) -> str | None:
    """DateString ``yyyymmdd`` with blanks for unknown parts -> ISO 8601 of the known part
    (``1964-08-12``, ``1994-09``, ``1989``)."""
    if value is None:
        return None
    if value.date_value is not None:
        return value.date_value.isoformat()
    text = value.date_string
    year, month, day = text[0:4].strip(), text[4:6].strip(), text[6:8].strip()
    if not (year.isdigit() and len(year) == 4):
        return None
    if not (month.isdigit() and len(month) == 2):
        return year
    if not (day.isdigit() and len(day) == 2):
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"


def _place_name(place: GeneralPlace | None) -> str | None:
    if place is None:
        return None
    if place.structured is not None:
        return place.structured.city
    return place.freetext


def _residence(place: GeneralPlace | None) -> dict[str, str | None]:
    """A structured address fills its four attributes; a free-text one only the locality;
    NoPlaceInfo ("keine Wohnung in Deutschland") none of them."""
    empty: dict[str, str | None] = dict.fromkeys(GROUPS["PlaceOfResidence"])
    if place is None:
        return empty
    if place.structured is not None:
        s = place.structured
        return {
            "street_address": s.street,
            "postal_code": s.zip_code,
            "locality": s.city,
            "country": s.country,
        }
    return {**empty, "locality": place.freetext}
