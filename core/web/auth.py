"""Who is logged in, as far as lower layers need to know (roles, freshness).

``account`` registers the loader at start-up; ``certs`` and other lower layers only ask this
module, so the dependency arrows keep pointing down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Principal:
    citizen_id: str
    roles: frozenset[str]
    auth_time: float
    level: str


PrincipalLoader = Callable[[], Principal | None]
LoginUrl = Callable[[str, bool], str]  # (next path, force re-authentication) -> URL


def register(app_extensions: dict[str, object], loader: PrincipalLoader, login: LoginUrl) -> None:
    app_extensions["principal_loader"] = loader
    app_extensions["login_url"] = login


def current_principal() -> Principal | None:
    loader: PrincipalLoader | None = current_app.extensions.get("principal_loader")
    return loader() if loader else None


def require_role(
    role: str, *, fresh_seconds: int | None = None
) -> Callable[[Callable[P, R]], Callable[P, R | WerkzeugResponse]]:
    """Only principals with ``role``; with ``fresh_seconds``, only after a recent login."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
            principal = current_principal()
            login: LoginUrl = current_app.extensions["login_url"]
            if principal is None:
                return redirect(login(request.full_path, False), 303)
            if role not in principal.roles:
                abort(403)
            clock = current_app.extensions["clock"]
            if fresh_seconds is not None and clock.now() - principal.auth_time > fresh_seconds:
                return redirect(login(request.full_path, True), 303)
            return view(*args, **kwargs)

        return wrapper

    return decorate
