"""The receipt (Eingangsbestätigung) and the archive document as PDF.

The archive document carries the application's data and its whole history, written when the
application is archived (SERVICES.md: kept as a PDF/A-style document). The layout, the embedded
Unicode font and the text normalisation are shared (services/kit/pdf_document.py).
"""

from __future__ import annotations

from services.kit.definition import STATE_LABELS, Service
from services.kit.i18n import _
from services.kit.models import Application
from services.kit.pdf_document import Document, when
from services.kit.present import display


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


def _head(doc: Document, service: Service, application: Application, heading: str) -> None:
    doc.line_of(heading, bold=True, size=15)
    doc.line_of(service.title, size=12)
    doc.ln(2)
    fee = f"{application.fee_cents / 100:.2f} EUR".replace(".", ",")
    doc.pairs(
        [
            (_("Aktenzeichen"), application.reference or "–"),
            (_("Eingegangen am"), when(application.submitted_at)),
            (_("Gebühr"), fee + (" " + _("(bezahlt)") if application.fee_cents else "")),
        ]
    )
    doc.ln(3)


def receipt(service: Service, application: Application) -> bytes:
    doc = Document(_("Eingangsbestätigung %(ref)s", ref=application.reference))
    _head(doc, service, application, _("Eingangsbestätigung"))
    doc.line_of(_("Ihre Angaben"), bold=True)
    doc.pairs(_data_rows(service, application))
    doc.ln(3)
    doc.line_of(
        _("Den Stand Ihres Antrags sehen Sie jederzeit im Bürgerkonto unter „Meine Anträge“.")
    )
    return doc.pdf_bytes()


def archive(service: Service, application: Application) -> bytes:
    doc = Document(_("Akte %(ref)s", ref=application.reference))
    _head(doc, service, application, _("Akte (Archiv)"))
    if service.certificate is not None and application.certificate_issued_at is not None:
        issued = _("ausgestellt am %(when)s", when=when(application.certificate_issued_at))
        doc.pairs([(str(service.certificate.name), issued)])
        doc.ln(3)
    doc.line_of(_("Angaben"), bold=True)
    doc.pairs(_data_rows(service, application))
    doc.ln(3)
    doc.line_of(_("Verlauf"), bold=True)
    doc.pairs(
        [
            (
                when(e.at),
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
    return doc.pdf_bytes()
