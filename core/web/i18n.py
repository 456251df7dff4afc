"""German first, English available (Flask-Babel). Choice: ?lang=, then cookie, then browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import Babel

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
LANG_COOKIE = "bp_lang"


def init_i18n(app: Flask, settings: object) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = app.config.get("PORTAL_DEFAULT_LOCALE", "de")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.context_processor(lambda: {"current_locale": select_locale(), "lang_url": lang_url})


def lang_url(locale: str) -> str:
    """The current page in another language (other query parameters kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [locale]
    return request.path + "?" + urlencode(args, doseq=True)


def _locales() -> tuple[str, ...]:
    return tuple(current_app.config.get("PORTAL_LOCALES", ("de", "en")))


def select_locale() -> str:
    if "locale" in g:
        return str(g.locale)
    locales = _locales()
    if not has_request_context():  # the ``flask`` command line: the configured default
        return str(current_app.config.get("PORTAL_DEFAULT_LOCALE", locales[0]))
    chosen = request.args.get("lang")
    if chosen in locales:
        g.lang_choice = chosen
    else:
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen not in locales:
            chosen = request.accept_languages.best_match(locales) or locales[0]
    g.locale = chosen
    return chosen


def _remember_choice(response: Response) -> Response:
    choice = g.get("lang_choice")
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
