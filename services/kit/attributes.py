"""The hub's published attribute names (DESIGN.md "Attributes"), as a relying party sees them.

A service is configured with the hub's *interface*, not its code: this table repeats the OIDC
claim and SAML attribute name of each attribute a service may ask for, exactly as the hub's
documentation and metadata publish them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    name: str
    oidc_claim: str
    saml_name: str
    scope: str


PUBLISHED: tuple[Published, ...] = (
    Published("given_names", "given_name", "urn:oid:2.5.4.42", "profile"),
    Published("family_names", "family_name", "urn:oid:2.5.4.4", "profile"),
    Published("birth_name", "birth_family_name", "urn:oid:1.2.40.0.10.2.1.1.225566", "profile"),
    Published("date_of_birth", "birthdate", "urn:oid:1.2.40.0.10.2.1.1.55", "profile"),
    Published("place_of_birth", "place_of_birth", "urn:oid:1.3.6.1.5.5.7.9.2", "profile"),
    Published("nationality", "nationalities", "urn:oid:1.2.40.0.10.2.1.1.225577", "profile"),
    Published("academic_title", "title", "urn:oid:0.9.2342.19200300.100.1.40", "profile"),
    Published("street_address", "address.street_address", "urn:oid:2.5.4.16", "address"),
    Published("postal_code", "address.postal_code", "urn:oid:2.5.4.17", "address"),
    Published("locality", "address.locality", "urn:oid:2.5.4.7", "address"),
    Published("country", "address.country", "urn:oid:1.2.40.0.10.2.1.1.225599", "address"),
    Published("email", "email", "urn:oid:0.9.2342.19200300.100.1.3", "email"),
    Published("phone", "phone_number", "urn:oid:2.5.4.20", "phone"),
)
BY_NAME = {p.name: p for p in PUBLISHED}
BY_SAML_NAME = {p.saml_name: p for p in PUBLISHED}

#: Levels of assurance: OIDC acr (eIDAS URIs) and SAML AuthnContextClassRef (STORK-QAA).
LEVELS = ("low", "substantial", "high")
ACR = {
    "low": "http://eidas.europa.eu/LoA/low",
    "substantial": "http://eidas.europa.eu/LoA/substantial",
    "high": "http://eidas.europa.eu/LoA/high",
}
STORK = {
    "low": "STORK-QAA-Level-1",
    "substantial": "STORK-QAA-Level-3",
    "high": "STORK-QAA-Level-4",
}
LEVEL_OF = {v: k for k, v in ACR.items()} | {v: k for k, v in STORK.items()}
SAML_LEVEL_ATTRIBUTE = "urn:oid:1.2.40.0.10.2.1.1.261.94"
#: eduPersonEntitlement: where the hub puts the roles a SAML service may learn.
SAML_ROLES_ATTRIBUTE = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"
PROVENANCE_NS = "urn:de:buergerportal:saml:provenance"


def at_least(level: str, minimum: str) -> bool:
    return level in LEVELS and LEVELS.index(level) >= LEVELS.index(minimum)
