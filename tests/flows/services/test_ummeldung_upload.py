"""The Wohnungsgeberbestätigung (§ 19 BMG) uploaded instead of the landlord's code, through the
real Ummeldung app (OpenID Connect at the hub over real HTTP; the definition configured at level
low, as in test_ummeldung.py): a plain multipart form without JavaScript, the type recognised
by the content, never by the name or the browser's Content-Type, 5 MB at most (and a clear page
for a request over Flask's limit), kept with the draft through review (and payment, in a paying
variant), name and size for the citizen, the file for the clerk only, and no file left behind
by an abandoned draft."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from core.store.base import KeyValueStore
from services import meldebescheinigung, ummeldung
from services.kit.applications import drop_stale_drafts
from services.kit.definition import Field
from services.kit.models import Application, Attachment
from services.kit.models import db as kit_db
from services.kit.uploads import MAX_BYTES
from tests.flows.services.steps import (
    CLERK_PASSWORD,
    clerk_application_url,
    log_in,
    reference_of,
)
from tests.flows.services.world import HttpBrowser, ServiceHandle, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
OTHER = "max@example.org"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
}
FIELD = "wohnungsgeber_datei"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
JPEG += b"\xff\xd9"


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


def _move(**changes: str) -> dict[str, str]:
    base = {
        "neue_strasse": "Rathausplatz 1",
        "neue_plz": "50667",
        "neuer_ort": "Köln",
        "einzugsdatum": (date.today() - timedelta(days=3)).isoformat(),
        "wohnung": "haupt",
        "wohnungsgeber": "",
    }
    base.update(changes)
    return base


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {"ummeldung": at_level(ummeldung.SERVICE, "low")}
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        w.citizen(OTHER, PASSWORD, PROFILE)
        yield w


def _form(browser: HttpBrowser, svc: ServiceHandle, email: str = EMAIL) -> requests.Response:
    form = log_in(browser, svc, email, PASSWORD)
    assert form.url == svc.page("/antrag"), form.url
    return form


def _send(
    browser: HttpBrowser, form: requests.Response, name: str, content: bytes, claimed: str
) -> requests.Response:
    return browser.submit_files(form, {FIELD: (name, content, claimed)}, **_move())


def _clerk(svc: ServiceHandle, reference: str) -> tuple[HttpBrowser, str]:
    clerk = HttpBrowser()
    listing = log_in(
        clerk, svc, "sachbearbeitung.ummeldung@example.org", CLERK_PASSWORD, path="/verwaltung"
    )
    return clerk, clerk_application_url(listing, reference)


def _download_url(page: requests.Response) -> str:
    match = re.search(r'<a class="download" href="([^"]+)"', page.text)
    assert match, page.text[:3000]
    return page.url.split("/verwaltung")[0] + match.group(1)


def _rows(svc: ServiceHandle) -> tuple[int, int]:
    with svc.app.app_context():
        applications = kit_db.session.query(Application).count()
        documents = kit_db.session.query(Attachment).count()
        kit_db.session.remove()
        return applications, documents


def test_the_confirmation_uploaded_instead_of_the_code(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    assert 'enctype="multipart/form-data"' in form.text
    assert f'name="{FIELD}"' in form.text and 'type="file"' in form.text
    assert "<script" not in form.text  # a plain form: no JavaScript needed
    # neither code nor upload
    neither = citizen.submit(form, **_move())
    assert neither.status_code == 400
    assert "Bitte geben Sie den Code ein oder laden Sie die Wohnungsgeberbestätigung hoch." in (
        neither.text
    )
    # a good file, but another field is wrong: nothing kept, the citizen is asked to choose again
    other_wrong = citizen.submit_files(
        form, {FIELD: ("mietvertrag.pdf", PDF, "application/pdf")}, **_move(neue_plz="1")
    )
    assert other_wrong.status_code == 400 and "noch einmal aus" in other_wrong.text
    assert _rows(svc) == (0, 0)
    # the browser's path and name are not kept as sent; the content decides the type
    review = _send(citizen, form, "../../etc/Bestätigung Vermieter.pdf", PDF, "text/plain")
    assert "/pruefen" in review.url, review.text[:2000]
    assert "<dd>Bestätigung Vermieter.pdf (1 KB)</dd>" in review.text and "etc" not in review.text
    receipt = citizen.submit(review)
    reference = reference_of(receipt)
    assert "Bestätigung Vermieter.pdf (1 KB)" in receipt.text
    own_page = citizen.go(svc.page("/meine-antraege"))
    assert reference in own_page.text
    assert "/anlage/" not in receipt.text  # the citizen sees name and size, not the file

    clerk, detail_url = _clerk(svc, reference)
    detail = clerk.go(detail_url)
    assert "Bestätigung Vermieter.pdf herunterladen" in detail.text
    url = _download_url(detail)
    download = clerk.go(url)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Best_tigung Vermieter.pdf"')
    assert "filename*=UTF-8''Best%C3%A4tigung%20Vermieter.pdf" in disposition
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert clerk.go(url[:-4] + "0000").status_code == 404
    # nobody else fetches it: the citizen, another citizen, a visitor without login
    for browser in (citizen, _logged_in_other(svc), HttpBrowser()):
        answer = browser.go(url)
        assert answer.content != PDF and not answer.url.startswith(url)
    stranger = _logged_in_other(svc)
    application_page = receipt.url.rsplit("/quittung", 1)[0]
    assert stranger.go(application_page).status_code == 404
    assert stranger.go(receipt.url).status_code == 404


def _logged_in_other(svc: ServiceHandle) -> HttpBrowser:
    other = HttpBrowser()
    _form(other, svc, OTHER)
    return other


@pytest.mark.parametrize(
    ("name", "content", "claimed", "kept_as", "served_as"),
    [
        ("scan.pdf", PNG, "application/pdf", "scan.png", "image/png"),
        ("foto", JPEG, "application/octet-stream", "foto.jpg", "image/jpeg"),
    ],
)
def test_png_and_jpeg_are_recognised_by_their_content(
    town: World, name: str, content: bytes, claimed: str, kept_as: str, served_as: str
) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    review = _send(citizen, _form(citizen, svc), name, content, claimed)
    assert f"{kept_as} (1 KB)" in review.text, review.text[:2000]
    reference = reference_of(citizen.submit(review))
    clerk, detail_url = _clerk(svc, reference)
    download = clerk.go(_download_url(clerk.go(detail_url)))
    assert download.content == content and download.headers["Content-Type"] == served_as
    assert f'filename="{kept_as}"' in download.headers["Content-Disposition"]


def test_other_content_empty_and_oversized_files_are_refused(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    cases = {
        "kein PDF": (b"<html><script>alert(1)</script></html>", "application/pdf"),
        "ohne Ende": (b"%PDF-1.7\n" + b"x" * 100, "application/pdf"),
        "leer": (b"", "application/pdf"),
        "zu groß": (b"%PDF-1.4\n" + b"0" * MAX_BYTES + b"\n%%EOF\n", "application/pdf"),
    }
    messages = {
        "kein PDF": "diese Datei ist keins davon",
        "ohne Ende": "diese Datei ist keins davon",
        "leer": "Die Datei ist leer.",
        "zu groß": "Die Datei ist zu groß (höchstens 5 MB).",
    }
    for case, (content, claimed) in cases.items():
        refused = _send(citizen, form, "bestaetigung.pdf", content, claimed)
        assert refused.status_code == 400, case
        assert messages[case] in refused.text, case
    assert _rows(svc) == (0, 0)


def test_a_request_over_the_limit_gets_a_clear_page(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    huge = b"%PDF-1.4\n" + b"0" * (3 * MAX_BYTES)
    answer = _send(citizen, form, "riesig.pdf", huge, "application/pdf")
    assert answer.status_code == 413
    assert "eine Datei darf höchstens 5 MB groß sein" in answer.text
    assert _rows(svc) == (0, 0)
    # any other form keeps the small limit (the logout form, say)
    big_post = citizen.post(svc.page("/abmelden"), {"x": "y" * (300 * 1024)})
    assert big_post.status_code == 413


def test_an_abandoned_draft_takes_its_upload_along(town: World) -> None:
    svc = town.service("ummeldung")
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    review = _send(citizen, form, "bestaetigung.pdf", PDF, "application/pdf")
    assert "/pruefen" in review.url
    kept = citizen.submit(_send(citizen, form, "zweite.pdf", PDF, "application/pdf"))
    reference_of(kept)  # one draft submitted, one abandoned at the review
    assert _rows(svc) == (2, 2)
    with svc.app.app_context():
        assert drop_stale_drafts(0) == 1  # ``flask cleanup`` after the draft TTL
    assert _rows(svc) == (1, 1)
    assert citizen.go(review.url).status_code == 404


PAYING_FIELD = "nachweis"


@pytest.fixture
def paying_town(
    backend: str, database_url: str, store: KeyValueStore, tmp_path: Path
) -> Iterator[World]:
    """Meldebescheinigung (a fee) with a document field: a test variant of the definition."""
    service = at_level(meldebescheinigung.SERVICE, "low")
    extra = Field(PAYING_FIELD, "Nachweis", kind="file", required=False)
    service = replace(service, fields=(*service.fields, extra))
    with world(backend, database_url, store, tmp_path, {"meldebescheinigung": service}) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def test_the_upload_stays_with_the_draft_through_payment(paying_town: World) -> None:
    svc = paying_town.service("meldebescheinigung")
    citizen = HttpBrowser()
    form = _form(citizen, svc)
    order = {"art": "einfach", "zweck": "Vorlage beim Arbeitgeber", "zustellung": "download"}
    review = citizen.submit_files(form, {PAYING_FIELD: ("nachweis.png", PNG, "image/png")}, **order)
    assert "/pruefen" in review.url and "nachweis.png (1 KB)" in review.text, review.text[:2000]
    action = re.search(r'action="([^"]+/bezahlen)"', review.text)
    assert action
    checkout = citizen.submit(review, action.group(1), provider="paypal")
    receipt = citizen.submit(
        checkout, "/checkoutnow", token=checkout.url.split("token=")[1], decision="approve"
    )
    reference_of(receipt)
    assert "nachweis.png (1 KB)" in receipt.text
    with svc.app.app_context():
        [application] = kit_db.session.query(Application).all()
        [document] = application.attachments
        assert application.reference and document.field == PAYING_FIELD
        assert document.sha256 == hashlib.sha256(PNG).hexdigest() and document.content == PNG
        kit_db.session.remove()
