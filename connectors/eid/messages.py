"""eID-Interface messages (TR-03130-1 v2.4.0 §3.2–3.4; v2.0.2 by setting): building the
requests exactly in schema order, and reading answers leniently.

Answers are read by local names inside the eID namespace, checking ``dss:Result`` first (error
answers of real servers carry only that, even where the schema demands more); an unqualified
``ResultMajor`` (as printed in some TR examples) is accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from connectors.eid.fields import (
    EidType,
    EidTypeSelection,
    Permission,
    Requirement,
    fields_for,
)
from connectors.eid.outcomes import (
    RESULT_MAJOR_OK,
    EidError,
    Outcome,
    from_result_minor,
)
from connectors.eid.results import (
    LOA_HOCH,
    EidResult,
    GeneralDate,
    GeneralPlace,
    LevelOfAssuranceResult,
    OperationsAllowedByUser,
    PersonalData,
    RestrictedID,
    ServerInfo,
    StructuredPlace,
)
from connectors.eid.schema import InterfaceVersion
from connectors.eid.xml import DSS, EID, SOAP, WSU, Element, child, local_name, qname, text_of

NSMAP = {"eid": EID, "dss": DSS}


@dataclass(frozen=True)
class Psk:
    """Pre-shared key for the TLS-PSK channel between eID-Client and eID-Server."""

    id: str
    key: str  # hex


@dataclass(frozen=True)
class UseIdRequest:
    """What the eService asks for (fields not listed are PROHIBITED)."""

    operations: Mapping[str, Requirement]
    age_verification: int | None = None
    place_verification: str | None = None
    transaction_info: str | None = None
    level_of_assurance: str | None = LOA_HOCH
    eid_types: Mapping[EidType, EidTypeSelection] = field(default_factory=dict)
    psk: Psk | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "operations": {k: v.value for k, v in self.operations.items()},
            "age_verification": self.age_verification,
            "place_verification": self.place_verification,
            "transaction_info": self.transaction_info,
            "level_of_assurance": self.level_of_assurance,
            "eid_types": {k.value: v.value for k, v in self.eid_types.items()},
            "psk": None if self.psk is None else [self.psk.id, self.psk.key],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UseIdRequest:
        psk = data.get("psk")
        return cls(
            operations={k: Requirement(v) for k, v in data["operations"].items()},
            age_verification=data.get("age_verification"),
            place_verification=data.get("place_verification"),
            transaction_info=data.get("transaction_info"),
            level_of_assurance=data.get("level_of_assurance"),
            eid_types={EidType(k): EidTypeSelection(v) for k, v in data["eid_types"].items()},
            psk=None if psk is None else Psk(psk[0], psk[1]),
        )

    def validate_for(self, version: InterfaceVersion) -> None:
        unknown = set(self.operations) - set(fields_for(version))
        if unknown:
            raise ValueError(f"fields not in interface {version}: {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class UseIdAnswer:
    session_id: str
    psk: Psk
    ecard_server_address: str | None


# --- envelopes -------------------------------------------------------------------------------


def envelope(message: Element) -> Element:
    env = etree.Element(qname(SOAP, "Envelope"), nsmap={"soap": SOAP, "wsu": WSU})
    etree.SubElement(env, qname(SOAP, "Header"))
    etree.SubElement(env, qname(SOAP, "Body")).append(message)
    return env


def _el(parent: Element | None, name: str, text: str | None = None) -> Element:
    tag = qname(EID, name)
    node = etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


# --- requests --------------------------------------------------------------------------------


def use_id_request(request: UseIdRequest, version: InterfaceVersion) -> Element:
    """``useIDRequest``; the 2.4.0-only elements are left out for 2.0.2."""
    request.validate_for(version)
    root = _el(None, "useIDRequest")
    operations = _el(root, "UseOperations")
    for name in fields_for(version):
        _el(operations, name, request.operations.get(name, Requirement.PROHIBITED).value)
    if request.age_verification is not None:
        _el(_el(root, "AgeVerificationRequest"), "Age", str(request.age_verification))
    if request.place_verification is not None:
        _el(_el(root, "PlaceVerificationRequest"), "CommunityID", request.place_verification)
    if version is InterfaceVersion.V2_4_0:
        _add_2_4_elements(root, request)
    if request.psk is not None:
        psk = _el(root, "PSK")
        _el(psk, "ID", request.psk.id)
        _el(psk, "Key", request.psk.key)
    return root


def _add_2_4_elements(root: Element, request: UseIdRequest) -> None:
    if request.transaction_info is not None:
        _el(root, "TransactionInfo", request.transaction_info)
    if request.level_of_assurance is not None:
        _el(root, "LevelOfAssuranceRequest", request.level_of_assurance)
    if request.eid_types:
        types = _el(root, "EIDTypeRequest")
        for eid_type in EidType:
            if eid_type in request.eid_types:
                _el(types, eid_type.value, request.eid_types[eid_type].value)


def get_result_request(session_id: str, counter: int) -> Element:
    root = _el(None, "getResultRequest")
    _el(_el(root, "Session"), "ID", session_id)
    _el(root, "RequestCounter", str(counter))
    return root


def get_server_info_request() -> Element:
    return _el(None, "getServerInfoRequest")


# --- answers ---------------------------------------------------------------------------------


def _check_result(message: Element) -> None:
    """Raise :class:`EidError` unless ``dss:Result`` says ok."""
    result = message.find(qname(DSS, "Result"))
    if result is None:
        raise EidError(Outcome.BAD_RESPONSE, "answer without dss:Result")
    major = result.findtext(qname(DSS, "ResultMajor"))
    if major is None:
        major = result.findtext("ResultMajor")
    minor = result.findtext(qname(DSS, "ResultMinor"))
    if minor is None:
        minor = result.findtext("ResultMinor")
    if major is not None and major.strip() == RESULT_MAJOR_OK:
        return
    detail = " ".join(part for part in (major, minor, _result_message(result)) if part)
    raise EidError(from_result_minor(minor), detail)


def _result_message(result: Element) -> str | None:
    return result.findtext(qname(DSS, "ResultMessage")) or result.findtext("ResultMessage")


def _expect(message: Element, name: str) -> None:
    if message.tag != qname(EID, name):
        raise EidError(Outcome.BAD_RESPONSE, f"expected {name}, got {local_name(message)}")


def read_use_id_response(message: Element) -> UseIdAnswer:
    _expect(message, "useIDResponse")
    _check_result(message)
    session_id = text_of(message, "Session", "ID")
    psk_id = text_of(message, "PSK", "ID")
    psk_key = text_of(message, "PSK", "Key")
    if not session_id or not psk_id or not psk_key:
        raise EidError(Outcome.BAD_RESPONSE, "useIDResponse without Session/ID or PSK")
    address = text_of(message, "eCardServerAddress")
    return UseIdAnswer(session_id.strip(), Psk(psk_id, psk_key.strip()), address or None)


def read_get_result_response(message: Element) -> EidResult:
    _expect(message, "getResultResponse")
    _check_result(message)
    eid_type = None
    types = child(message, "EIDTypeResponse")
    if types is not None and len(types):
        try:
            eid_type = EidType(local_name(types[0]))
        except ValueError:
            eid_type = None
    loa = text_of(message, "LevelOfAssuranceResult")
    return EidResult(
        personal_data=_personal_data(child(message, "PersonalData")),
        operations=_operations(child(message, "OperationsAllowedByUser")),
        level_of_assurance=LevelOfAssuranceResult(loa.strip() if loa else None),
        eid_type=eid_type,
        fulfils_age_verification=_verification(message, "FulfilsAgeVerification"),
        fulfils_place_verification=_verification(message, "FulfilsPlaceVerification"),
    )


def read_get_server_info_response(message: Element) -> ServerInfo:
    _expect(message, "getServerInfoResponse")
    if message.find(qname(DSS, "Result")) is not None:
        _check_result(message)
    try:
        major = int(text_of(message, "ServerVersion", "Major") or "")
        minor = int(text_of(message, "ServerVersion", "Minor") or "")
    except ValueError:
        raise EidError(Outcome.BAD_RESPONSE, "getServerInfoResponse without version") from None
    bugfix = text_of(message, "ServerVersion", "Bugfix")
    rights = child(message, "DocumentVerificationRights")
    return ServerInfo(
        version_string=text_of(message, "ServerVersion", "VersionString") or "",
        major=major,
        minor=minor,
        bugfix=int(bugfix) if bugfix and bugfix.strip().isdigit() else None,
        rights={} if rights is None else {local_name(r): (r.text or "").strip() for r in rights},
    )


def _verification(message: Element, name: str) -> bool | None:
    value = text_of(message, name, "FulfilsRequest")
    if value is None:
        return None
    return value.strip() in {"true", "1"}


def _operations(node: Element | None) -> OperationsAllowedByUser:
    permissions: dict[str, Permission] = {}
    for item in [] if node is None else node:
        if not isinstance(item.tag, str):
            continue
        try:
            permissions[local_name(item)] = Permission((item.text or "PROHIBITED").strip())
        except ValueError:
            permissions[local_name(item)] = Permission.PROHIBITED
    return OperationsAllowedByUser(permissions)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _personal_data(node: Element | None) -> PersonalData:
    if node is None:
        return PersonalData()
    restricted = child(node, "RestrictedID")
    return PersonalData(
        document_type=text_of(node, "DocumentType"),
        issuing_state=text_of(node, "IssuingState"),
        date_of_expiry=_date(text_of(node, "DateOfExpiry")),
        given_names=text_of(node, "GivenNames"),
        family_names=text_of(node, "FamilyNames"),
        artistic_name=text_of(node, "ArtisticName"),
        academic_title=text_of(node, "AcademicTitle"),
        date_of_birth=_general_date(child(node, "DateOfBirth")),
        place_of_birth=_general_place(child(node, "PlaceOfBirth")),
        nationality=text_of(node, "Nationality"),
        birth_name=text_of(node, "BirthName"),
        place_of_residence=_general_place(child(node, "PlaceOfResidence")),
        community_id=text_of(node, "CommunityID"),
        residence_permit_i=text_of(node, "ResidencePermitI"),
        restricted_id=_restricted_id(restricted),
    )


def _restricted_id(node: Element | None) -> RestrictedID | None:
    value = text_of(node, "ID")
    if node is None or not value:
        return None
    second = text_of(node, "ID2")
    return RestrictedID(value.strip().upper(), second.strip().upper() if second else None)


def _general_date(node: Element | None) -> GeneralDate | None:
    if node is None:
        return None
    return GeneralDate(text_of(node, "DateString") or "", _date(text_of(node, "DateValue")))


def _general_place(node: Element | None) -> GeneralPlace | None:
    if node is None:
        return None
    structured = child(node, "StructuredPlace")
    if structured is not None:
        return GeneralPlace(
            structured=StructuredPlace(
                city=text_of(structured, "City") or "",
                country=text_of(structured, "Country") or "",
                street=text_of(structured, "Street"),
                state=text_of(structured, "State"),
                zip_code=text_of(structured, "ZipCode"),
            )
        )
    freetext = text_of(node, "FreetextPlace")
    if freetext is not None:
        return GeneralPlace(freetext=freetext)
    return GeneralPlace(no_place_info=text_of(node, "NoPlaceInfo") or "")
