"""Hundesteuer: Anmeldung eines Hundes. SAML 2.0, Vertrauensniveau substanziell.

The tax itself is charged later by notice (Hundesteuersatzung), not paid online."""

from __future__ import annotations

from flask import Flask

from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Field, Service
from services.kit.i18n import _l

PORT = 8103

SERVICE = Service(
    key="hundesteuer",
    title=_l("Hundesteuer: Hund anmelden"),
    protocol="saml",
    level="substantial",
    prefix="HST",
    intro=_l("Melden Sie Ihren Hund zur Hundesteuer an. Den Steuerbescheid erhalten Sie per Post."),
    legal_basis=_l("Hundesteuersatzung der Stadt"),
    attributes=(
        "given_names",
        "family_names",
        "date_of_birth",
        "street_address",
        "postal_code",
        "locality",
    ),
    fields=(
        Field("vornamen", _l("Vornamen der Halterin oder des Halters"), prefill="given_names"),
        Field("familienname", _l("Familienname"), prefill="family_names"),
        Field("geburtsdatum", _l("Geburtsdatum"), kind="date", prefill="date_of_birth"),
        Field("strasse", _l("Straße und Hausnummer"), prefill="street_address"),
        Field(
            "plz",
            _l("Postleitzahl"),
            prefill="postal_code",
            pattern=r"[0-9]{5}",
            pattern_message=_l("Fünf Ziffern."),
        ),
        Field("ort", _l("Ort"), prefill="locality"),
        Field("hund_name", _l("Name des Hundes"), max_length=60),
        Field("rasse", _l("Rasse"), max_length=80),
        Field(
            "geschlecht",
            _l("Geschlecht"),
            kind="select",
            choices=(("huendin", _l("Hündin")), ("ruede", _l("Rüde"))),
        ),
        Field("hund_geburtsdatum", _l("Geburtsdatum des Hundes"), kind="date", max_days=0),
        Field("beginn", _l("Beginn der Haltung"), kind="date", min_days=-30, max_days=60),
        Field(
            "listenhund",
            _l("Gehört der Hund zu einer gelisteten Rasse?"),
            kind="select",
            choices=(("nein", _l("nein")), ("ja", _l("ja"))),
        ),
        Field(
            "weitere_hunde",
            _l("Weitere Hunde im Haushalt"),
            kind="number",
            min_value=0,
            max_value=10,
        ),
    ),
)


def create_app(config: ServiceConfig | None = None) -> Flask:
    """The Hundesteuer-Anmeldung app (devrun.py starts it on port 8103)."""
    return create_service_app(SERVICE, config or ServiceConfig.from_env(SERVICE.key, PORT))
