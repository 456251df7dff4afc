"""Meldebescheinigung (§ 18 BMG): OpenID Connect, Vertrauensniveau hoch, Gebühr online.

The fee (simple or extended certificate) comes from ``services/fees.toml``. The certificate is
issued when the clerk completes the application (certificate.py)."""

from __future__ import annotations

from flask import Flask

from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Certificate, Fee, Field, Service
from services.kit.i18n import _l
from services.meldebescheinigung import certificate

PORT = 8104

SERVICE = Service(
    key="meldebescheinigung",
    title=_l("Meldebescheinigung"),
    protocol="oidc",
    level="high",
    prefix="MB",
    intro=_l("Beantragen Sie eine Meldebescheinigung. Die Gebühr bezahlen Sie online."),
    legal_basis="§ 18 BMG",
    fee=Fee(by_field="art"),
    certificate=Certificate(
        name=_l("Meldebescheinigung"),
        office="Bürgeramt – Meldebehörde",
        text=certificate.text,
        online=certificate.online,
        file_name="Meldebescheinigung",
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
        Field("vornamen", _l("Vornamen"), prefill="given_names"),
        Field("familienname", _l("Familienname"), prefill="family_names"),
        Field("geburtsdatum", _l("Geburtsdatum"), kind="date", prefill="date_of_birth"),
        Field("strasse", _l("Straße und Hausnummer"), prefill="street_address"),
        Field("plz", _l("Postleitzahl"), prefill="postal_code"),
        Field("ort", _l("Ort"), prefill="locality"),
        Field(
            "art",
            _l("Art der Bescheinigung"),
            kind="select",
            choices=(
                ("einfach", _l("einfache Meldebescheinigung")),
                ("erweitert", _l("erweiterte Meldebescheinigung")),
            ),
        ),
        Field(
            "zweck", _l("Zweck"), max_length=120, hint=_l("Zum Beispiel: Vorlage beim Arbeitgeber.")
        ),
        Field(
            "zustellung",
            _l("Zustellung"),
            kind="select",
            choices=(("download", _l("als PDF zum Herunterladen")), ("post", _l("per Post"))),
        ),
    ),
)


def create_app(config: ServiceConfig | None = None) -> Flask:
    """The Meldebescheinigung app (devrun.py starts it on port 8104)."""
    return create_service_app(SERVICE, config or ServiceConfig.from_env(SERVICE.key, PORT))
