"""The administration start page (sections register themselves in ``admin_sections``)."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from account.views import bp
from core.web.auth import require_role

FRESH_LOGIN_SECONDS = 15 * 60


@bp.get("/verwaltung")
@require_role("admin", fresh_seconds=FRESH_LOGIN_SECONDS)
def admin_home() -> ResponseReturnValue:
    sections = current_app.extensions.get("admin_sections", [])
    return render_template("account/admin_home.html", sections=sections)
