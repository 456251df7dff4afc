"""Sperrmüllabholung: SAML 2.0, Vertrauensniveau niedrig; address and phone prefilled.

Free up to N pickups a year, then a fee (``services/fees.toml``: ``frei_pro_jahr``,
``gebuehr_je_weitere``); the year is the calendar year of the requested pickup date."""

from __future__ import annotations

from flask import Flask

from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Field, FreeQuota, Service
from services.kit.i18n import _l

PORT = 8102

SERVICE = Service(
    key="sperrmuell",
    title=_l("Sperrmüllabholung"),
    protocol="saml",
    level="low",
    prefix="SPM",
    intro=_l("Bestellen Sie die Abholung von Sperrmüll an Ihrer Anschrift."),
    legal_basis=_l("Abfallsatzung der Stadt"),
    free_quota=FreeQuota(
        year_field="wunschtermin",
        label=_l("Gebührenfreie Abholungen"),
        year_hint=_l("Es zählt das Kalenderjahr des Wunschtermins."),
    ),
    attributes=(
        "given_names",
        "family_names",
        "street_address",
        "postal_code",
        "locality",
        "phone",
    ),
    fields=(
        Field("vornamen", _l("Vornamen"), prefill="given_names"),
        Field("familienname", _l("Familienname"), prefill="family_names"),
        Field("strasse", _l("Straße und Hausnummer der Abholung"), prefill="street_address"),
        Field(
            "plz",
            _l("Postleitzahl"),
            prefill="postal_code",
            pattern=r"[0-9]{5}",
            pattern_message=_l("Fünf Ziffern."),
        ),
        Field("ort", _l("Ort"), prefill="locality"),
        Field(
            "telefon",
            _l("Telefon für Rückfragen"),
            prefill="phone",
            required=False,
            pattern=r"[0-9 +()/-]{5,40}",
            pattern_message=_l("Bitte eine Telefonnummer."),
        ),
        Field(
            "gegenstaende",
            _l("Gegenstände"),
            kind="textarea",
            max_length=1000,
            hint=_l("Zum Beispiel: 1 Sofa, 2 Stühle, 1 Schrank (zerlegt)."),
        ),
        Field(
            "volumen",
            _l("Geschätzte Menge in Kubikmetern"),
            kind="number",
            min_value=1,
            max_value=8,
            hint=_l("Höchstens 8 m³ je Abholung."),
        ),
        Field(
            "wunschtermin",
            _l("Wunschtermin"),
            kind="date",
            min_days=7,
            max_days=90,
            hint=_l("Frühestens in einer Woche."),
        ),
        Field(
            "stellplatz",
            _l("Ort der Bereitstellung"),
            kind="select",
            choices=(
                ("gehweg", _l("Am Gehweg vor dem Haus")),
                ("hof", _l("Im Hof")),
                ("garage", _l("Vor der Garage")),
            ),
        ),
    ),
)


def create_app(config: ServiceConfig | None = None) -> Flask:
    """The Sperrmüllabholung app: ``flask --app services.sperrmuell run`` (devrun.py: port 8102)."""
    return create_service_app(SERVICE, config or ServiceConfig.from_env(SERVICE.key, PORT))
