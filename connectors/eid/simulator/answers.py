"""The simulated eID-Server's answers, in schema order for the configured version."""

from __future__ import annotations

from lxml import etree

from connectors.eid.fields import fields_for
from connectors.eid.messages import NSMAP
from connectors.eid.outcomes import RESULT_MAJOR_ERROR, RESULT_MAJOR_OK, Outcome, minor_uri
from connectors.eid.results import GeneralPlace
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.reading import CardReading
from connectors.eid.simulator.state import Session
from connectors.eid.xml import DSS, EID, Element, qname

VERSION_STRINGS = {
    InterfaceVersion.V2_4_0: ("Version 2.4.0 2021-08-02", 2, 4, 0),
    InterfaceVersion.V2_0_2: ("Version 2.0.2 2016-11-16", 2, 0, 2),
}


def _el(parent: Element | None, name: str, text: str | None = None) -> Element:
    tag = qname(EID, name)
    node = etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def _result(parent: Element, outcome: Outcome | None, message: str = "") -> None:
    result = etree.SubElement(parent, qname(DSS, "Result"))
    major = RESULT_MAJOR_OK if outcome is None else RESULT_MAJOR_ERROR
    etree.SubElement(result, qname(DSS, "ResultMajor")).text = major
    if outcome is not None:
        etree.SubElement(result, qname(DSS, "ResultMinor")).text = minor_uri(outcome)
    if message:
        text = etree.SubElement(result, qname(DSS, "ResultMessage"))
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "de")
        text.text = message


def error(operation: str, outcome: Outcome, message: str = "") -> Element:
    """An error answer as real servers send it: only dss:Result (getServerInfo has no
    Result element, so its errors are answered as a getResult-style Result in a
    getServerInfoResponse — clients must check Result first)."""
    root = _el(None, f"{operation}Response")
    _result(root, outcome, message)
    return root


def use_id(session: Session, ecard_server_address: str) -> Element:
    root = _el(None, "useIDResponse")
    _el(_el(root, "Session"), "ID", session.id)
    _el(root, "eCardServerAddress", ecard_server_address)
    psk = _el(root, "PSK")
    _el(psk, "ID", session.psk.id)
    _el(psk, "Key", session.psk.key)
    _result(root, None)
    return root


def server_info(version: InterfaceVersion, rights: frozenset[str]) -> Element:
    root = _el(None, "getServerInfoResponse")
    text, major, minor, bugfix = VERSION_STRINGS[version]
    server = _el(root, "ServerVersion")
    _el(server, "VersionString", text)
    _el(server, "Major", str(major))
    _el(server, "Minor", str(minor))
    _el(server, "Bugfix", str(bugfix))
    verification = _el(root, "DocumentVerificationRights")
    for name in fields_for(version):
        _el(verification, name, "ALLOWED" if name in rights else "PROHIBITED")
    return root


def get_result(reading: CardReading, version: InterfaceVersion) -> Element:
    root = _el(None, "getResultResponse")
    _personal_data(_el(root, "PersonalData"), reading, version)
    if reading.fulfils_age is not None:
        _el(_el(root, "FulfilsAgeVerification"), "FulfilsRequest", _bool(reading.fulfils_age))
    if reading.fulfils_place is not None:
        _el(_el(root, "FulfilsPlaceVerification"), "FulfilsRequest", _bool(reading.fulfils_place))
    allowed = _el(root, "OperationsAllowedByUser")
    for name in fields_for(version):
        _el(allowed, name, reading.permissions[name].value)
    if version is InterfaceVersion.V2_4_0:
        _el(root, "LevelOfAssuranceResult", reading.level_uri)
        _el(_el(root, "EIDTypeResponse"), reading.eid_type.value, "USED")
    _result(root, None)
    return root


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _personal_data(node: Element, reading: CardReading, version: InterfaceVersion) -> None:
    card = reading.card
    for name in fields_for(version):
        if name == "RestrictedID" and reading.restricted_id:
            _el(_el(node, "RestrictedID"), "ID", reading.restricted_id)
        if name not in reading.released:
            continue
        value = card.value(name)
        if name == "DateOfBirth":
            _date_of_birth(_el(node, name), card.date_of_birth)
        elif isinstance(value, GeneralPlace):
            _place(_el(node, name), value)
        elif value is not None:
            _el(node, name, str(value))


def _date_of_birth(node: Element, date_string: str) -> None:
    _el(node, "DateString", date_string)
    if " " not in date_string:
        _el(node, "DateValue", f"{date_string[0:4]}-{date_string[4:6]}-{date_string[6:8]}")


def _place(node: Element, place: GeneralPlace) -> None:
    if place.structured is not None:
        structured = _el(node, "StructuredPlace")
        s = place.structured
        for name, value in (
            ("Street", s.street),
            ("City", s.city),
            ("State", s.state),
            ("Country", s.country),
            ("ZipCode", s.zip_code),
        ):
            if value is not None:
                _el(structured, name, value)
    elif place.freetext is not None:
        _el(node, "FreetextPlace", place.freetext)
    else:
        _el(node, "NoPlaceInfo", place.no_place_info or "")
