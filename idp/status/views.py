"""The citizen's "Meine Anträge": every reported application with its timeline, newest first."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from account import api
from core.db import db
from idp.oidc import registry
from idp.status import states
from idp.status.blueprint import bp
from idp.status.models import StatusApplication


@bp.get("/konto/antraege")
def applications() -> ResponseReturnValue:
    identity = api.current_identity()
    if identity is None:
        return redirect(api.login_url(url_for("status.applications")), 303)
    query = (
        select(StatusApplication)
        .where(StatusApplication.citizen_id == identity.citizen_id)
        .order_by(StatusApplication.updated_at.desc(), StatusApplication.created_at.desc())
    )
    # newest first by the time the services report for their latest change (the hub's
    # receiving time could reorder updates that arrive late)
    rows = sorted(
        db.session.scalars(query),
        key=lambda a: max((e.occurred_at for e in a.events), default=a.updated_at),
        reverse=True,
    )
    names = {row.client_id: registry.display_name(row.client_id) for row in rows}
    return render_template("status/applications.html", rows=rows, names=names, label=states.label)
