"""The receipt (Eingangsbestätigung) and the archive document as PDF (fpdf2, core fonts).

The archive document carries the application's data and its whole history, written when the
application is archived (SERVICES.md: kept as a PDF/A-style document). Core fonts cover
Latin-1, which holds the German letters; anything outside is replaced, never dropped silently.
"""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF

from services.kit.definition import STATE_LABELS, Service
from services.kit.i18n import _
from services.kit.models import Application
from services.kit.present import display


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d.%m.%Y %H:%M UTC") if moment else "–"


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.set_title(_latin1(title))
        self.set_author("Stadtverwaltung – Bürgerportal")
        self.set_creator("Bürgerportal service kit")
        self.add_page()
        self.set_font("Helvetica", size=11)

    def line_of(self, text: str, bold: bool = False, size: int = 11) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        self.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.set_font("Helvetica", "B", 10)
            self.cell(65, 6, _latin1(label), new_x="RIGHT", new_y="TOP")
            self.set_font("Helvetica", "", 10)
            self.multi_cell(0, 6, _latin1(value or "–"), new_x="LMARGIN", new_y="NEXT")


def _data_rows(service: Service, application: Application) -> list[tuple[str, str]]:
    rows = []
    for f in service.fields:
        if not f.applies(application.data):
            continue
        value = display(f, application.data.get(f.name))
        if f.name in application.verified:
            value += " " + _("(Online-Ausweis)")
        rows.append((str(f.label), value))
    return rows


def _head(doc: _Document, service: Service, application: Application, heading: str) -> None:
    doc.line_of(heading, bold=True, size=15)
    doc.line_of(service.title, size=12)
    doc.ln(2)
    fee = f"{application.fee_cents / 100:.2f} EUR".replace(".", ",")
    doc.pairs(
        [
            (_("Aktenzeichen"), application.reference or "–"),
            (_("Eingegangen am"), _when(application.submitted_at)),
            (_("Gebühr"), fee + (" " + _("(bezahlt)") if application.fee_cents else "")),
        ]
    )
    doc.ln(3)


def receipt(service: Service, application: Application) -> bytes:
    doc = _Document(_("Eingangsbestätigung %(ref)s", ref=application.reference))
    _head(doc, service, application, _("Eingangsbestätigung"))
    doc.line_of(_("Ihre Angaben"), bold=True)
    doc.pairs(_data_rows(service, application))
    doc.ln(3)
    doc.line_of(
        _("Den Stand Ihres Antrags sehen Sie jederzeit im Bürgerkonto unter „Meine Anträge“.")
    )
    return bytes(doc.output())


def archive(service: Service, application: Application) -> bytes:
    doc = _Document(_("Akte %(ref)s", ref=application.reference))
    _head(doc, service, application, _("Akte (Archiv)"))
    doc.line_of(_("Angaben"), bold=True)
    doc.pairs(_data_rows(service, application))
    doc.ln(3)
    doc.line_of(_("Verlauf"), bold=True)
    doc.pairs(
        [
            (
                _when(e.at),
                str(STATE_LABELS.get(e.state, e.state)) + (f": {e.note}" if e.note else ""),
            )
            for e in application.events
        ]
    )
    doc.ln(3)
    doc.line_of(_("Zahlungen"), bold=True)
    doc.pairs(
        [
            (p.provider, f"{p.amount_cents / 100:.2f} EUR, {p.state}, {p.provider_ref or '–'}")
            for p in application.payments
        ]
        or [("–", _("keine"))]
    )
    return bytes(doc.output())
