"""The hub's eID endpoints (TR-03124-1): TC token, RefreshAddress, CommunicationErrorAddress.

``account/`` registers :func:`create_blueprint` with the transactions service, the browser
binding and what to do with a finished transaction (log in, link, step up).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Blueprint, Response, request, session
from flask.typing import ResponseReturnValue

from connectors.eid import tctoken
from connectors.eid.transaction import (
    COMMUNICATION_ERROR_PATH,
    REFRESH_PATH,
    TC_TOKEN_PATH,
    EidTransactions,
    Finished,
)

_BINDING_KEY = "eid_binding"


def session_binding() -> str:
    """A random value kept in the server-side browser session: what an eID transaction is
    bound to (the cookie only carries the session id)."""
    value = session.get(_BINDING_KEY)
    if not isinstance(value, str) or not value:
        value = session[_BINDING_KEY] = secrets.token_urlsafe(32)
    return value


def create_blueprint(
    transactions: Callable[[], EidTransactions],
    on_finish: Callable[[Finished], ResponseReturnValue],
    binding: Callable[[], str] = session_binding,
) -> Blueprint:
    bp = Blueprint("eid", __name__)

    @bp.get(TC_TOKEN_PATH)
    def tc_token() -> ResponseReturnValue:
        body = transactions().tc_token(request.args.get("t", "")[:128])
        response = Response(body, content_type=tctoken.CONTENT_TYPE)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get(REFRESH_PATH)
    def refresh() -> ResponseReturnValue:
        query = {k: v for k, v in request.args.items() if k != "r"}
        return on_finish(transactions().finish(request.args.get("r", "")[:128], binding(), query))

    @bp.get(COMMUNICATION_ERROR_PATH)
    def communication_error() -> ResponseReturnValue:
        tx_id = request.args.get("t", "")[:128]
        return on_finish(transactions().communication_error(tx_id, binding()))

    return bp
