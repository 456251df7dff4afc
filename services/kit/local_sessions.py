"""The local sessions of logins through the hub, and ending them on the hub's word.

A login notes its local session with the hub's handle for it (:class:`~services.kit.models.
HubLogin`): the OIDC ``sid`` and ``sub``, or the SAML NameID and SessionIndex. When the hub
ends its session — an OIDC back-channel logout token (Back-Channel Logout 1.0 §2.7), a SAML
LogoutRequest (SAML Core §3.7.3.2) — the matching local sessions lose that channel's visitor;
a session with no visitor left is deleted. The browser need not take part: a back-channel call
carries no cookie.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from services.kit.models import HubLogin, KitSession, db, now
from services.kit.visitor import Channel, Visitor, key

_VISITOR_PREFIX = key("")


def remember(session_id: str, visitor: Visitor) -> None:
    """Note a login (its session row is written after the view, under ``session_id``); an
    earlier login of the channel in this browser is replaced."""
    db.session.execute(
        delete(HubLogin).where(
            HubLogin.session_id == session_id, HubLogin.channel == visitor.channel
        )
    )
    db.session.add(
        HubLogin(
            session_id=session_id,
            channel=visitor.channel,
            subject=visitor.subject[:255],
            hub_session=visitor.hub.session[:255],
            created_at=now(),
        )
    )
    db.session.commit()


def forget_browser(session_id: str) -> None:
    """The local logout of one browser: its logins need no ending any more."""
    db.session.execute(delete(HubLogin).where(HubLogin.session_id == session_id))
    db.session.commit()


def end(channel: Channel, subject: str | None, hub_sessions: list[str]) -> int:
    """End the channel's logins of ``subject`` in the named hub sessions (all of the subject's
    when none is named); how many local sessions were touched."""
    query = select(HubLogin).where(HubLogin.channel == channel)
    if hub_sessions:
        query = query.where(HubLogin.hub_session.in_([s[:255] for s in hub_sessions]))
    if subject:
        query = query.where(HubLogin.subject == subject[:255])
    elif not hub_sessions:
        return 0  # nobody named: nothing to end
    logins = list(db.session.scalars(query))
    for login in logins:
        _drop_visitor(login.session_id, channel)
        db.session.delete(login)
    db.session.commit()
    return len({login.session_id for login in logins})


def _drop_visitor(session_id: str, channel: Channel) -> None:
    row = db.session.get(KitSession, session_id)
    if row is None:
        return
    data = {k: v for k, v in row.data.items() if k != key(channel)}
    if any(k.startswith(_VISITOR_PREFIX) for k in data):
        row.data = data  # the other channel (back office or citizen) stays logged in
    else:
        db.session.delete(row)
