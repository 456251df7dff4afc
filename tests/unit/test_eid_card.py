"""The card as the Bürgerkonto keeps it: the connector's result translated into profile values
(exactly as on the card), the RestrictedID digest, and how values are shown."""

from __future__ import annotations

from datetime import date

import pytest

from account.eid.card import (
    CardReading,
    UnusableReadingError,
    iso_date,
    restricted_id_digest,
    translate,
    use_id_request,
)
from account.identity import Level
from account.spelling import as_written
from connectors.eid import (
    EidResult,
    GeneralDate,
    GeneralPlace,
    InterfaceVersion,
    LevelOfAssuranceResult,
    OperationsAllowedByUser,
    Permission,
    PersonalData,
    Requirement,
    RestrictedID,
    StructuredPlace,
)

TODAY = date(2026, 12, 1)
ALL = {
    name: Permission.ALLOWED
    for name in (
        "DocumentType",
        "IssuingState",
        "DateOfExpiry",
        "GivenNames",
        "FamilyNames",
        "AcademicTitle",
        "DateOfBirth",
        "PlaceOfBirth",
        "Nationality",
        "BirthName",
        "PlaceOfResidence",
        "CommunityID",
        "RestrictedID",
    )
}
ERIKA = PersonalData(
    document_type="ID",
    issuing_state="D",
    date_of_expiry=date(2029, 10, 31),
    given_names="ERIKA",
    family_names="MUSTERMANN",
    birth_name="GABLER",
    academic_title="",
    date_of_birth=GeneralDate("19640812", date(1964, 8, 12)),
    place_of_birth=GeneralPlace(freetext="BERLIN"),
    nationality="D",
    place_of_residence=GeneralPlace(
        structured=StructuredPlace(
            city="KÖLN", country="D", street="HEIDESTRAẞE 17", zip_code="51147"
        )
    ),
    community_id="02760503150000",
    restricted_id=RestrictedID("ab" * 32),
)


def result(
    data: PersonalData = ERIKA,
    permissions: dict[str, Permission] | None = None,
    level: str | None = "http://bsi.bund.de/eID/LoA/hoch",
) -> EidResult:
    return EidResult(
        data, OperationsAllowedByUser(permissions or ALL), LevelOfAssuranceResult(level)
    )


def test_every_value_is_kept_as_the_card_has_it() -> None:
    reading = translate(result(), "https://sector.example", TODAY)
    assert reading.values == {
        "given_names": "ERIKA",
        "family_names": "MUSTERMANN",
        "birth_name": "GABLER",
        "date_of_birth": "1964-08-12",
        "place_of_birth": "BERLIN",
        "nationality": "D",
        "street_address": "HEIDESTRAẞE 17",
        "postal_code": "51147",
        "locality": "KÖLN",
        "country": "D",
        "community_id": "02760503150000",
        "document_type": "ID",
    }
    assert "academic_title" in reading.delivered  # on the card, empty: removes an old value
    assert (reading.level, reading.read_on) == (Level.HIGH, TODAY)
    assert (reading.document_type, reading.valid_until) == ("ID", date(2029, 10, 31))
    assert CardReading.from_dict(reading.to_dict()) == reading


def test_fields_not_released_are_not_delivered() -> None:
    permissions = ALL | {
        "PlaceOfResidence": Permission.PROHIBITED,
        "Nationality": Permission.NOTONCHIP,
    }
    reading = translate(result(permissions=permissions), "s", TODAY)
    assert not {"street_address", "locality", "nationality"} & reading.delivered
    assert "street_address" not in reading.values


def test_no_place_of_residence_delivers_the_address_empty() -> None:
    data = PersonalData(
        given_names="KARL",
        place_of_residence=GeneralPlace(no_place_info="keine Wohnung in Deutschland"),
        restricted_id=RestrictedID("CD" * 32),
    )
    reading = translate(result(data), "s", TODAY)
    assert {"street_address", "postal_code", "locality", "country"} <= reading.delivered
    assert "locality" not in reading.values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (GeneralDate("19640812", date(1964, 8, 12)), "1964-08-12"),
        (GeneralDate("199409  "), "1994-09"),
        (GeneralDate("1989    "), "1989"),
        (GeneralDate("        "), None),
        (None, None),
    ],
)
def test_birth_dates_keep_their_known_part(value: GeneralDate | None, expected: str | None) -> None:
    assert iso_date(value) == expected


def test_a_result_without_restricted_id_or_level_is_unusable() -> None:
    data = PersonalData(given_names="ERIKA")
    with pytest.raises(UnusableReadingError):
        translate(result(data), "s", TODAY)
    with pytest.raises(UnusableReadingError):
        translate(result(level="http://bsi.bund.de/eID/LoA/undefined"), "s", TODAY)


def test_the_level_is_the_one_read_never_more() -> None:
    substantial = translate(result(level="http://eidas.europa.eu/LoA/substantial"), "s", TODAY)
    assert substantial.level is Level.SUBSTANTIAL
    assert translate(result(level=None), "s", TODAY).level is Level.HIGH  # 2.0.2: the card


def test_the_digest_is_per_sector_and_ignores_hex_case() -> None:
    one = restricted_id_digest("ab" * 32, "https://a.example")
    assert one == restricted_id_digest("AB" * 32, "https://a.example")
    assert one != restricted_id_digest("ab" * 32, "https://b.example")
    assert one != restricted_id_digest("ac" * 32, "https://a.example")
    assert len(one) == 64 and "ab" * 32 not in one


def test_the_request_per_interface_version() -> None:
    v24 = use_id_request(InterfaceVersion.V2_4_0)
    v20 = use_id_request(InterfaceVersion.V2_0_2)
    assert v24.operations["RestrictedID"] is Requirement.REQUIRED
    assert v24.operations["PlaceOfResidence"] is Requirement.ALLOWED
    assert "CommunityID" in v24.operations and "CommunityID" not in v20.operations
    v20.validate_for(InterfaceVersion.V2_0_2)


@pytest.mark.parametrize(
    ("attribute", "card", "written"),
    [
        ("given_names", "ERIKA", "Erika"),
        ("family_names", "VON DREBENBUSCH-DALGOẞEN", "von Drebenbusch-Dalgoßen"),
        ("family_names", "ÖZM\u0302EN", "Özm\u0302en"),
        ("given_names", "HANS-GÜNTHER", "Hans-Günther"),
        ("street_address", " BOUCHÉSTR. 68 A", "Bouchéstr. 68 A"),
        ("street_address", "EHM-WELK-STRAẞE 33", "Ehm-Welk-Straße 33"),
        ("street_address", "AM MARKT 5", "Am Markt 5"),
        ("locality", "LÜBBENAU/SPREEWALD", "Lübbenau/Spreewald"),
        ("locality", "HALLE (SAALE)", "Halle (Saale)"),
        ("place_of_birth", "FRANKFURT (ODER)", "Frankfurt (Oder)"),
        ("place_of_birth", "BAD KÖNIGSHOFEN I. GRABFELD", "Bad Königshofen i. Grabfeld"),
        ("academic_title", "DR.", "Dr."),
        ("nationality", "D", "D"),
        ("postal_code", "A12345678Z", "A12345678Z"),
        ("given_names", "Erika", "Erika"),  # typed by the citizen: as typed
    ],
)
def test_how_card_values_are_shown(attribute: str, card: str, written: str) -> None:
    assert as_written(attribute, card) == written
