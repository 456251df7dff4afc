"""German first, English available (Flask-Babel; the msgids are German), as at the hub
(core/web/i18n.py, which the kit may not import): the choice is ``?lang=`` (remembered in a
cookie), then that cookie, then the browser's Accept-Language, then German."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, gettext, lazy_gettext

LOCALES = ("de", "en")
LANG_COOKIE = "svc_lang"


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def _l(text: str, **values: Any) -> str:
    """Translated when shown (labels in definitions made at import time)."""
    lazy: str = lazy_gettext(text, **values)
    return lazy


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.context_processor(lambda: {"current_locale": select_locale(), "lang_url": lang_url})


def select_locale() -> str:
    if "kit_locale" in g:
        return str(g.kit_locale)
    if not has_request_context():  # the command line: German
        return LOCALES[0]
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        g.kit_lang_choice = chosen
    else:
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen not in LOCALES:
            chosen = request.accept_languages.best_match(LOCALES) or LOCALES[0]
    g.kit_locale = chosen
    return str(chosen)


def lang_url(locale: str) -> str:
    """This page in another language: a plain link (no JavaScript), other parameters kept."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [locale]
    return request.path + "?" + urlencode(args, doseq=True)


def _remember_choice(response: Response) -> Response:
    choice = g.get("kit_lang_choice")
    if choice:
        response.set_cookie(
            LANG_COOKIE,
            choice,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure,
            httponly=True,
        )
    return response
