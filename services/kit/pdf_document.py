"""The layout every service PDF shares (receipt, archive document, certificates): fpdf2 with an
embedded, subset Unicode font (services/kit/fonts.py), text normalised to NFC.

A character the font lacks is printed as "?" (never dropped silently); without the Unicode
font the core fonts print Windows-1252 (Latin-1 with „“ – €) only, the same way.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from fpdf import FPDF, FontFace
from fpdf.fonts import TTFFont

from services.kit.fonts import FAMILY, unicode_font

CORE_FAMILY = "Helvetica"
#: The core fonts' widest encoding: Latin-1 plus „“ – € and a few more.
CORE_ENCODING = "windows-1252"
AUTHOR = "Stadtverwaltung – Bürgerportal"


def when(moment: datetime | None) -> str:
    return moment.strftime("%d.%m.%Y %H:%M UTC") if moment else "–"


class Document(FPDF):
    """One A4 document: ``line_of`` for paragraphs, ``pairs`` for label/value rows."""

    def __init__(self, title: str, author: str = AUTHOR) -> None:
        super().__init__(format="A4")
        fonts = unicode_font()
        self.kit_family = CORE_FAMILY if fonts is None else FAMILY
        #: The code points the Unicode font has glyphs for (None: core fonts).
        self.glyphs: frozenset[int] | None = None
        if fonts is None:
            self.core_fonts_encoding = CORE_ENCODING
        else:
            self.add_font(FAMILY, "", fonts.regular)  # subset on output (fpdf2's default)
            self.add_font(FAMILY, "B", fonts.bold)
            regular = self.fonts[FAMILY.lower()]
            assert isinstance(regular, TTFFont)
            self.glyphs = frozenset(regular.cmap)
        self.set_title(self.printable(title))
        self.set_author(self.printable(author))
        self.set_creator("Bürgerportal service kit")
        self.add_page()
        self.set_font(self.kit_family, size=11)

    def printable(self, text: str) -> str:
        """``text`` in NFC, each character the font cannot print replaced by "?"."""
        text = unicodedata.normalize("NFC", str(text))
        if self.glyphs is None:
            return text.encode(CORE_ENCODING, "replace").decode(CORE_ENCODING)
        glyphs = self.glyphs
        return "".join(c if ord(c) in glyphs or c == "\n" else "?" for c in text)

    def line_of(self, text: str, bold: bool = False, size: float = 11) -> None:
        self.set_font(self.kit_family, "B" if bold else "", size)
        self.multi_cell(
            0, size * 0.55, self.printable(text), align="L", new_x="LMARGIN", new_y="NEXT"
        )

    def pairs(self, rows: list[tuple[str, str]], label_width: float = 65) -> None:
        """Label (bold) and value side by side; both wrap, a row never splits across pages."""
        if not rows:
            return
        self.set_font(self.kit_family, "", 10)
        label = FontFace(emphasis="BOLD")
        with self.table(
            col_widths=(label_width, self.epw - label_width),
            width=self.epw,
            first_row_as_headings=False,
            borders_layout="NONE",
            text_align="LEFT",
            v_align="TOP",
            line_height=5,
            padding=(0.5, 1, 0.5, 0),
        ) as table:
            for name, value in rows:
                row = table.row()
                row.cell(self.printable(name), style=label)
                row.cell(self.printable(value or "–"))

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())
