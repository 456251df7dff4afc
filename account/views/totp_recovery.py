"""When the second factor's fall-backs run short (docs/TOTP.md): new recovery codes after a
fresh login and a right code from the app (shown in the answer only), and switching the
factor off with the ID card instead of a code (phone and recovery codes lost). No JavaScript.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account.forms import CodeForm, ConfirmForm
from account.totp import check, credential, flows
from account.views import bp, client_address, login_required, me, my_session
from account.views.auth import too_many_attempts
from account.views.totp import device_id, not_fresh, wrong_code

_SECURITY_ANCHOR = "app-code"


def _security() -> ResponseReturnValue:
    return redirect(url_for("account.sessions", _anchor=_SECURITY_ANCHOR), 303)


@bp.route(
    "/konto/sicherheit/app/wiederherstellungscodes",
    methods=["GET", "POST"],
    endpoint="totp_renew_codes",
)
@login_required
def renew_codes() -> ResponseReturnValue:
    """Ten new recovery codes for the old ones ("Neue Wiederherstellungscodes erzeugen")."""
    if me().totp is None:
        return _security()
    again = not_fresh()
    if again is not None:
        return again
    form = CodeForm()
    if form.validate_on_submit():
        result = flows.renew_recovery_codes(
            me(), form.code.data or "", client_address(), device_id()
        )
        if isinstance(result, check.Throttled):
            raise too_many_attempts(result.retry_after)
        if isinstance(result, flows.Renewed):  # shown in this answer only, never stored
            return render_template(
                "account/totp_recovery_codes.html", codes=result.recovery_codes, renewed=True
            )
        wrong_code(form, False)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "account/totp_renew_codes.html", form=form, left=credential.recovery_codes_left(me().id)
    ), status


@bp.route(
    "/konto/sicherheit/app/ausschalten/ausweis",
    methods=["GET", "POST"],
    endpoint="totp_disable_card",
)
@login_required
def disable_with_card() -> ResponseReturnValue:
    """Switch off after a card login of level high in the last minutes: the page asks for the
    card (a step-up of this session coming back here), then for a click."""
    if "eid" not in current_app.extensions:
        abort(404)
    if me().totp is None:
        return _security()
    if not me().eid_links:
        return render_template("account/totp_disable_card.html", linked=False), 409
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if flows.disable_with_card(me(), my_session(), client_address()):
            flash(_("Die Anmeldung mit Code aus der App ist ausgeschaltet."), "success")
            return _security()
        if me().totp is None:  # switched off meanwhile (another tab, the support desk)
            return _security()
    proven = flows.card_proves(my_session())
    # a POST without a recent card login: 403; with one, the form itself was bad (CSRF): 400
    status = 200 if request.method == "GET" else (400 if proven else 403)
    return render_template(
        "account/totp_disable_card.html",
        linked=True,
        proven=proven,
        form=form,
        card_url=url_for("account.eid_start", next=url_for("account.totp_disable_card")),
    ), status
