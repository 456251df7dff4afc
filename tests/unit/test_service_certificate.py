"""The certificates of the services (Meldebescheinigung simple and extended, Meldebestätigung):
what they say, checked by extracting the text of the PDF; German whatever the session's
language; issued only with the change to ``abgeschlossen``; who may have them when."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from pypdf import PdfReader

from services import meldebescheinigung, sperrmuell, ummeldung
from services.kit import certificate
from services.kit.certificate import Availability
from services.kit.config import DEMO_AUTHORITY, ConfigError, ServiceConfig
from services.kit.definition import Service
from services.kit.models import Application
from services.kit.present import address

AUTHORITY = "Stadt Köln"
ISSUED = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 2 December in Köln
SUBMITTED = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PERSON = {
    "vornamen": "Łukasz",
    "familienname": "Dvořák-Şükrü",
    "geburtsdatum": "1990-02-03",
}
ORDER = {
    **PERSON,
    "strasse": "HEIDESTRAẞE 17",
    "plz": "51147",
    "ort": "Köln",
    "art": "einfach",
    "zweck": "Vorlage beim Arbeitgeber",
    "zustellung": "download",
}
MOVE = {
    **PERSON,
    "alte_strasse": "Heidestraße 17",
    "alte_plz": "51147",
    "alter_ort": "Köln",
    "neue_strasse": "Rathausplatz 1",
    "neue_plz": "50667",
    "neuer_ort": "Köln",
    "einzugsdatum": "2026-11-28",
    "wohnung": "neben",
    "mitziehende": [{"name": "Zoë Dvořák", "geburtsdatum": "2015-06-01"}],
    "wohnungsgeber": "WGB-4711",
}


@pytest.fixture(params=["de", "en"])
def session_language(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test in a German and in an English session: the document stays German."""
    from services.kit.app import TRANSLATIONS

    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=lambda: request.param)
    with app.test_request_context():
        yield request.param


def _application(data: Mapping[str, object], state: str = "in_bearbeitung") -> Application:
    return Application(
        reference="MB-2026-7K3Q9D2M",
        subject="s",
        level="high",
        title="t",
        data=dict(data),
        verified=[],
        state=state,
        fee_cents=800,
        submitted_at=SUBMITTED,
    )


def _issued(service: Service, data: Mapping[str, object]) -> tuple[Application, str]:
    application = _application(data)
    values = certificate.on_change(service, application, "abgeschlossen", AUTHORITY, ISSUED)
    assert values["certificate_issued_at"] == ISSUED
    body = values["certificate_pdf"]
    assert isinstance(body, bytes) and body.startswith(b"%PDF")
    application.certificate_pdf, application.certificate_issued_at = body, ISSUED
    reader = PdfReader(io.BytesIO(body))
    return application, "\n".join(page.extract_text() for page in reader.pages)


def _common(text: str) -> None:
    for expected in (
        AUTHORITY,
        "Bürgeramt – Meldebehörde",
        "Aktenzeichen MB-2026-7K3Q9D2M",
        "Antrag vom 30.11.2026",
        "Ausgestellt am 02.12.2026",
        "Familienname Dvořák-Şükrü",
        "Vornamen Łukasz",
        "Geburtsdatum 03.02.1990",
        "Dieses Dokument wurde elektronisch erstellt",
    ):
        assert expected in text, expected
    assert "Family name" not in text and "Date of birth" not in text


def test_the_simple_meldebescheinigung(session_language: str) -> None:
    _, text = _issued(meldebescheinigung.SERVICE, ORDER)
    _common(text)
    assert text.splitlines()[2] == "Meldebescheinigung"  # after the letterhead
    assert "§ 18 Abs. 1 Bundesmeldegesetz" in text
    assert "Anschrift HEIDESTRAẞE 17, 51147 Köln" in text
    assert "Erweiterte" not in text and "Vorlage beim Arbeitgeber" not in text
    assert "Zustellung" not in text and "Herunterladen" not in text


def test_the_extended_one_carries_the_further_fields(session_language: str) -> None:
    _, text = _issued(meldebescheinigung.SERVICE, {**ORDER, "art": "erweitert"})
    _common(text)
    assert "Erweiterte Meldebescheinigung" in text and "§ 18 Abs. 2 Bundesmeldegesetz" in text
    assert "Zweck Vorlage beim Arbeitgeber" in text  # German label in an English session too
    assert "Art der Bescheinigung" not in text and "Zustellung" not in text


def test_the_meldebestaetigung(session_language: str) -> None:
    _, text = _issued(ummeldung.SERVICE, MOVE)
    _common(text)
    for expected in (
        "Meldebestätigung",
        "§ 24 Abs. 2 Bundesmeldegesetz",
        "Das Melderegister ist fortgeschrieben.",
        "Neue Anschrift Rathausplatz 1, 50667 Köln",
        "Bisherige Anschrift Heidestraße 17, 51147 Köln",
        "Art der Wohnung Nebenwohnung",
        "Einzugsdatum 28.11.2026",
        "Mit angemeldete Personen Zoë Dvořák (geb. 01.06.2015)",
    ):
        assert expected in text, expected
    assert "WGB-4711" not in text


def test_issued_only_with_the_change_to_abgeschlossen(session_language: str) -> None:
    application = _application(ORDER)
    for to in ("in_bearbeitung", "rueckfrage", "abgelehnt", "archiviert"):
        assert certificate.on_change(meldebescheinigung.SERVICE, application, to, "X", ISSUED) == {}
    assert (
        certificate.on_change(sperrmuell.SERVICE, application, "abgeschlossen", "X", ISSUED) == {}
    )
    application.certificate_pdf = b"%PDF- as issued"
    again = certificate.on_change(
        meldebescheinigung.SERVICE, application, "abgeschlossen", "X", ISSUED
    )
    assert again == {}, "issued once: never replaced"


def test_who_gets_it_when(session_language: str) -> None:
    service = meldebescheinigung.SERVICE
    pending = _application(ORDER)
    assert certificate.availability(service, pending, clerk=False) is Availability.PENDING
    assert certificate.availability(service, pending, clerk=True) is Availability.PENDING
    issued, _ = _issued(service, ORDER)
    assert certificate.availability(service, issued, clerk=False) is Availability.READY
    by_post, _ = _issued(service, {**ORDER, "zustellung": "post"})
    assert certificate.availability(service, by_post, clerk=False) is Availability.BY_POST
    assert certificate.availability(service, by_post, clerk=True) is Availability.READY
    assert certificate.availability(sperrmuell.SERVICE, issued, clerk=True) is Availability.NONE
    spec = service.certificate
    assert spec is not None
    assert certificate.file_name(spec, issued) == "Meldebescheinigung-MB-2026-7K3Q9D2M.pdf"


def test_address_lines() -> None:
    fields = ("s", "p", "o")
    assert address({"s": "Heidestraße 17", "p": "51147", "o": "Köln"}, *fields) == (
        "Heidestraße 17, 51147 Köln"
    )
    assert address({"s": "", "p": "51147", "o": "Köln"}, *fields) == "51147 Köln"
    assert address({}, *fields) == "–"


def test_the_authority_is_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_AUTHORITY", AUTHORITY)
    monkeypatch.setenv("MELDEBESCHEINIGUNG_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MELDEBESCHEINIGUNG_VAR_DIR", str(tmp_path))
    config = ServiceConfig.from_env("meldebescheinigung", 8104)
    assert config.authority == AUTHORITY
    config.check()
    for wrong in ("", " ", "x" * 121):
        with pytest.raises(ConfigError, match="SERVICE_AUTHORITY"):
            replace(config, authority=wrong).check()
    production = replace(config, production=True, base_url="https://mb.example-stadt.de")
    production.check()
    with pytest.raises(ConfigError, match="required in production"):
        replace(production, authority=DEMO_AUTHORITY).check()
