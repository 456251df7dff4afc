"""The citizen's own pages: profile, sessions, password, e-mail, activity, export, deletion."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account import lifecycle, profile, recovery
from account.attributes import PROFILE_EDITABLE
from account.emails import normalise
from account.forms import (
    ChangePasswordForm,
    ConfirmForm,
    DeleteForm,
    EmailChangeForm,
    profile_form_class,
)
from account.services import services
from account.totp import credential
from account.views import bp, client_address, login_required, me, my_session
from account.views.eid import card_instead_of_password
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.web.session import regenerate_session


@bp.get("/konto/profil", endpoint="profile")
@login_required
def profile_page() -> ResponseReturnValue:
    return render_template("account/profile.html", rows=profile.rows(me()))


@bp.route("/konto/profil/bearbeiten", methods=["GET", "POST"])
@login_required
def edit_profile() -> ResponseReturnValue:
    rows = {r.attribute.name: r for r in profile.rows(me())}
    form = profile_form_class()(data={n: r.value or "" for n, r in rows.items()})
    if form.validate_on_submit():
        submitted = {
            a.name: form[a.name].data or "" for a in PROFILE_EDITABLE if rows[a.name].editable
        }
        changed = profile.update_self_values(me(), submitted, client_address())
        flash(
            _("Ihr Profil wurde gespeichert.") if changed else _("Es gab keine Änderungen."),
            "success",
        )
        return redirect(url_for("account.profile"), 303)
    status = 400 if form.errors else 200
    return render_template("account/profile_edit.html", form=form, rows=rows), status


@bp.get("/konto/sicherheit")
@login_required
def sessions() -> ResponseReturnValue:
    return render_template(
        "account/sessions.html",
        sessions=services().sessions.list_for(me().id),
        current=my_session().id,
        form=ConfirmForm(),
        totp_codes_left=credential.recovery_codes_left(me().id) if me().totp else 0,
    )


@bp.post("/konto/sitzungen/<sid>/beenden")
@login_required
def end_session(sid: str) -> ResponseReturnValue:
    form = ConfirmForm()
    own = sid == my_session().id
    if form.validate_on_submit() and not own and services().sessions.end_by_id(me().id, sid):
        _audit_revoked(1)
        flash(_("Die Anmeldung wurde beendet."), "success")
    return redirect(url_for("account.sessions"), 303)


@bp.post("/konto/sitzungen/andere-beenden")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = services().sessions.end_all(me().id, except_sid=my_session().id)
        _audit_revoked(ended)
        flash(_("Alle anderen Anmeldungen wurden beendet."), "success")
    return redirect(url_for("account.sessions"), 303)


def _audit_revoked(count: int) -> None:
    audit.record(
        AuditEvent.SESSION_REVOKED,
        now=services().clock.now(),
        citizen_id=me().id,
        client_address=client_address(),
        count=count,
    )
    db.session.commit()


@bp.route("/konto/passwort", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problems = services().policy.problems(form.password.data or "", me().email)
        if not problems:
            if recovery.change_password(
                me(),
                form.current.data or "",
                form.password.data or "",
                my_session().id,
                client_address(),
            ):
                regenerate_session()
                flash(
                    _("Ihr Passwort wurde geändert. Alle anderen Anmeldungen wurden beendet."),
                    "success",
                )
                return redirect(url_for("account.sessions"), 303)
            form.current.errors = [_("Das aktuelle Passwort ist nicht richtig.")]
        else:
            form.password.errors = list(form.password.errors) + problems
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/change_password.html", form=form, min_length=services().policy.min_length
    ), status


@bp.route("/konto/email", methods=["GET", "POST"])
@login_required
def change_email() -> ResponseReturnValue:
    form = EmailChangeForm()
    card = card_instead_of_password(form)  # an account without password: a recent card login
    if card is not None and not card.confirmed:
        return render_template("account/change_email.html", form=form, card=card)
    if form.validate_on_submit():
        new_email = normalise(form.email.data or "") or ""
        if lifecycle.request_email_change(
            me(), new_email, _password(form), client_address(), card_confirmed=card is not None
        ):
            flash(_("Wir haben einen Bestätigungslink an die neue Adresse geschickt."), "success")
            return redirect(url_for("account.profile"), 303)
        form.password.errors = [_("Das aktuelle Passwort ist nicht richtig.")]
    status = 400 if request.method == "POST" else 200
    return render_template("account/change_email.html", form=form, card=card), status


def _password(form: EmailChangeForm | DeleteForm) -> str:
    field = form.password  # None when a card login confirms instead
    return (field.data or "") if field is not None else ""


@bp.route("/email-bestaetigen/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str) -> ResponseReturnValue:
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if lifecycle.confirm_email_change(token, client_address()) is not None:
            flash(_("Ihre neue E-Mail-Adresse ist bestätigt."), "success")
            return redirect(url_for("account.profile"), 303)
    elif request.method == "GET" and services().links.peek(lifecycle.EMAIL_CHANGE, token):
        return render_template("account/verify.html", form=form)
    return render_template(
        "account/link_invalid.html", retry_url=url_for("account.change_email")
    ), 410


@bp.get("/konto/aktivitaet")
@login_required
def activity() -> ResponseReturnValue:
    return render_template("account/activity.html", records=audit.for_citizen(me().id))


@bp.route("/konto/daten", methods=["GET", "POST"])
@login_required
def export() -> ResponseReturnValue:
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("account/export.html", form=form)
    data = lifecycle.export(me(), client_address())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="buergerkonto.json"'},
    )


@bp.route("/konto/loeschen", methods=["GET", "POST"])
@login_required
def delete_account() -> ResponseReturnValue:
    form = DeleteForm()
    card = card_instead_of_password(form)  # an account without password: a recent card login
    if card is not None and not card.confirmed:
        return render_template("account/delete.html", form=form, card=card)
    if form.validate_on_submit():
        if lifecycle.delete(
            me(), _password(form), client_address(), card_confirmed=card is not None
        ):
            regenerate_session(keep=False)
            flash(_("Ihr Bürgerkonto wurde gelöscht."), "success")
            return redirect(url_for("account.home"), 303)
        form.password.errors = [_("Das aktuelle Passwort ist nicht richtig.")]
    status = 400 if request.method == "POST" else 200
    return render_template("account/delete.html", form=form, card=card), status
