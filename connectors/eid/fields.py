"""The data groups an eService can ask for, per interface version (TR-03130-1 §3.3.2).

``UseOperations`` (request), ``OperationsAllowedByUser`` (answer) and
``DocumentVerificationRights`` (getServerInfo) list these elements in this order.
"""

from __future__ import annotations

from enum import StrEnum

from connectors.eid.schema import InterfaceVersion


class Requirement(StrEnum):
    """``AttributeRequestType``: what the eService asks for one field."""

    REQUIRED = "REQUIRED"
    ALLOWED = "ALLOWED"
    PROHIBITED = "PROHIBITED"


class Permission(StrEnum):
    """``AttributeResponseType``: what the citizen and the chip allowed for one field."""

    ALLOWED = "ALLOWED"
    PROHIBITED = "PROHIBITED"
    NOTONCHIP = "NOTONCHIP"


class EidType(StrEnum):
    """``EIDTypeRequestType`` / ``EIDTypeResponseType`` (v2.4.0 only)."""

    CARD_CERTIFIED = "CardCertified"
    SE_CERTIFIED = "SECertified"
    SE_ENDORSED = "SEEndorsed"
    HW_KEYSTORE = "HWKeyStore"


class EidTypeSelection(StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"


FIELDS_2_4_0: tuple[str, ...] = (
    "DocumentType",
    "IssuingState",
    "DateOfExpiry",
    "GivenNames",
    "FamilyNames",
    "ArtisticName",
    "AcademicTitle",
    "DateOfBirth",
    "PlaceOfBirth",
    "Nationality",
    "BirthName",
    "PlaceOfResidence",
    "CommunityID",
    "ResidencePermitI",
    "RestrictedID",
    "AgeVerification",
    "PlaceVerification",
)

#: 2.0.2 has no CommunityID (and optional extras the hub never asks for).
FIELDS_2_0_2: tuple[str, ...] = tuple(f for f in FIELDS_2_4_0 if f != "CommunityID")

#: Fields that are functions (verifications), not data read from the chip.
FUNCTIONS = frozenset({"AgeVerification", "PlaceVerification"})


def fields_for(version: InterfaceVersion) -> tuple[str, ...]:
    return FIELDS_2_4_0 if version is InterfaceVersion.V2_4_0 else FIELDS_2_0_2
