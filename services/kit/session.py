"""Server-side sessions in the service's database: the cookie carries a random id only.

Flow state (OIDC state/nonce/PKCE verifier, the SAML request ID, the logged-in citizen, the
verified prefill values) lives here, so a forged cookie or form cannot change it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select, update
from werkzeug.datastructures import CallbackDict

from services.kit.models import HubLogin, KitSession, UsedAssertion, db, now

LIFETIME = timedelta(hours=2)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, sid: str, data: dict[str, Any] | None = None, new: bool = False) -> None:
        def changed(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid
        self.new = new
        self.modified = False


class SqlSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        if sid and len(sid) <= 64:
            row = db.session.get(KitSession, sid)
            if row is not None and row.expires_at > now():
                return ServerSession(sid, dict(row.data))
        return ServerSession(secrets.token_urlsafe(32), new=True)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        if not session:
            if not session.new:
                db.session.execute(delete(KitSession).where(KitSession.id == session.sid))
                db.session.commit()
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        if session.modified or session.new:
            row = db.session.get(KitSession, session.sid)
            if row is None and not session.new:  # ended meanwhile (the hub's logout): stays so
                response.delete_cookie(name, path=self.get_cookie_path(app))
                return
            if row is None:
                row = KitSession(id=session.sid, data={}, expires_at=now())
                db.session.add(row)
            row.data = dict(session)
            row.expires_at = now() + LIFETIME
            db.session.commit()
        if session.new or session.modified:
            response.set_cookie(
                name,
                session.sid,
                max_age=int(LIFETIME.total_seconds()),
                httponly=True,
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app),
                path=self.get_cookie_path(app),
            )


def session_id(session: SessionMixin) -> str:
    """The id this browser's session has (or will have once the response is written)."""
    assert isinstance(session, ServerSession)
    return session.sid


def regenerate(session: SessionMixin) -> None:
    """A new id after login (session fixation); the old row goes, its hub logins move along."""
    assert isinstance(session, ServerSession)
    fresh = secrets.token_urlsafe(32)
    if not session.new:
        db.session.execute(delete(KitSession).where(KitSession.id == session.sid))
        db.session.execute(
            update(HubLogin).where(HubLogin.session_id == session.sid).values(session_id=fresh)
        )
    session.sid = fresh
    session.new = True
    session.modified = True


def purge_expired() -> int:
    """Remove expired sessions and expired replay-cache entries (``flask cleanup``)."""
    moment = now()
    sessions = db.session.execute(delete(KitSession).where(KitSession.expires_at <= moment))
    db.session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at <= moment))
    live = select(KitSession.id)
    settled = moment - timedelta(minutes=5)  # a login's session row is written after its view
    db.session.execute(
        delete(HubLogin).where(HubLogin.session_id.not_in(live), HubLogin.created_at < settled)
    )
    db.session.commit()
    return int(getattr(sessions, "rowcount", 0) or 0)
