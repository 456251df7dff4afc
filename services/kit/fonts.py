"""The Unicode font of the service PDFs: DejaVu Sans, regular and bold, from the system.

Debian's package ``fonts-dejavu-core`` puts the files into ``/usr/share/fonts/truetype/dejavu``;
``make run`` and ``make test`` install it when it is missing (:mod:`services.kit.fonts_setup`),
and a production image installs the same package. ``SERVICE_PDF_FONT_DIR`` names another
directory holding ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf`` (then only that one is used).
No font files live in the repository. Without them the PDFs fall back to the core fonts
(Windows-1252 only, anything else printed as "?") and one warning is logged.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "SERVICE_PDF_FONT_DIR"
FAMILY = "DejaVuSans"
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
#: Where distributions put DejaVu Sans: Debian/Ubuntu, Fedora, Alpine, Arch.
SYSTEM_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
DEBIAN_PACKAGE = "fonts-dejavu-core"


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path


def unicode_font() -> FontFiles | None:
    """The font files to embed, or None (then the caller keeps the core fonts)."""
    return _locate(os.environ.get(ENV) or None)


@cache
def _locate(override: str | None) -> FontFiles | None:
    places = (Path(override),) if override else SYSTEM_DIRS
    for place in places:
        regular, bold = place / REGULAR, place / BOLD
        if regular.is_file() and bold.is_file():
            return FontFiles(regular, bold)
    log.warning(
        "no Unicode font for the PDFs (%s and %s in %s; Debian package %s): falling back to "
        "the core fonts, characters outside Windows-1252 print as '?'",
        REGULAR,
        BOLD,
        ", ".join(str(p) for p in places),
        DEBIAN_PACKAGE,
    )
    return None
