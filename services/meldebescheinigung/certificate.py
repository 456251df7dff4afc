"""The Meldebescheinigung itself (§ 18 BMG), from the application's data.

Simple (§ 18 Abs. 1): names, date of birth, current address. Extended (§ 18 Abs. 2): the same
and every further field the service asks about the person (today: the purpose); what the
application says about the order itself (kind, delivery) is not printed. German only (see
services/kit/certificate.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.kit.definition import CertificateText, Service
from services.kit.present import address, display, shown

PERSON = (
    ("Familienname", "familienname"),
    ("Vornamen", "vornamen"),
    ("Geburtsdatum", "geburtsdatum"),
)
ADDRESS = ("strasse", "plz", "ort")
ORDER = ("art", "zustellung")
STATEMENT = (
    "Die Meldebehörde bescheinigt, dass für die folgende Person im Melderegister diese Daten "
    "gespeichert sind:"
)


def text(service: Service, data: Mapping[str, Any]) -> CertificateText:
    extended = data.get("art") == "erweitert"
    rows = [(label, shown(service, data, name)) for label, name in PERSON]
    rows.append(("Anschrift", address(data, *ADDRESS)))
    if extended:
        rows += _further(service, data)
    return CertificateText(
        title="Erweiterte Meldebescheinigung" if extended else "Meldebescheinigung",
        legal_basis=f"§ 18 Abs. {2 if extended else 1} Bundesmeldegesetz (BMG)",
        statement=STATEMENT,
        rows=tuple(rows),
    )


def _further(service: Service, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    printed = {name for _label, name in PERSON} | set(ADDRESS) | set(ORDER)
    return [
        (str(f.label), display(f, data.get(f.name)))
        for f in service.fields
        if f.name not in printed and f.applies(data)
    ]


def online(data: Mapping[str, Any]) -> bool:
    """Download when the citizen chose it; by post otherwise."""
    return data.get("zustellung") == "download"
