"""One error handler: every failure becomes a page with an error id, never a stack trace."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("portal.errors")


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


def _titles() -> dict[int, str]:
    return {
        400: _("Die Anfrage ist ungültig."),
        403: _("Zugriff verweigert."),
        404: _("Diese Seite gibt es nicht."),
        405: _("Diese Aktion ist hier nicht erlaubt."),
        413: _("Die Anfrage ist zu groß."),
        429: _("Zu viele Versuche."),
        500: _("Ein interner Fehler ist aufgetreten."),
    }


def render_error(status: int, message: str | None = None, error_id: str | None = None) -> Response:
    error_id = error_id or secrets.token_hex(6)
    title = _titles().get(status, _("Ein Fehler ist aufgetreten."))
    body = render_template(
        "web/error.html", status=status, title=title, message=message, error_id=error_id
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["X-Error-Id"] = error_id
    return response


def handle_csrf(exc: CSRFError) -> Response:
    log.info("csrf rejected: %s %s", request.method, request.path)
    return render_error(
        400,
        _(
            "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. "
            "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
        ),
    )


def handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return handle_unexpected(exc)
    response = render_error(status, exc.description if _is_own_message(exc) else None)
    for name, value in exc.get_headers():
        if name.lower() in {"retry-after", "allow", "www-authenticate"}:
            response.headers[name] = value
    return response


def _is_own_message(exc: HTTPException) -> bool:
    """Our code passes citizen-facing descriptions; werkzeug's English defaults are not shown."""
    return bool(exc.description) and exc.description != type(exc).description


def handle_unexpected(exc: Exception) -> Response:
    error_id = secrets.token_hex(6)
    original = getattr(exc, "original_exception", None) or exc
    if not isinstance(original, InternalServerError) or original is not exc:
        log.error(
            "unhandled error %s on %s %s",
            error_id,
            request.method,
            request.path,
            exc_info=(type(original), original, original.__traceback__),
        )
    return render_error(500, error_id=error_id)
