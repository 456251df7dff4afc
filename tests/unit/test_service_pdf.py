"""The service PDFs print every name as written: an embedded, subset Unicode font (DejaVu Sans),
text in NFC; without the font the core fonts with "?" and a warning. Checked by extracting the
text again (pypdf), not by looking at our own input."""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel
from pypdf import PdfReader

from services import ummeldung
from services.kit import fonts, pdf
from services.kit.models import Application, ApplicationEvent, Payment

NAME = "Łukasz Dvořák-Şükrü"
STREET = "STRAẞE DES 17. JUNI 4"
#: Typed decomposed (e + U+0301 …): NFC makes é and á, while ọ̀ stays ọ + U+0300 (no single
#: code point exists), so the extracted text shows both the normalisation and the combining mark.
DECOMPOSED = "Ade\u0301ba\u0301yo\u0323\u0300"
MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def context() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.fixture
def unicode_font() -> fonts.FontFiles:
    found = fonts.unicode_font()
    if found is None:
        pytest.skip(f"DejaVu Sans not installed ({fonts.DEBIAN_PACKAGE}; make test installs it)")
    return found


def _application() -> Application:
    data = {
        "vornamen": NAME.split()[0] + " " + DECOMPOSED,
        "familienname": NAME.split()[1],
        "geburtsdatum": "1990-02-03",
        "alte_strasse": STREET,
        "alte_plz": "10623",
        "alter_ort": "Berlin",
        "neue_strasse": "Çiçek Sokağı 3",
        "neue_plz": "50667",
        "neuer_ort": "Köln",
        "einzugsdatum": "2026-11-28",
        "wohnung": "haupt",
        "mitziehende": [{"name": "Zoe\u0308 Dvořák", "geburtsdatum": "2015-06-01"}],
        "wohnungsgeber": "WGB-4711",
    }
    application = Application(
        reference="UMM-2026-7K3Q9D2M",
        subject="s",
        level="high",
        title="Anmeldung / Ummeldung",
        data=data,
        verified=["vornamen", "familienname", "alte_strasse"],
        state="archiviert",
        fee_cents=0,
        submitted_at=MOMENT,
    )
    application.events = [
        ApplicationEvent(state="eingegangen", note="", actor="citizen", at=MOMENT),
        ApplicationEvent(state="abgeschlossen", note="Gut, Herr Dvořák.", actor="c", at=MOMENT),
    ]
    application.payments = [
        Payment(provider="giro", provider_ref="GC-1", amount_cents=800, state="captured")
    ]
    return application


def _text(document: bytes) -> str:
    assert document.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def _embedded_fonts(document: bytes) -> list[tuple[str, int]]:
    """(BaseFont, length of the embedded font program) of every font on the pages."""
    found = []
    for page in PdfReader(io.BytesIO(document)).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font: Any = ref.get_object()
            described = font
            if font["/Subtype"] == "/Type0":
                described = font["/DescendantFonts"][0].get_object()
            program = described.get("/FontDescriptor", {}).get("/FontFile2")
            length = len(program.get_object().get_data()) if program is not None else 0
            found.append((str(font["/BaseFont"]), length))
    return found


def test_names_print_as_written(unicode_font: fonts.FontFiles) -> None:
    receipt = pdf.receipt(ummeldung.SERVICE, _application())
    text = _text(receipt)
    nfc = unicodedata.normalize("NFC", DECOMPOSED)
    assert nfc != DECOMPOSED and nfc.endswith("\u1ecd\u0300")
    for expected in (NAME.split()[1], "Łukasz", STREET, nfc, "Çiçek Sokağı 3", "Zoë Dvořák"):
        assert expected in text, expected
    assert DECOMPOSED not in text and "?" not in text
    # regular and bold, both DejaVu Sans, embedded as subsets (a fraction of the font files)
    embedded = _embedded_fonts(receipt)
    assert {name.split("+")[-1] for name, _ in embedded} == {"DejaVuSansBook", "DejaVuSansBold"}
    assert all("+" in name for name, _ in embedded), embedded
    assert all(0 < size < unicode_font.regular.stat().st_size / 5 for _, size in embedded)


def test_the_archive_document_carries_history_and_payments(unicode_font: fonts.FontFiles) -> None:
    text = _text(pdf.archive(ummeldung.SERVICE, _application()))
    for expected in ("UMM-2026-7K3Q9D2M", "Abgeschlossen: Gut, Herr Dvořák.", "giro", STREET):
        assert expected in text, expected


def test_a_character_the_font_lacks_prints_as_a_question_mark(
    unicode_font: fonts.FontFiles,
) -> None:
    application = _application()
    application.data = {**application.data, "neuer_ort": "中山 Köln"}
    text = _text(pdf.receipt(ummeldung.SERVICE, application))
    assert "?? Köln" in text and "中" not in text


def test_without_the_font_core_fonts_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(fonts.ENV, str(tmp_path))  # a directory without the font files
    with caplog.at_level(logging.WARNING, logger=fonts.__name__):
        receipt = pdf.receipt(ummeldung.SERVICE, _application())
    assert any("falling back to the core fonts" in r.getMessage() for r in caplog.records)
    text = _text(receipt)
    assert "?ukasz" in text and "Dvo?ák-?ükrü" in text and "STRA?E" in text
    assert "„Meine Anträge“" in text  # Windows-1252 has the German quotes
    assert "Zoë" in text  # decomposed input still arrives as Latin-1 ë after NFC
    assert {name for name, _ in _embedded_fonts(receipt)} <= {"/Helvetica", "/Helvetica-Bold"}
    assert pdf.archive(ummeldung.SERVICE, _application()).startswith(b"%PDF")


def test_the_font_directory_can_be_configured(
    unicode_font: fonts.FontFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for source in (unicode_font.regular, unicode_font.bold):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setenv(fonts.ENV, str(tmp_path))
    assert fonts.unicode_font() == fonts.FontFiles(tmp_path / fonts.REGULAR, tmp_path / fonts.BOLD)
