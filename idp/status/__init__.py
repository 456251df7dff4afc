"""The status inbox: relying parties report how a citizen's application is going; the citizen
sees every application with its timeline under "Meine Anträge" and gets a mail on each change.

API: ``POST /api/status/v1/updates`` with a client_credentials token (scope ``status:write``),
see :mod:`idp.status.inbox` and docs/SERVICES.md.
"""

from __future__ import annotations

from flask import Flask

from idp.status import models  # noqa: F401  (registers the tables)


def init_status(app: Flask) -> None:
    from account import api
    from core.web import csrf
    from idp.status import export, inbox, views
    from idp.status.blueprint import bp

    app.register_blueprint(bp)
    api.register_export_section(app, export.SECTION, export.applications_of)
    csrf.exempt(inbox.receive)  # a bearer-token API: no browser form posts here
    del views  # its routes register on import
