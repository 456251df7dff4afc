"""German-first texts of the service apps (Flask-Babel; the msgids are German)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def _l(text: str, **values: Any) -> str:
    """Translated when shown (labels in definitions made at import time)."""
    lazy: str = lazy_gettext(text, **values)
    return lazy
