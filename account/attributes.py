"""The attribute table (DESIGN.md "Attributes"): one row per internal attribute.

Each row names the attribute's source on the ID card (BSI TR-03130 PersonalData), its SAML
attribute name (OID profile of BundID/FINK, NameFormat uri) and its OIDC claim. Protocol faces
use this table for release; the profile pages use it for labels and edit rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Provenance(StrEnum):
    SELF = "self"  # typed by the citizen
    EID = "eid"  # read from the ID card (with the date read)


@dataclass(frozen=True)
class Attribute:
    name: str
    label: object  # a lazy translated string
    eid_source: str | None
    saml_name: str | None
    oidc_claim: str | None
    #: Edited on the profile page (email has its own verified change flow).
    editable: bool = True
    input_type: str = "text"
    autocomplete: str | None = None
    max_length: int = 200


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "given_names",
        _l("Vornamen"),
        "GivenNames",
        "urn:oid:2.5.4.42",
        "given_name",
        autocomplete="given-name",
    ),
    Attribute(
        "family_names",
        _l("Familienname"),
        "FamilyNames",
        "urn:oid:2.5.4.4",
        "family_name",
        autocomplete="family-name",
    ),
    Attribute(
        "birth_name",
        _l("Geburtsname"),
        "BirthName",
        "urn:oid:1.2.40.0.10.2.1.1.225566",
        "birth_family_name",
    ),
    Attribute(
        "date_of_birth",
        _l("Geburtsdatum"),
        "DateOfBirth",
        "urn:oid:1.2.40.0.10.2.1.1.55",
        "birthdate",
        input_type="date",
        autocomplete="bday",
        max_length=10,
    ),
    Attribute(
        "place_of_birth",
        _l("Geburtsort"),
        "PlaceOfBirth",
        "urn:oid:1.3.6.1.5.5.7.9.2",
        "place_of_birth",
    ),
    Attribute(
        "nationality",
        _l("Staatsangehörigkeit"),
        "Nationality",
        "urn:oid:1.2.40.0.10.2.1.1.225577",
        "nationalities",
        max_length=3,
    ),
    Attribute(
        "academic_title",
        _l("Doktorgrad"),
        "AcademicTitle",
        "urn:oid:0.9.2342.19200300.100.1.40",
        "title",
        autocomplete="honorific-prefix",
    ),
    Attribute(
        "street_address",
        _l("Straße und Hausnummer"),
        "PlaceOfResidence/Street",
        "urn:oid:2.5.4.16",
        "address.street_address",
        autocomplete="street-address",
    ),
    Attribute(
        "postal_code",
        _l("Postleitzahl"),
        "PlaceOfResidence/ZipCode",
        "urn:oid:2.5.4.17",
        "address.postal_code",
        autocomplete="postal-code",
        max_length=10,
    ),
    Attribute(
        "locality",
        _l("Ort"),
        "PlaceOfResidence/City",
        "urn:oid:2.5.4.7",
        "address.locality",
        autocomplete="address-level2",
    ),
    Attribute(
        "country",
        _l("Land"),
        "PlaceOfResidence/Country",
        "urn:oid:1.2.40.0.10.2.1.1.225599",
        "address.country",
        autocomplete="country",
        max_length=3,
    ),
    Attribute(
        "community_id",
        _l("Gemeindeschlüssel"),
        "CommunityID",
        "urn:oid:1.3.6.1.4.1.25484.494450.5",
        "community_id",
        editable=False,
    ),
    Attribute(
        "document_type",
        _l("Ausweisart"),
        "DocumentType",
        "urn:oid:1.2.40.0.10.2.1.1.552255",
        "document_type",
        editable=False,
    ),
    Attribute(
        "email",
        _l("E-Mail-Adresse"),
        None,
        "urn:oid:0.9.2342.19200300.100.1.3",
        "email",
        editable=False,
        input_type="email",
    ),
    Attribute(
        "phone",
        _l("Telefonnummer"),
        None,
        "urn:oid:2.5.4.20",
        "phone_number",
        input_type="tel",
        autocomplete="tel",
        max_length=40,
    ),
)

BY_NAME: dict[str, Attribute] = {a.name: a for a in ATTRIBUTES}
#: Attributes the citizen edits on the profile page (if not read from the ID card).
PROFILE_EDITABLE: tuple[Attribute, ...] = tuple(a for a in ATTRIBUTES if a.editable)
