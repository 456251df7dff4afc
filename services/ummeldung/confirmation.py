"""The Meldebestätigung (§ 24 Abs. 2 BMG): the written confirmation of the registration, issued
when the clerk completes it (the register is updated). German only (services/kit/certificate.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.kit.definition import CertificateText, Service
from services.kit.present import address, shown

STATEMENT = (
    "Die Meldebehörde bestätigt die Anmeldung der folgenden Person unter der neuen Anschrift "
    "(§\u00a017 Abs.\u00a01 BMG). Das Melderegister ist fortgeschrieben."
)
NOTES = ("Bitte bewahren Sie diese Bestätigung auf.",)


def text(service: Service, data: Mapping[str, Any]) -> CertificateText:
    def value(name: str) -> str:
        return shown(service, data, name)

    rows = [
        ("Familienname", value("familienname")),
        ("Vornamen", value("vornamen")),
        ("Geburtsdatum", value("geburtsdatum")),
        ("Neue Anschrift", address(data, "neue_strasse", "neue_plz", "neuer_ort")),
        ("Art der Wohnung", value("wohnung")),
        ("Einzugsdatum", value("einzugsdatum")),
        ("Bisherige Anschrift", address(data, "alte_strasse", "alte_plz", "alter_ort")),
    ]
    if data.get("mitziehende"):
        rows.append(("Mit angemeldete Personen", value("mitziehende")))
    return CertificateText(
        title="Meldebestätigung",
        legal_basis="§ 24 Abs. 2 Bundesmeldegesetz (BMG)",
        statement=STATEMENT,
        rows=tuple(rows),
        notes=NOTES,
    )
