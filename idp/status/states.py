"""The states an application can be reported in (SERVICES.md "Common to all"), with the labels
the citizen reads. Senders use the codes; the hub knows no others."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS: dict[str, object] = {
    "eingegangen": _l("Eingegangen"),
    "in_bearbeitung": _l("In Bearbeitung"),
    "rueckfrage": _l("Rückfrage"),
    "abgeschlossen": _l("Abgeschlossen"),
    "abgelehnt": _l("Abgelehnt"),
    "archiviert": _l("Archiviert"),
}
#: After this state nothing more is accepted for the application.
FINAL = "archiviert"


def label(state: str) -> str:
    return str(LABELS.get(state, state))
