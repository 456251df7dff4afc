"""Uploaded documents: PDF, JPEG or PNG, at most 5 MB (e.g. the Wohnungsgeberbestätigung,
§ 19 BMG, or an attachment to an answer).

The type is recognised from the content's first bytes (magic numbers: ``%PDF-`` with an
``%%EOF`` near the end, PNG's signature with its IHDR chunk, JPEG's SOI marker), never from the
file name or the browser's Content-Type; the name kept for the download has no path and the
extension of the recognised type. A request larger than :func:`request_limit` is stopped by
Flask before it is read (413, answered with a page of its own).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import FileStorage

from services.kit.definition import Service
from services.kit.i18n import _
from services.kit.models import Attachment, now

MAX_BYTES = 5 * 1024 * 1024
MAX_LABEL = "5 MB"
#: What a multipart form may carry besides its files (text fields, boundaries).
FORM_OVERHEAD = 256 * 1024
#: type -> (Content-Type, extension)
TYPES = {
    "pdf": ("application/pdf", ".pdf"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
}
#: For the file chooser only (a hint to the browser; the content decides).
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
_UNSAFE = re.compile(r"[^\w .()+-]", re.UNICODE)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    def summary(self) -> dict[str, Any]:
        """What the application's data keep of it (shown on pages and in the PDFs)."""
        return {"name": self.filename, "size": self.size, "type": self.content_type}

    def attachment(self, field: str | None = None) -> Attachment:
        return Attachment(
            field=field,
            filename=self.filename,
            content_type=self.content_type,
            size=self.size,
            sha256=hashlib.sha256(self.content).hexdigest(),
            content=self.content,
            created_at=now(),
        )


def sniff(content: bytes) -> str | None:
    """The recognised type (a key of :data:`TYPES`), or None."""
    if content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]:
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def safe_name(raw: str, kind: str) -> str:
    """The client's name without any path or control characters, ≤ 100 characters, with the
    extension of the type the content has."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", raw or ""))[-1]
    stem = os.path.splitext(base)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" .")[:100] or "dokument"
    return stem + TYPES[kind][1]


def read(storage: FileStorage | None) -> tuple[Upload | None, str | None]:
    """The upload of one file input (None when no file was chosen) or the problem (German)."""
    if storage is None or not storage.filename:
        return None, None
    content = storage.stream.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return None, _("Die Datei ist zu groß (höchstens %(max)s).", max=MAX_LABEL)
    if not content:
        return None, _("Die Datei ist leer.")
    kind = sniff(content)
    if kind is None:
        return None, _("Bitte laden Sie ein PDF, JPEG oder PNG hoch; diese Datei ist keins davon.")
    return Upload(safe_name(storage.filename, kind), TYPES[kind][0], content), None


def read_fields(
    service: Service, files: Mapping[str, FileStorage]
) -> tuple[dict[str, Upload], dict[str, str]]:
    """The uploads of the service's file fields, and the problems by field."""
    found: dict[str, Upload] = {}
    problems: dict[str, str] = {}
    for f in service.fields:
        if f.kind != "file":
            continue
        upload, problem = read(files.get(f.name))
        if upload is not None:
            found[f.name] = upload
        if problem is not None:
            problems[f.name] = problem
    return found, problems


def request_limit(files: int) -> int:
    """The largest request a form with ``files`` file inputs may send."""
    return max(files, 1) * (MAX_BYTES + 4096) + FORM_OVERHEAD


def size_label(size: int) -> str:
    """E.g. "312 KB" or "1,4 MB" (German decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
