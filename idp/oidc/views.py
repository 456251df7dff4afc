"""The citizen's "Verbundene Dienste" page: consents given, and their revocation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account import api
from account.attributes import BY_NAME
from core.db import db
from idp.oidc import consent, refresh, registry
from idp.oidc.blueprint import bp
from idp.oidc.forms import ConfirmForm


@bp.get("/konto/dienste")
def consents() -> ResponseReturnValue:
    identity = api.current_identity()
    if identity is None:
        return redirect(api.login_url(url_for("oidc.consents")), 303)
    rows = [
        (
            c,
            registry.display_name(c.client_id),
            [str(BY_NAME[n].label) for n in BY_NAME if n in c.claims],
        )
        for c in consent.of_citizen(identity.citizen_id)
    ]
    return render_template("oidc/consents.html", rows=rows, form=ConfirmForm())


@bp.post("/konto/dienste/<client_id>/widerrufen")
def revoke_consent(client_id: str) -> ResponseReturnValue:
    identity = api.current_identity()
    if identity is None:
        return redirect(api.login_url(url_for("oidc.consents")), 303)
    form = ConfirmForm()
    if form.validate_on_submit() and consent.revoke(
        identity.citizen_id, client_id, request.remote_addr or "unknown"
    ):
        refresh.revoke_for(identity.citizen_id, client_id)
        db.session.commit()
        flash(
            _("Die Freigabe wurde widerrufen. Der Dienst fragt beim nächsten Mal erneut."),
            "success",
        )
    return redirect(url_for("oidc.consents"), 303)
