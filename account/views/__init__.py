"""The Bürgerkonto's pages (one blueprint, split by topic)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from account.models import Citizen, citizen_by_id
from account.services import services
from account.sso import SsoSession, is_fresh
from core.web.auth import Principal

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("account", __name__, template_folder="../templates")

SSO_KEY = "sso"
DEVICE_COOKIE = "bp_device"


@bp.before_app_request
def load_login() -> None:
    g.sso = None
    g.citizen = None
    if request.endpoint == "web.static":
        return
    sid = session.get(SSO_KEY)
    if not sid:
        return
    sso = services().sessions.load(str(sid))
    citizen = citizen_by_id(sso.citizen_id) if sso else None
    if sso is None or citizen is None:
        session.pop(SSO_KEY, None)
        return
    g.sso, g.citizen = sso, citizen


@bp.app_context_processor
def inject_principal() -> dict[str, object]:
    return {"principal": current_principal(), "citizen": g.get("citizen")}


def current_principal() -> Principal | None:
    sso: SsoSession | None = g.get("sso")
    citizen: Citizen | None = g.get("citizen")
    if sso is None or citizen is None:
        return None
    return Principal(citizen.id, citizen.role_names, sso.auth_time, sso.level)


def login_url(next_path: str, force: bool) -> str:
    params = {"next": next_path}
    if force:
        params["erneut"] = "1"
    return url_for("account.login") + "?" + urlencode(params)


def login_required(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        if g.get("citizen") is None:
            return redirect(login_url(request.full_path.rstrip("?"), False), 303)
        return view(*args, **kwargs)

    return wrapper


def me() -> Citizen:
    citizen: Citizen = g.citizen
    return citizen


def my_session() -> SsoSession:
    sso: SsoSession = g.sso
    return sso


def fresh_login_first(next_path: str | None = None) -> WerkzeugResponse | None:
    """None after a login of the last minutes (:data:`account.sso.FRESH_SECONDS`); else the
    way to log in again (password and second factor), then on to ``next_path`` (this page)."""
    if is_fresh(my_session(), services().clock.now()):
        return None
    return redirect(login_url(next_path or request.full_path.rstrip("?"), True), 303)


def client_address() -> str:
    return request.remote_addr or "unknown"


def safe_next(value: str | None, default: str) -> str:
    """Only a local absolute path: never an open redirect (RFC 9700 §4.11)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x21 for c in value):
        return default
    return value


from account.views import (  # noqa: E402,F401
    admin,
    auth,
    eid,
    recovery,
    self_service,
    totp,
    totp_recovery,
)
