"""Certificates, the outcome documents of SERVICES.md (e.g. Meldebescheinigung, Meldebestätigung).

Issued once, when the clerk completes the application (``abgeschlossen``): the PDF is written in
the same conditional UPDATE as the state change, so there is never a completed application
without its certificate, nor a certificate of an application that did not complete. It is kept
as issued and downloaded again unchanged, by its citizen (when the delivery is online) and by the
service's clerks (to print it for the post).

Always German, whatever the language of the session: German is the official language
(§ 23 Abs. 1 VwVfG) and the receiving offices expect the German document. The layout is the
receipt's (services/kit/pdf_document.py).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale

from services.kit.definition import Certificate, CertificateText, Service
from services.kit.models import Application
from services.kit.pdf_document import Document

ISSUED_IN = "abgeschlossen"
ELECTRONIC = (
    "Dieses Dokument wurde elektronisch erstellt und ist ohne Unterschrift gültig. "
    "Seine Echtheit bestätigt die ausstellende Stelle unter Angabe des Aktenzeichens."
)


class Availability(enum.Enum):
    NONE = "none"  # the service issues no certificate
    BY_POST = "post"  # the citizen chose the post: no download for them
    PENDING = "pending"  # not (yet) issued: the application is not completed
    READY = "ready"


def availability(service: Service, application: Application, clerk: bool) -> Availability:
    spec = service.certificate
    if spec is None:
        return Availability.NONE
    if not clerk and not spec.online(application.data):
        return Availability.BY_POST
    if application.certificate_pdf is None:
        return Availability.PENDING
    return Availability.READY


def on_change(
    service: Service, application: Application, to: str, authority: str, at: datetime
) -> dict[str, object]:
    """The column values a change to ``to`` writes along (the certificate), or nothing."""
    spec = service.certificate
    if spec is None or to != ISSUED_IN or application.certificate_pdf is not None:
        return {}
    return {
        "certificate_pdf": document(service, spec, application, authority, at),
        "certificate_issued_at": at,
    }


def document(
    service: Service, spec: Certificate, application: Application, authority: str, at: datetime
) -> bytes:
    with force_locale("de"):
        text = spec.text(service, application.data)
        doc = Document(
            f"{text.title} {application.reference}", author=f"{authority}, {spec.office}"
        )
        _letterhead(doc, authority, spec.office)
        _title(doc, text)
        doc.pairs(
            [
                ("Aktenzeichen", application.reference or "–"),
                ("Antrag vom", _day(application.submitted_at)),
                ("Ausgestellt am", _day(at)),
            ]
        )
        doc.ln(4)
        doc.line_of(text.statement)
        doc.ln(2)
        doc.pairs(list(text.rows))
        doc.ln(3)
        for note in text.notes:
            doc.line_of(note, size=10)
        _closing(doc, authority, spec.office)
    return doc.pdf_bytes()


def file_name(spec: Certificate, application: Application) -> str:
    return f"{spec.file_name}-{application.reference}.pdf"


def _letterhead(doc: Document, authority: str, office: str) -> None:
    doc.line_of(authority, bold=True, size=13)
    doc.line_of(office, size=10)
    doc.ln(8)


def _title(doc: Document, text: CertificateText) -> None:
    doc.line_of(text.title, bold=True, size=17)
    doc.line_of(f"nach {text.legal_basis}", size=10)
    doc.ln(4)


def _closing(doc: Document, authority: str, office: str) -> None:
    doc.ln(6)
    doc.line_of(f"{authority}, {office}", size=10)
    doc.ln(4)
    doc.line_of(ELECTRONIC, size=9)


def _day(moment: datetime | None) -> str:
    """The calendar day in the city (Europe/Berlin; UTC if the time zone data is missing)."""
    if moment is None:
        return "–"
    try:
        zone: tzinfo = ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:
        zone = UTC
    return moment.astimezone(zone).strftime("%d.%m.%Y")
