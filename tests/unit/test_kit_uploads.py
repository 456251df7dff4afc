"""Uploaded documents: the type from the content's first bytes (never the name or the browser's
Content-Type), the size cap, the name kept for the download, the size as shown."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import FileStorage

from services.kit import uploads
from services.kit.uploads import MAX_BYTES, read, safe_name, size_label, sniff

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17


@pytest.fixture(autouse=True)
def context() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def _file(content: bytes, name: str = "x.pdf", claimed: str = "application/pdf") -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name, content_type=claimed)


def test_types_come_from_the_content() -> None:
    assert sniff(PDF) == "pdf" and sniff(PNG_HEAD) == "png"
    assert sniff(b"\xff\xd8\xff\xdb" + b"\x00" * 10) == "jpeg"
    assert sniff(b"%PDF-1.4 but never ends") is None  # no %%EOF near the end
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8) is None  # no IHDR
    assert sniff(b"GIF89a") is None and sniff(b"<html>%PDF-") is None and sniff(b"") is None


def test_read_trusts_neither_name_nor_content_type() -> None:
    upload, problem = read(_file(PNG_HEAD, "scan.pdf", "application/pdf"))
    assert problem is None and upload is not None
    assert upload.filename == "scan.png" and upload.content_type == "image/png"
    upload, problem = read(_file(b"<script>x</script>", "a.pdf"))
    assert upload is None and problem and "keins davon" in problem
    assert read(_file(b"", "a.pdf"))[1] == "Die Datei ist leer."
    assert read(_file(b"", ""))[0:2] == (None, None)  # nothing chosen
    assert read(None) == (None, None)


def test_the_size_cap() -> None:
    exactly = b"%PDF-1." + b"0" * (MAX_BYTES - 14) + b"\n%%EOF\n"
    assert len(exactly) == MAX_BYTES and read(_file(exactly))[0] is not None
    upload, problem = read(_file(exactly + b"0"))
    assert upload is None and problem == "Die Datei ist zu groß (höchstens 5 MB)."
    assert uploads.request_limit(1) > MAX_BYTES and uploads.request_limit(2) > 2 * MAX_BYTES


def test_names_kept_for_the_download() -> None:
    assert safe_name("../../etc/passwd", "pdf") == "passwd.pdf"
    assert safe_name("C:\\Users\\erika\\Bestätigung.PDF", "pdf") == "Bestätigung.pdf"
    assert safe_name('a"b;c\r\nd.jpeg', "jpeg") == "a_b_c__d.jpg"
    assert safe_name("...", "png") == "dokument.png" and safe_name("", "pdf") == "dokument.pdf"
    assert len(safe_name("x" * 300 + ".pdf", "pdf")) == 104
    assert safe_name("Mietvertrag", "pdf") == "Mietvertrag.pdf"


def test_sizes_as_shown() -> None:
    assert size_label(10) == "1 KB" and size_label(312 * 1024) == "312 KB"
    assert size_label(int(1.4 * 1024 * 1024)) == "1,4 MB"
