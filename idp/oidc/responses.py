"""Authorization responses: ``query`` (RFC 6749 §4.1.2) or ``form_post`` (OAuth 2.0 Form Post
Response Mode), always with ``iss`` (RFC 9207) and the echoed ``state``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, redirect, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from core.web.errors import render_error
from idp.oidc.config import oidc
from idp.oidc.request import Target


def to_client(target: Target, params: dict[str, str]) -> WerkzeugResponse:
    values = dict(params)
    if target.state is not None:
        values["state"] = target.state
    values["iss"] = oidc().issuer
    if target.response_mode == "form_post":
        return _form_post(target.redirect_uri, values)
    return redirect(_with_query(target.redirect_uri, values), 303)


def error_to_client(target: Target, error: str, description: str) -> WerkzeugResponse:
    """RFC 6749 §4.1.2.1 error response to the registered redirect_uri."""
    return to_client(target, {"error": error, "error_description": description})


def _with_query(uri: str, values: dict[str, str]) -> str:
    """Add parameters, keeping the registered URI's own query (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(values.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _form_post(uri: str, values: dict[str, str]) -> Response:
    body = render_template("oidc/form_post.html", action=uri, values=values)
    response = Response(body, mimetype="text/html")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(uri))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"form-action {origin}; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def error_page(reason: str) -> Response:
    """The citizen's page for a request that must not be redirected anywhere."""
    message = _(
        "Die Anmeldung bei diesem Dienst ist nicht möglich: der Dienst ist nicht bekannt "
        "oder die Rücksprungadresse ist nicht registriert. Bitte wenden Sie sich an den "
        "Anbieter des Dienstes."
    )
    response = render_error(400, message)
    response.headers["X-Oidc-Error"] = reason
    return response
