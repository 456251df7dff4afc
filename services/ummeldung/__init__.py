"""Anmeldung / Ummeldung einer Wohnung (§ 17 BMG): OpenID Connect, Vertrauensniveau hoch.

Names, date of birth and the current address come from the Bürgerkonto (from the ID card:
verified and fixed); the citizen enters the new address, the moving-in date, the kind of
residence, the persons moving along and the landlord's confirmation (§ 19 BMG): the landlord's
code or the confirmation uploaded (PDF, JPEG or PNG). Completing the application issues the
Meldebestätigung (confirmation.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Certificate, Field, Service
from services.kit.i18n import _, _l
from services.ummeldung import confirmation

PORT = 8101

PLZ = r"[0-9]{5}"


def landlord_confirmation(data: dict[str, Any]) -> list[tuple[str, str]]:
    """§ 19 BMG: the landlord's confirmation, as the landlord's code or as an uploaded copy."""
    if data.get("wohnungsgeber") or data.get("wohnungsgeber_datei"):
        return []
    return [
        (
            "wohnungsgeber",
            _("Bitte geben Sie den Code ein oder laden Sie die Wohnungsgeberbestätigung hoch."),
        )
    ]


SERVICE = Service(
    key="ummeldung",
    title=_l("Anmeldung / Ummeldung"),
    protocol="oidc",
    level="high",
    prefix="UMM",
    intro=_l(
        "Melden Sie Ihren Einzug in eine Wohnung der Stadt innerhalb von zwei Wochen an. "
        "Ihre bisherige Anschrift übernehmen wir aus dem Online-Ausweis."
    ),
    legal_basis="§ 17 BMG",
    certificate=Certificate(
        name=_l("Meldebestätigung"),
        office="Bürgeramt – Meldebehörde",
        text=confirmation.text,
        file_name="Meldebestaetigung",
    ),
    attributes=(
        "given_names",
        "family_names",
        "date_of_birth",
        "street_address",
        "postal_code",
        "locality",
    ),
    fields=(
        Field("vornamen", _l("Vornamen"), prefill="given_names", autocomplete="given-name"),
        Field("familienname", _l("Familienname"), prefill="family_names"),
        Field("geburtsdatum", _l("Geburtsdatum"), kind="date", prefill="date_of_birth"),
        Field("alte_strasse", _l("Bisherige Straße und Hausnummer"), prefill="street_address"),
        Field(
            "alte_plz",
            _l("Bisherige Postleitzahl"),
            prefill="postal_code",
            pattern=PLZ,
            pattern_message=_l("Fünf Ziffern."),
        ),
        Field("alter_ort", _l("Bisheriger Ort"), prefill="locality"),
        Field("neue_strasse", _l("Neue Straße und Hausnummer"), autocomplete="street-address"),
        Field(
            "neue_plz",
            _l("Neue Postleitzahl"),
            pattern=PLZ,
            pattern_message=_l("Fünf Ziffern."),
            autocomplete="postal-code",
        ),
        Field("neuer_ort", _l("Neuer Ort"), autocomplete="address-level2"),
        Field(
            "einzugsdatum",
            _l("Einzugsdatum"),
            kind="date",
            min_days=-365,
            max_days=30,
            hint=_l("Anmelden können Sie bis zu 30 Tage vor dem Einzug."),
        ),
        Field(
            "wohnung",
            _l("Art der Wohnung"),
            kind="select",
            choices=(("haupt", _l("Hauptwohnung")), ("neben", _l("Nebenwohnung"))),
        ),
        Field(
            "mitziehende",
            _l("Mitziehende Personen"),
            kind="persons",
            required=False,
            max_items=4,
            hint=_l("Familienangehörige mit derselben bisherigen Anschrift."),
        ),
        Field(
            "wohnungsgeber",
            _l("Code der Wohnungsgeberbestätigung"),
            required=False,
            max_length=20,
            pattern=r"[A-Z0-9-]{6,20}",
            pattern_message=_l("6 bis 20 Großbuchstaben, Ziffern oder Bindestriche."),
            hint=_l(
                "Den Code erhalten Sie von Ihrer Vermieterin oder Ihrem Vermieter (§ 19 BMG). "
                "Ohne Code laden Sie die Bestätigung unten hoch."
            ),
        ),
        Field(
            "wohnungsgeber_datei",
            _l("Wohnungsgeberbestätigung als Datei"),
            kind="file",
            required=False,
            hint=_l("PDF, JPEG oder PNG, höchstens 5 MB – statt des Codes."),
        ),
    ),
    rules=(landlord_confirmation,),
)


def create_app(config: ServiceConfig | None = None) -> Flask:
    """The Anmeldung / Ummeldung app (devrun.py starts it on port 8101)."""
    return create_service_app(SERVICE, config or ServiceConfig.from_env(SERVICE.key, PORT))
