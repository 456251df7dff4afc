"""Forgotten password: request a link, then set a new password with it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account import recovery
from account.emails import normalise
from account.forms import EmailOnlyForm, NewPasswordForm
from account.services import services
from account.views import bp, client_address


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    form = EmailOnlyForm()
    if form.validate_on_submit():
        recovery.request_reset(normalise(form.email.data or "") or "", client_address())
        return render_template("account/reset_sent.html")
    return render_template("account/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    citizen = recovery.reset_link_citizen(token)
    if citizen is None:
        return render_template(
            "account/link_invalid.html", retry_url=url_for("account.forgot_password")
        ), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        problems = services().policy.problems(form.password.data or "", citizen.email)
        if not problems:
            if recovery.complete_reset(token, form.password.data or "", client_address()):
                flash(_("Ihr neues Passwort ist gesetzt. Bitte melden Sie sich an."), "success")
                return redirect(url_for("account.login"), 303)
            return render_template(
                "account/link_invalid.html", retry_url=url_for("account.forgot_password")
            ), 410
        form.password.errors = list(form.password.errors) + problems
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/reset.html", form=form, min_length=services().policy.min_length
    ), status
