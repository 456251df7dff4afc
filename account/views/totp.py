"""Pages of the second factor (docs/TOTP.md): the code after the password, the step-up with
the code, and on "Sicherheit" switching it on (QR code, the secret as text, ten recovery codes
shown once) and off. Every page works without JavaScript."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account.forms import CodeForm, RecoveryCodeForm
from account.services import services
from account.totp import check, credential, flows, waiting
from account.views import (
    DEVICE_COOKIE,
    bp,
    client_address,
    fresh_login_first,
    login_required,
    me,
    my_session,
    safe_next,
)
from account.views.auth import enter, too_many_attempts
from core.web.session import regenerate_session


def device_id() -> str:
    return request.cookies.get(DEVICE_COOKIE) or ""


def _form(recovery: bool) -> CodeForm | RecoveryCodeForm:
    return RecoveryCodeForm() if recovery else CodeForm()


def wrong_code(form: CodeForm | RecoveryCodeForm, recovery: bool) -> None:
    form.code.errors = [
        _("Dieser Wiederherstellungscode gilt nicht (mehr).")
        if recovery
        else _(
            "Der Code ist nicht richtig. Bitte geben Sie den Code ein, den Ihre App gerade "
            "anzeigt; jeder Code gilt nur einmal."
        )
    ]


# --- the second page of the login ------------------------------------------------------------


@bp.route("/anmelden/code", methods=["GET", "POST"], endpoint="login_code")
def login_code() -> ResponseReturnValue:
    found = waiting.current()
    if found is None:
        return redirect(url_for("account.login"), 303)
    recovery = bool(request.args.get("wiederherstellung"))
    form = _form(recovery)
    if form.validate_on_submit():
        answer = _log_in(found, form, recovery)
        if answer is not None:
            return answer
    status = 400 if request.method == "POST" else 200
    return render_template("account/totp_code.html", form=form, recovery=recovery), status


def _log_in(
    found: waiting.Waiting, form: CodeForm | RecoveryCodeForm, recovery: bool
) -> ResponseReturnValue | None:
    citizen, address = found.citizen, client_address()
    result = flows.log_in(
        citizen, form.code.data or "", recovery, address, device_id(), request.user_agent.string
    )
    if isinstance(result, check.Throttled):
        raise too_many_attempts(result.retry_after)
    if isinstance(result, check.Wrong):
        if not waiting.wrong(found):
            flash(_("Zu viele falsche Codes. Bitte melden Sie sich erneut an."), "error")
            return redirect(url_for("account.login", next=found.next_path or None), 303)
        wrong_code(form, recovery)
        return None
    if not isinstance(result, flows.LoggedIn):
        return None
    waiting.drop(found)
    if result.recovery_codes_left is not None:
        flash(
            _(
                "Sie haben sich mit einem Wiederherstellungscode angemeldet; er gilt nun nicht "
                "mehr. Ihnen bleiben %(n)d Codes. Haben Sie keinen Zugriff mehr auf Ihre App, "
                "schalten Sie die Anmeldung mit Code unter „Sicherheit“ aus und richten Sie sie "
                "neu ein.",
                n=result.recovery_codes_left,
            ),
            "success",
        )

    def trust(device: str) -> None:
        services().throttle.succeeded(citizen.email, address, device)
        check.trust_device(citizen, address, device)

    return enter(result.sso, safe_next(found.next_path, url_for("account.profile")), trust)


# --- step-up ---------------------------------------------------------------------------------


@bp.route("/anmelden/code/bestaetigen", methods=["GET", "POST"], endpoint="totp_step_up")
@login_required
def step_up() -> ResponseReturnValue:
    """Raise this password session with the code (the relying party needs more)."""
    next_path = safe_next(request.args.get("next"), url_for("account.profile"))
    cancel = safe_next(request.args.get("abbrechen"), "")
    if not flows.raises(me(), my_session()):
        return redirect(next_path, 303)
    form = CodeForm()
    if form.validate_on_submit():
        result = flows.step_up(
            me(), my_session(), form.code.data or "", client_address(), device_id()
        )
        if isinstance(result, check.Throttled):
            raise too_many_attempts(result.retry_after)
        if isinstance(result, check.Accepted):
            regenerate_session(keep=True)
            return redirect(next_path, 303)
        wrong_code(form, False)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/totp_step_up.html", form=form, next_path=next_path, cancel=cancel or None
    ), status


# --- switching it on and off ("Sicherheit") ---------------------------------------------------


def not_fresh() -> ResponseReturnValue | None:
    """A login of the last minutes, or the way to log in again (then back here)."""
    return fresh_login_first()


@bp.route("/konto/sicherheit/app", methods=["GET", "POST"], endpoint="totp_enrol")
@login_required
def enrol() -> ResponseReturnValue:
    if me().totp is not None:
        return redirect(url_for("account.sessions", _anchor="app-code"), 303)
    if me().password_hash is None:
        return render_template("account/totp_no_password.html"), 409
    again = not_fresh()
    if again is not None:
        return again
    form = CodeForm()
    if form.validate_on_submit():
        result = flows.enable(
            me(), my_session(), form.code.data or "", client_address(), device_id()
        )
        if isinstance(result, check.Throttled):
            raise too_many_attempts(result.retry_after)
        if isinstance(result, flows.Enabled):  # shown in this answer only, never stored
            return render_template("account/totp_recovery_codes.html", codes=result.recovery_codes)
        if isinstance(result, flows.AlreadyEnabled):
            return redirect(url_for("account.sessions", _anchor="app-code"), 303)
        if isinstance(result, flows.NothingWaiting):
            form.code.errors = [
                _(
                    "Die Einrichtung ist abgelaufen. Bitte richten Sie Ihre App mit dem neuen "
                    "Schlüssel ein."
                )
            ]
        else:
            wrong_code(form, False)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/totp_enrol.html", form=form, enrolment=flows.enrolment(me())
    ), status


@bp.route("/konto/sicherheit/app/ausschalten", methods=["GET", "POST"], endpoint="totp_disable")
@login_required
def disable() -> ResponseReturnValue:
    if me().totp is None:
        return redirect(url_for("account.sessions"), 303)
    again = not_fresh()
    if again is not None:
        return again
    recovery = bool(request.args.get("wiederherstellung"))
    form = _form(recovery)
    if form.validate_on_submit():
        result = flows.disable(me(), form.code.data or "", recovery, client_address(), device_id())
        if isinstance(result, check.Throttled):
            raise too_many_attempts(result.retry_after)
        if isinstance(result, check.Accepted):
            flash(_("Die Anmeldung mit Code aus der App ist ausgeschaltet."), "success")
            return redirect(url_for("account.sessions", _anchor="app-code"), 303)
        wrong_code(form, recovery)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/totp_disable.html",
        form=form,
        recovery=recovery,
        left=credential.recovery_codes_left(me().id),
    ), status
