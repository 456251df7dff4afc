"""The test identities of the ID card simulators (PROTOCOL.md "Test identities").

Values are as on the chip: upper case, ``ẞ`` (U+1E9E) where the card has it, combining
characters kept (ÖZM̂EN is ``M`` + U+0302), DateString with blanks for unknown parts.
``None`` means the data group is not on the chip (the server answers NOTONCHIP); an empty
string means it is on the chip but empty (ArtisticName of most cards).

Where PROTOCOL.md is silent (expiry dates, issuing state, most community ids, Cosić's
address) the values below are our own plausible choices, marked "chosen".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.eid.results import GeneralPlace, StructuredPlace


@dataclass(frozen=True)
class TestCard:
    id: str
    label: str
    document_type: str
    issuing_state: str
    date_of_expiry: date
    given_names: str
    family_names: str
    date_of_birth: str  # DateString yyyymmdd, blanks for unknown parts
    place_of_birth: GeneralPlace
    place_of_residence: GeneralPlace
    nationality: str | None = "D"
    birth_name: str | None = ""
    artistic_name: str | None = ""
    academic_title: str | None = ""
    community_id: str | None = None
    residence_permit_i: str | None = None

    def value(self, field_name: str) -> object:
        """The card's value for an eID-Interface field name (None: not on the chip)."""
        return getattr(self, _ATTRIBUTES[field_name])

    def expired(self, today: date) -> bool:
        return self.date_of_expiry < today


_ATTRIBUTES = {
    "DocumentType": "document_type",
    "IssuingState": "issuing_state",
    "DateOfExpiry": "date_of_expiry",
    "GivenNames": "given_names",
    "FamilyNames": "family_names",
    "ArtisticName": "artistic_name",
    "AcademicTitle": "academic_title",
    "DateOfBirth": "date_of_birth",
    "PlaceOfBirth": "place_of_birth",
    "Nationality": "nationality",
    "BirthName": "birth_name",
    "PlaceOfResidence": "place_of_residence",
    "CommunityID": "community_id",
    "ResidencePermitI": "residence_permit_i",
}


def _free(text: str) -> GeneralPlace:
    return GeneralPlace(freetext=text)


def _home(street: str | None, zip_code: str, city: str) -> GeneralPlace:
    return GeneralPlace(
        structured=StructuredPlace(street=street, zip_code=zip_code, city=city, country="D")
    )


_LONG_GIVEN = (
    "KARL-THEODOR MARIA NIKOLAUS JOHANN JACOB PHILIPP FRANZ JOSEPH SYLVESTER BUHL-FREIHERR"
)
_LONG_FAMILY = "VON UND ZU GUTTENBERG-SCHWARZENBERG-HOHENLOHE-LANGENBURG-WALDBURG-ZEIL-TRAUCHBURG"
_LONG_PLACE = "SANKT GEORGEN IM SCHWARZWALD-OBERKIRNACH-LANGENSCHILTACH-PETERZELL-STOCKBURG-BRIGACH"
_LONG_STREET = "GROẞE BURGGRAFEN-UND-KURFÜRSTEN-ALLEE ZWISCHEN MARKTPLATZ UND ALTEM RATHAUS 1234 A"

CARDS: tuple[TestCard, ...] = (
    TestCard(
        id="erika",
        label="Erika Mustermann (Personalausweis)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2029, 10, 31),
        given_names="ERIKA",
        family_names="MUSTERMANN",
        birth_name="GABLER",
        date_of_birth="19640812",
        place_of_birth=_free("BERLIN"),
        place_of_residence=_home("HEIDESTRAẞE 17", "51147", "KÖLN"),
        community_id="02760503150000",
    ),
    TestCard(
        id="andre",
        label="André Mustermann (ohne Staatsangehörigkeit auf dem Chip)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2031, 6, 16),  # chosen
        given_names="ANDRÉ",
        family_names="MUSTERMANN",
        date_of_birth="20010617",
        place_of_birth=_free("FRANKFURT (ODER)"),
        nationality=None,
        place_of_residence=_home("EHM-WELK-STRAẞE 33", "03222", "LÜBBENAU/SPREEWALD"),
        community_id="02761200610332",  # chosen
    ),
    TestCard(
        id="johanna",
        label="Johanna Mustermann (Ordensname, Doktorgrad, Geburtsname)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2030, 4, 20),  # chosen
        given_names="JOHANNA EDELTRAUT LISBETH",
        family_names="MUSTERMANN",
        artistic_name="ORDENSSCHWESTER JOHANNA",
        academic_title="DR.",
        birth_name="VON MÜLLER-SCHWARZENBERG",
        date_of_birth="19680421",
        place_of_birth=_free("MÜNCHEN"),
        place_of_residence=_home(" BOUCHÉSTR. 68 A", "12059", "BERLIN"),
        community_id="02761100000000",  # chosen
    ),
    TestCard(
        id="cosic",
        label="--- Ćosić (Geburtstag unbekannt)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2032, 1, 9),  # chosen
        given_names="---",
        family_names="ĆOSIĆ",
        date_of_birth="199409  ",
        place_of_birth=_free("PRIŠTINA"),
        place_of_residence=_home("ALTE POST 4", "53111", "BONN"),  # chosen
        community_id="02760503140000",  # chosen
    ),
    TestCard(
        id="ozmen",
        label="Ağça Özm̂en (nur Geburtsjahr, kombinierendes Zeichen)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2030, 11, 30),  # chosen
        given_names="AĞÇA",
        family_names="ÖZM\u0302EN",
        date_of_birth="1989    ",
        place_of_birth=_free("DESSAU-ROẞLAU"),
        nationality=None,
        place_of_residence=_home("GROẞENHAINER STR. 133/135", "01129", "DRESDEN"),
        community_id="02761406120000",  # chosen
    ),
    TestCard(
        id="hans",
        label="Hans-Günther von Drebenbusch-Dalgoẞen (Künstlername, Titel)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2029, 1, 24),  # chosen
        given_names="HANS-GÜNTHER",
        family_names="VON DREBENBUSCH-DALGOẞEN",
        artistic_name="FREIHERR ZU MÖCKERN-WINDENSBERG",
        academic_title="DR.EH.DR.",
        birth_name="WEIẞ",
        date_of_birth="19460125",
        place_of_birth=_free("BREMERHAVEN"),
        place_of_residence=_home("WEG NR. 12 8E", "22043", "HAMBURG"),
        community_id="02760200000000",  # chosen
    ),
    TestCard(
        id="annekathrin",
        label="Annekathrin Lerch (Adresse ohne Straße)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2028, 7, 4),  # chosen
        given_names="ANNEKATHRIN",
        family_names="LERCH",
        birth_name="BJØRNSON",
        date_of_birth="19760705",
        place_of_birth=_free("BAD KÖNIGSHOFEN I. GRABFELD"),
        place_of_residence=_home(None, "06108", "HALLE (SAALE)"),
        community_id="02761500020000",  # chosen
    ),
    TestCard(
        id="karl",
        label="Karl Hillebrandt (keine Wohnung in Deutschland)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2031, 6, 16),  # chosen
        given_names="KARL",
        family_names="HILLEBRANDT",
        date_of_birth="19720617",
        place_of_birth=_free("TRIER"),
        place_of_residence=GeneralPlace(no_place_info="keine Wohnung in Deutschland"),
        community_id=None,
    ),
    TestCard(
        id="lilly",
        label="Lilly Schuster (minderjährig)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2031, 3, 29),  # chosen
        given_names="LILLY",
        family_names="SCHUSTER",
        date_of_birth="20150330",
        place_of_birth=_free("MÜHLHAUSEN/THÜRINGEN"),
        place_of_residence=_home("MARIENSTRAẞE 144", "99817", "EISENACH"),
        community_id="02761600560000",  # chosen
    ),
    TestCard(
        id="longnames",
        label="Lange Namen (maximale Feldlängen)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2030, 1, 1),  # chosen
        given_names=_LONG_GIVEN,
        family_names=_LONG_FAMILY,
        birth_name=_LONG_FAMILY,
        date_of_birth="20000101",
        place_of_birth=_free(_LONG_PLACE),
        place_of_residence=_home(_LONG_STREET, "A12345678Z", _LONG_PLACE),
        community_id="02760803260000",  # chosen
    ),
    TestCard(
        id="hildegard",
        label="Hildegard Müller (abgelaufener Ausweis)",
        document_type="ID",
        issuing_state="D",
        date_of_expiry=date(2024, 6, 30),
        given_names="HILDEGARD",
        family_names="MÜLLER",
        date_of_birth="19590204",
        place_of_birth=_free("SAARBRÜCKEN"),
        place_of_residence=_home("HARKORTSTR. 58", "44225", "DORTMUND"),
        community_id="02760509130000",  # chosen
    ),
    TestCard(
        id="maija",
        label="Maija Mustermann (eID-Karte für Unionsbürger)",
        document_type="UB",
        issuing_state="D",
        date_of_expiry=date(2033, 4, 20),  # chosen
        given_names="MAIJA",
        family_names="MUSTERMANN",
        date_of_birth="19880421",
        place_of_birth=_free("KANKAANPÄÄ"),
        nationality="FIN",
        place_of_residence=_home("HEIDESTRAẞE 17", "51147", "KÖLN"),  # chosen: Erika's street
        community_id="02760503150000",
    ),
)

BY_ID = {card.id: card for card in CARDS}
PIN = "123456"
