"""How values are shown (pages and PDFs alike)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.kit.definition import Field, Service
from services.kit.i18n import _
from services.kit.uploads import size_label


def display(f: Field, value: Any) -> str:
    if value in (None, "", []):
        return "–"
    if f.kind == "select":
        return str(dict(f.choices).get(str(value), value))
    if f.kind == "date":
        return _date(str(value))
    if f.kind == "checkbox":
        return _("ja") if value == "ja" else _("nein")
    if f.kind == "file" and isinstance(value, dict):
        return document(value)
    if f.kind == "persons" and isinstance(value, list):
        return "; ".join(
            _("%(name)s (geb. %(born)s)", name=p["name"], born=_date(p["geburtsdatum"]))
            for p in value
        )
    return str(value)


def document(summary: dict[str, Any]) -> str:
    """An uploaded document as the citizen and the PDFs show it: name and size."""
    return f"{summary.get('name', '')} ({size_label(int(summary.get('size', 0)))})"


def shown(service: Service, data: Mapping[str, Any], name: str) -> str:
    """The value of the field ``name`` in ``data`` as shown."""
    return display(service.field(name), data.get(name))


def address(data: Mapping[str, Any], street: str, code: str, town: str) -> str:
    """One line from three fields: "Heidestraße 17, 51147 Köln"."""
    s, c, t = (str(data.get(name) or "").strip() for name in (street, code, town))
    return ", ".join(part for part in (s, f"{c} {t}".strip()) if part) or "–"


def _date(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return value


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d} €"
