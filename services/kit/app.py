"""``create_service_app``: one service definition + its configuration -> a Flask app."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, Response, request
from flask.cli import with_appcontext
from flask_wtf.csrf import CSRFProtect

from services.kit import login_oidc, login_saml
from services.kit.config import (
    ConfigError,
    PaymentConfig,
    QuotaTerms,
    ServiceConfig,
    load_fees,
    load_quota_terms,
)
from services.kit.definition import Service
from services.kit.i18n import init_i18n
from services.kit.models import db
from services.kit.payment.base import Provider
from services.kit.payment.giro import Giro
from services.kit.payment.paypal import PayPal
from services.kit.push import StatusPusher
from services.kit.quota import Quota
from services.kit.sender import StatusSender
from services.kit.session import SqlSessionInterface
from services.kit.storage import sqlalchemy_url, upgrade

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'{extra}; frame-ancestors 'none'"
)


def create_service_app(service: Service, config: ServiceConfig) -> Flask:
    config.check()
    fees = load_fees(config.fees_file, service.key)
    _check_fees(service, fees)
    quota = _quota(service, load_quota_terms(config.fees_file, service.key))
    app = Flask(f"services.{service.key}", static_folder=None)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(config.database_url),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_NAME=f"svc_{service.key}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=config.uses_https,
        # The SAML response is a cross-site POST: over https the session cookie must be
        # SameSite=None (DESIGN.md field notes); the forms carry CSRF tokens either way.
        SESSION_COOKIE_SAMESITE="None"
        if config.uses_https and service.protocol == "saml"
        else "Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=256 * 1024,
        BABEL_DEFAULT_LOCALE="de",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        PREFERRED_URL_SCHEME="https" if config.uses_https else "http",
        SERVER_NAME=None,
    )
    db.init_app(app)
    app.session_interface = SqlSessionInterface()
    init_i18n(app)
    app.extensions.update(
        kit_service=service,
        kit_config=config,
        kit_fees=fees,
        kit_quota=quota,
        kit_providers=_providers(config.payment),
    )
    sender = StatusSender(app, _pusher(service, config), config.push_policy, config.push_interval)
    app.extensions["kit_sender"] = sender
    app.before_request(sender.start)  # each process its own thread, started by its first request
    if service.protocol == "oidc":
        app.extensions["kit_oauth"] = login_oidc.init(app, service, config)
    else:
        login_saml.init(app, config, service.level, service.title)
    _blueprint(app)
    app.context_processor(lambda: {"service": service, "clerk_view": False})
    csp = CSP.format(extra="".join(" " + o for o in _origins(config)))
    app.after_request(lambda response: _headers(response, csp))
    app.cli.add_command(_migrate_command(config))
    app.cli.add_command(_push_command())
    app.cli.add_command(_cleanup_command(config))
    for code in (400, 401, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)
    return app


def _error_page(error: Exception) -> tuple[str, int]:
    """Every error as the service's own page (German first), never a bare server page."""
    from flask import render_template

    from services.kit.i18n import _

    code = getattr(error, "code", 500) or 500
    messages = {
        401: _("Bitte melden Sie sich an."),
        403: _("Dafür fehlt Ihnen die Berechtigung."),
        404: _("Diese Seite gibt es nicht (mehr)."),
        413: _(
            "Das war zu viel auf einmal: eine Datei darf höchstens 5 MB groß sein. Bitte gehen "
            "Sie zurück und wählen Sie eine kleinere Datei; es wurde nichts gespeichert."
        ),
    }
    message = messages.get(code, _("Die Anfrage konnte nicht bearbeitet werden."))
    return render_template("kit/error.html", message=message), code


def _blueprint(app: Flask) -> None:
    from services.kit import (  # noqa: F401
        application_views,
        backoffice,
        login_views,
        logout_views,
        pay_views,
        views,
    )
    from services.kit.blueprint import bp

    app.before_request(_upload_limit)  # before the CSRF check reads the form
    csrf = CSRFProtect(app)
    for view in (
        pay_views.payment_notification,
        login_views.saml_acs,
        login_views.clerk_saml_acs,
        logout_views.backchannel_logout,
    ):
        csrf.exempt(view)  # provider and hub notifications, the SAML POST binding: signed
    app.register_blueprint(bp)


def _upload_limit() -> None:
    """Forms with file inputs may send up to :func:`uploads.request_limit`; every other request
    stays within MAX_CONTENT_LENGTH (Flask answers 413 before reading more)."""
    from services.kit import context, uploads

    if request.endpoint == "kit.application_form":
        files = sum(f.kind == "file" for f in context.service().fields)
        if files:
            request.max_content_length = uploads.request_limit(files)
    elif request.endpoint == "kit.answer_question":
        request.max_content_length = uploads.request_limit(1)


def _check_fees(service: Service, fees: dict[str, int]) -> None:
    if service.fee is None:
        return
    if service.fee.by_field is None:
        needed = {"default"}
    else:
        needed = {code for code, _label in service.field(service.fee.by_field).choices}
    missing = needed - set(fees)
    if missing:
        raise ConfigError(f"fees of {service.key}: missing {', '.join(sorted(missing))}")


def _quota(service: Service, terms: QuotaTerms | None) -> Quota | None:
    """The definition's free quota with its configured terms; refuses one without the other
    and a year field that is not a required date asked of every application."""
    rule = service.free_quota
    if rule is None:
        if terms is not None:
            raise ConfigError(
                f"fees of {service.key}: a yearly free quota is configured, but "
                "this service counts none (remove frei_pro_jahr/gebuehr_je_weitere)"
            )
        return None
    if terms is None:
        raise ConfigError(
            f"fees of {service.key}: the service is free up to N applications a year: set "
            "frei_pro_jahr and gebuehr_je_weitere"
        )
    if service.fee is not None:
        raise ConfigError(f"{service.key}: a fee rule and a yearly free quota exclude each other")
    year_field = next((f for f in service.fields if f.name == rule.year_field), None)
    if (
        year_field is None
        or year_field.kind != "date"
        or not year_field.required
        or year_field.when
    ):
        raise ConfigError(
            f"{service.key}: the free quota's year field {rule.year_field!r} must be a required "
            "date field of every application"
        )
    return Quota(service.key, rule, terms)


def _providers(config: PaymentConfig) -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    if "paypal" in config.providers:
        found["paypal"] = PayPal(
            config.paypal_api,
            config.paypal_client_id,
            config.paypal_secret,
            config.paypal_webhook_id,
        )
    if "giro" in config.providers:
        found["giro"] = Giro(
            config.giro_api,
            config.giro_merchant_id,
            config.giro_project_id,
            config.giro_secret,
            config.giro_hash,
        )
    return found


def _pusher(service: Service, config: ServiceConfig) -> StatusPusher:
    timeout = (min(3.05, config.push_timeout), config.push_timeout)
    if service.protocol == "oidc":
        return StatusPusher(
            config.hub_url, config.client_id, config.client_secret, config.base_url, timeout
        )
    return StatusPusher(
        config.hub_url,
        config.status_client_id,
        config.status_client_secret,
        config.base_url,
        timeout,
    )


def _origins(config: ServiceConfig) -> list[str]:
    """Where a form of ours may lead: CSP form-action covers the redirects after the post
    (CSP 3 §6.4.1; Chromium holds them, w3c/webappsec-csp#8): "Bezahlen" to the payment
    providers, "Abmelden" to the hub (RP-Initiated Logout, SAML SLO)."""
    found: list[str] = []
    for url in (config.hub_url, config.payment.paypal_api, config.payment.giro_api):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme and parts.netloc and origin not in found:
            found.append(origin)
    return found


def _headers(response: Response, csp: str) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", csp)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint != "kit.static":
        h.setdefault("Cache-Control", "no-store")
    return response


def _migrate_command(config: ServiceConfig) -> click.Command:
    @click.command("migrate")
    def migrate() -> None:
        """Bring the service's database to the newest kit revision."""
        upgrade(config.database_url)
        click.echo("service schema is up to date")

    return migrate


def _cleanup_command(config: ServiceConfig) -> click.Command:
    @click.command("cleanup")
    def cleanup() -> None:
        """Drop abandoned drafts, expired sessions and expired replay-cache entries."""
        from services.kit.applications import drop_stale_drafts
        from services.kit.session import purge_expired

        drafts = drop_stale_drafts(config.draft_ttl)
        sessions = purge_expired()
        click.echo(f"{drafts} abandoned drafts and {sessions} expired sessions removed")

    return cleanup


def _push_command() -> click.Command:
    @click.command("push-status")
    @with_appcontext
    @click.option("--requeue", is_flag=True, help="Try the failed ones again as well.")
    def push(requeue: bool) -> None:
        """Send the state changes the hub has not accepted yet, now (backoff or not)."""
        from flask import current_app

        from services.kit import outbox

        if requeue:
            click.echo(f"{outbox.requeue()} failed updates queued again")
        sent = current_app.extensions["kit_sender"].drain(due_only=False, limit=1000)
        click.echo(f"{sent} updates sent, {outbox.pending_count()} still pending")

    return push
