"""Login and logout endpoints of both channels (citizen, back office) and both protocols."""

from __future__ import annotations

import logging

from flask import redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from services.kit import context, local_sessions, login_oidc, login_saml
from services.kit.application_views import NEXT_KEY
from services.kit.blueprint import bp
from services.kit.definition import Service
from services.kit.i18n import _
from services.kit.session import regenerate, session_id
from services.kit.visitor import Channel, Visitor, remember

log = logging.getLogger("service.login")
HOME = {"citizen": "kit.application_form", "clerk": "kit.clerk_list"}


def _channel(name: str) -> Channel:
    if name not in ("citizen", "clerk"):
        raise NotFound()
    return "citizen" if name == "citizen" else "clerk"


def _wanted_level(service: Service, channel: Channel) -> str:
    """The service's level for citizens; a clerk needs only "low" (the hub's clerk client has
    that minimum; the SAML face asks the same, login_saml.py)."""
    return service.level if channel == "citizen" else "low"


def start_login(channel: Channel) -> ResponseReturnValue:
    service = context.service()
    if service.protocol == "oidc":
        level = _wanted_level(service, channel)
        return login_oidc.start(context.oauth(), channel, level)  # type: ignore[no-any-return]
    return redirect(login_saml.saml().start(channel), 303)


@bp.get("/anmelden")
def login() -> ResponseReturnValue:
    return start_login("citizen")


@bp.get("/verwaltung/anmelden")
def clerk_login() -> ResponseReturnValue:
    return start_login("clerk")


def _logged_in(visitor: Visitor) -> ResponseReturnValue:
    keep = {k: v for k, v in session.items() if k.startswith("visitor:")}
    back = session.get(NEXT_KEY) if visitor.channel == "citizen" else None
    session.clear()
    regenerate(session)  # a new session id after login (session fixation)
    session.update(keep)
    remember(visitor)
    local_sessions.remember(session_id(session), visitor)
    if isinstance(back, str) and back.startswith("/antrag/") and "//" not in back:
        return redirect(back, 303)  # set by this service itself (application_views)
    return redirect(url_for(HOME[visitor.channel]), 303)


def _refused(reason: str) -> ResponseReturnValue:
    log.info("login refused: %s", reason[:200])
    message = _(
        "Die Anmeldung ist nicht gelungen oder reicht für diesen Dienst nicht aus. "
        "Bitte versuchen Sie es erneut."
    )
    return render_template("kit/error.html", message=message), 403


@bp.get("/oidc/callback/<channel>")
def oidc_callback(channel: str) -> ResponseReturnValue:
    chosen = _channel(channel)
    service = context.service()
    try:
        visitor = login_oidc.finish(
            context.oauth(), service, chosen, _wanted_level(service, chosen)
        )
    except login_oidc.LoginRefused as exc:
        return _refused(str(exc))
    except Exception as exc:  # Authlib's errors (state, token, ID token) and the hub's answers
        return _refused(f"{type(exc).__name__}: {exc}")
    return _logged_in(visitor)


@bp.get("/saml/metadata")
def saml_metadata() -> ResponseReturnValue:
    return login_saml.saml().metadata("citizen"), 200, {"Content-Type": "application/xml"}


@bp.get("/verwaltung/saml/metadata")
def clerk_saml_metadata() -> ResponseReturnValue:
    return login_saml.saml().metadata("clerk"), 200, {"Content-Type": "application/xml"}


def _acs(channel: Channel) -> ResponseReturnValue:
    try:
        visitor = login_saml.saml().finish(channel)
    except login_saml.LoginRefused as exc:
        return _refused(str(exc))
    return _logged_in(visitor)


@bp.post("/saml/acs")
def saml_acs() -> ResponseReturnValue:
    return _acs("citizen")


@bp.post("/verwaltung/saml/acs")
def clerk_saml_acs() -> ResponseReturnValue:
    return _acs("clerk")
