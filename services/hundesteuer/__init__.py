"""Hundesteuer: An- oder Abmeldung eines Hundes. SAML 2.0, Vertrauensniveau substanziell.

One definition, two choices (``vorgang``): registration asks for the dog's details and the start
of keeping; deregistration (SERVICES.md) for the end date and the reason (death, given away,
moved), the end not before the start of keeping if known. The tax itself is charged later by
notice (Hundesteuersatzung), not paid online."""

from __future__ import annotations

from datetime import date

from flask import Flask

from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Field, Service
from services.kit.i18n import _, _l

PORT = 8103
ANMELDUNG = ("vorgang", "anmeldung")
ABMELDUNG = ("vorgang", "abmeldung")
ONLY_IN = _l("Nur bei Anmeldung.")
ONLY_OUT = _l("Nur bei Abmeldung.")


def end_not_before_start(data: dict[str, str]) -> list[tuple[str, str]]:
    """On deregistration the end of keeping is not before its start, when that is known."""
    start, end = data.get("haltung_seit") or "", data.get("ende") or ""
    if start and end and date.fromisoformat(end) < date.fromisoformat(start):
        return [("ende", _("Das Ende liegt vor dem Beginn der Haltung."))]
    return []


SERVICE = Service(
    key="hundesteuer",
    title=_l("Hundesteuer: Hund an- oder abmelden"),
    protocol="saml",
    level="substantial",
    prefix="HST",
    intro=_l(
        "Melden Sie Ihren Hund zur Hundesteuer an oder ab. Den Bescheid erhalten Sie per Post."
    ),
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
        Field(
            "vorgang",
            _l("Vorgang"),
            kind="select",
            choices=(("anmeldung", _l("Hund anmelden")), ("abmeldung", _l("Hund abmelden"))),
        ),
        Field("hund_name", _l("Name des Hundes"), max_length=60),
        Field("rasse", _l("Rasse"), max_length=80, when=ANMELDUNG, hint=ONLY_IN),
        Field(
            "geschlecht",
            _l("Geschlecht"),
            kind="select",
            choices=(("huendin", _l("Hündin")), ("ruede", _l("Rüde"))),
            when=ANMELDUNG,
            hint=ONLY_IN,
        ),
        Field(
            "hund_geburtsdatum",
            _l("Geburtsdatum des Hundes"),
            kind="date",
            max_days=0,
            when=ANMELDUNG,
            hint=ONLY_IN,
        ),
        Field(
            "beginn",
            _l("Beginn der Haltung"),
            kind="date",
            min_days=-30,
            max_days=60,
            when=ANMELDUNG,
            hint=ONLY_IN,
        ),
        Field(
            "listenhund",
            _l("Gehört der Hund zu einer gelisteten Rasse?"),
            kind="select",
            choices=(("nein", _l("nein")), ("ja", _l("ja"))),
            when=ANMELDUNG,
            hint=ONLY_IN,
        ),
        Field(
            "weitere_hunde",
            _l("Weitere Hunde im Haushalt"),
            kind="number",
            min_value=0,
            max_value=10,
            when=ANMELDUNG,
            hint=ONLY_IN,
        ),
        Field(
            "haltung_seit",
            _l("Gehalten seit"),
            kind="date",
            required=False,
            max_days=0,
            when=ABMELDUNG,
            hint=_l("Nur bei Abmeldung, falls bekannt."),
        ),
        Field(
            "ende",
            _l("Ende der Haltung"),
            kind="date",
            min_days=-365,
            max_days=30,
            when=ABMELDUNG,
            hint=ONLY_OUT,
        ),
        Field(
            "grund",
            _l("Grund der Abmeldung"),
            kind="select",
            choices=(
                ("tod", _l("Tod des Hundes")),
                ("abgegeben", _l("Hund abgegeben")),
                ("wegzug", _l("Wegzug aus der Stadt")),
            ),
            when=ABMELDUNG,
            hint=ONLY_OUT,
        ),
    ),
    rules=(end_not_before_start,),
)


def create_app(config: ServiceConfig | None = None) -> Flask:
    """The Hundesteuer-Anmeldung app (devrun.py starts it on port 8103)."""
    return create_service_app(SERVICE, config or ServiceConfig.from_env(SERVICE.key, PORT))
