"""Server-side browser session: the cookie carries only a random id, the data live in the store.

Flask's default session is a signed cookie holding the data itself; here the data (CSRF token,
flow state, the SSO session id) stay on the server with a TTL, so a stolen-and-replayed
old cookie is worthless once the session was regenerated or ended.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from core.store.base import KeyValueStore, dumps, loads

SESSION_TTL = 12 * 3600
_KEY = "websession:"


class StoreSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, sid: str, data: dict[str, Any] | None = None, new: bool = True) -> None:
        def on_update(_: object) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.new = new
        self.modified = False
        self.replaced_sid: str | None = None


def _store(app: Flask) -> KeyValueStore:
    return app.extensions["store"]  # type: ignore[no-any-return]


class StoreSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> StoreSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and len(sid) <= 64:
            data = loads(_store(app).get(_KEY + sid))
            if isinstance(data, dict):
                return StoreSession(sid, data, new=False)
        return StoreSession(_new_sid())

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, StoreSession)
        store = _store(app)
        if session.replaced_sid:
            store.delete(_KEY + session.replaced_sid)
        name = self.get_cookie_name(app)
        if not session:
            if not session.new:
                store.delete(_KEY + session.sid)
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        if session.modified or session.new or session.replaced_sid:
            store.set(_KEY + session.sid, dumps(dict(session)), SESSION_TTL)
        if session.new or session.replaced_sid:
            response.set_cookie(
                name,
                session.sid,
                httponly=True,
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app),
                path=self.get_cookie_path(app),
            )
        response.vary.add("Cookie")


def _new_sid() -> str:
    return secrets.token_urlsafe(32)


def regenerate_session(keep: bool = True) -> None:
    """Give the browser a new session id (on every login: OWASP session fixation)."""
    assert isinstance(session, StoreSession)
    if not session.new:
        session.replaced_sid = session.sid
    session.sid = _new_sid()
    session.new = True
    if not keep:
        session.clear()
    session.modified = True


def store() -> KeyValueStore:
    return _store(current_app)
