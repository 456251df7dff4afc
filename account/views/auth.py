"""Registration, e-mail verification, login and logout."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as WerkzeugResponse

from account import api, registration
from account.emails import normalise
from account.forms import ConfirmForm, EmailOnlyForm, LoginForm, RegisterForm
from account.login import CodeNeeded, LoginSucceeded, LoginThrottled, password_login
from account.services import services
from account.sso import SsoSession
from account.totp import waiting
from account.views import (
    DEVICE_COOKIE,
    SSO_KEY,
    bp,
    client_address,
    safe_next,
)
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.web.i18n import select_locale
from core.web.session import regenerate_session


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template("account/home.html")


@bp.get("/barrierefreiheit")
def accessibility() -> ResponseReturnValue:
    return render_template("account/accessibility.html")


@bp.route("/registrieren", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    form = RegisterForm()
    if form.validate_on_submit():
        email = normalise(form.email.data or "") or ""
        problems = services().policy.problems(form.password.data or "", email)
        if not problems:
            registration.register(
                email, form.password.data or "", select_locale(), client_address()
            )
            return redirect(url_for("account.registered"), 303)
        form.password.errors = list(form.password.errors) + problems
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/register.html", form=form, min_length=services().policy.min_length
    ), status


@bp.get("/registrieren/gesendet")
def registered() -> ResponseReturnValue:
    return render_template("account/registered.html")


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
def verify_email(token: str) -> ResponseReturnValue:
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        citizen = registration.verify_email(token, client_address())
        if citizen is not None:
            flash(
                _("Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden."), "success"
            )
            return redirect(url_for("account.login"), 303)
    elif request.method == "GET" and registration.link_is_valid(token):
        return render_template("account/verify.html", form=form)
    return render_template(
        "account/link_invalid.html", retry_url=url_for("account.resend_verification")
    ), 410


@bp.route("/bestaetigung-erneut", methods=["GET", "POST"])
def resend_verification() -> ResponseReturnValue:
    form = EmailOnlyForm()
    if form.validate_on_submit():
        registration.resend(normalise(form.email.data or "") or "")
        return redirect(url_for("account.registered"), 303)
    return render_template("account/resend.html", form=form), 400 if form.errors else 200


@bp.route("/anmelden", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    next_path = safe_next(request.args.get("next"), url_for("account.profile"))
    if g.citizen is not None and request.method == "GET" and not request.args.get("erneut"):
        return redirect(next_path, 303)
    failed = False
    if request.method == "GET" and not form.email.data:
        form.email.data = (request.args.get("login_hint") or "")[:320]  # OIDC Core §3.1.2.1
    if form.validate_on_submit():
        response = _attempt(form, next_path)
        if response is not None:
            return response
        failed = True
    elif request.method == "POST":
        failed = bool(form.errors)
    return render_template(
        "account/login.html", form=form, failed=failed, reauth=bool(request.args.get("erneut"))
    ), 200


def _attempt(form: LoginForm, next_path: str) -> ResponseReturnValue | None:
    email = normalise(form.email.data or "") or ""
    device = request.cookies.get(DEVICE_COOKIE) or ""
    result = password_login(
        email, form.password.data or "", client_address(), device, request.user_agent.string
    )
    if isinstance(result, LoginThrottled):
        raise too_many_attempts(result.retry_after)
    if isinstance(result, CodeNeeded):  # the second page: no session yet
        regenerate_session(keep=True)  # a fixed session id gets nothing of the waiting login
        waiting.keep(result.citizen, next_path)
        return redirect(url_for("account.login_code"), 303)
    if not isinstance(result, LoginSucceeded):
        return None
    return enter(
        result.sso,
        next_path,
        lambda new_device: services().throttle.succeeded(email, client_address(), new_device),
    )


def too_many_attempts(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        _(
            "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie %(s)d Sekunden.",
            s=retry_after,
        ),
        retry_after=retry_after,
    )


def enter(sso: SsoSession, next_path: str, trust: Callable[[str], None]) -> WerkzeugResponse:
    """This browser is now logged in with ``sso`` (a new session id: fixation); a browser
    without a device id gets one, which ``trust`` marks as known to the throttle."""
    if g.sso is not None:
        services().sessions.end(g.sso)
    regenerate_session(keep=False)
    session[SSO_KEY] = sso.id
    response = redirect(next_path, 303)
    if not request.cookies.get(DEVICE_COOKIE):
        device = secrets.token_urlsafe(24)
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=365 * 24 * 3600,
            httponly=True,
            secure=request.is_secure,
            samesite="Lax",
        )
        trust(device)
    return response


@bp.post("/abmelden")
def logout() -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.home"), 303)
    ended = _end_this_session()
    regenerate_session(keep=False)
    onward = api.front_channel_logout(ended, url_for("account.logged_out")) if ended else None
    if onward is not None:  # the protocol faces tell their relying parties first
        return redirect(onward, 303)
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("account.home"), 303)


def _end_this_session() -> api.EndedSession | None:
    """End this browser's SSO session; None when there was none (or another end was first)."""
    sso = g.sso
    if sso is None:
        return None
    clients = services().sessions.end(sso)
    audit.record(
        AuditEvent.LOGOUT,
        now=services().clock.now(),
        citizen_id=sso.citizen_id,
        client_address=client_address(),
    )
    db.session.commit()
    return api.EndedSession(sso.id, sso.citizen_id, clients) if clients is not None else None


@bp.get("/abgemeldet")
def logged_out() -> ResponseReturnValue:
    """Where a logout that went round the relying parties lands: the home page, as always."""
    if g.sso is None:
        flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("account.home"), 303)
