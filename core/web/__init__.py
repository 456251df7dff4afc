"""Web basics shared by every page: layout, i18n, CSRF, server-side session, headers, errors."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.settings import Settings
from core.web import errors, headers, i18n
from core.web.session import StoreSessionInterface

csrf = CSRFProtect()

web = Blueprint(
    "web",
    __name__,
    static_folder="../static",
    static_url_path="/static",
    template_folder="../templates",
)


def init_web(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="bp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.uses_https,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if settings.uses_https else "http",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives exactly as long as the server-side session
        # Flask-WTF's https Referer check cannot work here: every page sends
        # ``Referrer-Policy: no-referrer``, so browsers send no Referer (and ``Origin: null``)
        # with our own form posts. The session-bound token and SameSite cookies carry CSRF.
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )
    app.session_interface = StoreSessionInterface()
    csrf.init_app(app)
    i18n.init_i18n(app, settings)
    headers.init_headers(app)
    errors.init_errors(app)
    app.register_blueprint(web)
