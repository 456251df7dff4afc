"""Logout: RP-initiated (OpenID Connect RP-Initiated Logout 1.0) and back-channel
(OpenID Connect Back-Channel Logout 1.0) to every client of the ended SSO session; the
logout tokens are made here and delivered in the background (:mod:`idp.oidc.backchannel`).

``post_logout_redirect_uri`` is honoured only when registered exactly for the client named by
the ``id_token_hint`` (or ``client_id``); anything else gets a page, never a redirect. Without a
valid hint for the logged-in citizen the hub asks before it logs out (no logout CSRF).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import jwt
from flask import current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from account import api
from account.api import EndedSession
from core import audit
from core.audit import AuditEvent
from core.db import db
from idp.oidc import refresh, registry, signing, tokens
from idp.oidc.backchannel import BackchannelSender
from idp.oidc.blueprint import bp
from idp.oidc.config import oidc
from idp.oidc.forms import ConfirmForm
from idp.oidc.models import OidcClient
from idp.oidc.responses import _with_query

log = logging.getLogger("portal.oidc")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class LogoutRefused(Exception):  # noqa: N818  (shown as a page)
    pass


@bp.route("/oidc/logout", methods=["GET", "POST"])
def end_session() -> ResponseReturnValue:
    """The end_session_endpoint (RP-Initiated Logout 1.0 §2)."""
    params: MultiDict[str, str] = request.args if request.method == "GET" else request.form
    try:
        client, hint = _client_and_hint(params)
        target = _target(client, params.get("post_logout_redirect_uri"))
    except LogoutRefused as exc:
        return _refused(str(exc))
    identity = api.current_identity()
    state = params.get("state")
    if identity is None:
        return _done(target, state)
    if client is not None and hint is not None and _hint_fits(client, hint, identity.citizen_id):
        return _log_out(identity.session_id, client, target, state)
    return render_template(
        "oidc/logout_confirm.html",
        form=ConfirmForm(),
        client=client,
        client_id=client.client_id if client else "",
        target=params.get("post_logout_redirect_uri", "") if target else "",
        state=state or "",
    )


@bp.post("/oidc/abmelden")
def confirm_logout() -> ResponseReturnValue:
    """The citizen's answer on the confirmation page (CSRF-protected)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _refused("csrf")
    client = registry.get_enabled(request.form.get("client_id", "")) or None
    try:
        target = _target(client, request.form.get("post_logout_redirect_uri") or None)
    except LogoutRefused as exc:
        return _refused(str(exc))
    identity = api.current_identity()
    state = request.form.get("state") or None
    if identity is None:
        return _done(target, state)
    return _log_out(identity.session_id, client, target, state)


def _client_and_hint(
    params: MultiDict[str, str],
) -> tuple[OidcClient | None, dict[str, Any] | None]:
    client_id = params.get("client_id")
    hint = None
    raw = params.get("id_token_hint")
    if raw:
        config = oidc()
        try:  # an expired hint is fine (§2), a forged one is not
            hint = signing.verify(
                raw,
                typ="JWT",
                issuer=config.issuer,
                audience=None,
                leeway=config.settings.oidc_refresh_token_ttl,
            )
        except jwt.InvalidTokenError:
            raise LogoutRefused("id_token_hint invalid") from None
        audience = hint.get("aud")
        hinted = audience[0] if isinstance(audience, list) and len(audience) == 1 else audience
        if not isinstance(hinted, str) or (client_id and client_id != hinted):
            raise LogoutRefused("id_token_hint does not fit client_id")
        client_id = hinted
    client = registry.get_enabled(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused("unknown client")
    return client, hint


def _target(client: OidcClient | None, uri: str | None) -> str | None:
    if uri is None:
        return None
    if client is None or uri not in client.post_logout_redirect_uris:
        raise LogoutRefused("post_logout_redirect_uri not registered")
    return uri


def _hint_fits(client: OidcClient, hint: dict[str, Any], citizen_id: str) -> bool:
    return bool(hint.get("sub") == tokens.subject(client, citizen_id))


def _log_out(
    session_id: str, client: OidcClient | None, target: str | None, state: str | None
) -> ResponseReturnValue:
    ended = api.end_session(session_id, request.remote_addr or "unknown")
    if ended is None:
        return _done(target, state)
    audit.record(
        AuditEvent.OIDC_LOGOUT,
        now=oidc().now(),
        citizen_id=ended.citizen_id,
        client_id=client.client_id if client else None,
    )
    db.session.commit()
    landing = _landing(target, state) if target else url_for("oidc.logged_out")
    onward = api.front_channel_logout(ended, landing)  # e.g. the session's SAML SPs first
    return redirect(onward, 303) if onward else _done(target, state)


def _done(target: str | None, state: str | None) -> ResponseReturnValue:
    if target is None:
        return render_template("oidc/logged_out.html")
    return redirect(_landing(target, state), 303)


def _landing(target: str, state: str | None) -> str:
    """The validated post_logout_redirect_uri with the RP's state (RP-Initiated Logout §3)."""
    return _with_query(target, {"state": state} if state else {})


@bp.get("/oidc/abgemeldet")
def logged_out() -> ResponseReturnValue:
    """Where a logout without post_logout_redirect_uri lands after the front channel."""
    return render_template("oidc/logged_out.html")


def _refused(reason: str) -> ResponseReturnValue:
    response = make_response(render_template("oidc/logout_refused.html"), 400)
    response.headers["X-Oidc-Error"] = reason
    return response


# --- back-channel -------------------------------------------------------------------------


def session_ended(ended: EndedSession) -> None:
    """Revoke the session's refresh tokens (and so its access tokens) at once; queue a logout
    token for each of its clients (Back-Channel §2.5), delivered off this request's thread."""
    refresh.revoke_for_session(ended.session_id)
    db.session.commit()
    sender = backchannel_sender()
    for client_id in ended.clients:
        client = registry.get_enabled(client_id)
        if client is None or not client.backchannel_logout_uri:
            continue
        try:
            token = logout_token(client, ended)
        except Exception as exc:  # e.g. no active signing key: the logout itself goes on
            log.error("no logout token for %s: %s", client_id, type(exc).__name__)
            continue
        sender.send(client.backchannel_logout_uri, token)


def logout_token(client: OidcClient, ended: EndedSession) -> str:
    """Back-Channel Logout 1.0 §2.4: no nonce, an ``events`` member, ``typ`` logout+jwt."""
    config = oidc()
    now = int(config.now())
    body = {
        "iss": config.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": tokens.subject(client, ended.citizen_id),
        "sid": tokens.session_ref(client, ended.session_id),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return signing.sign(body, client.id_token_alg, "logout+jwt")


def backchannel_sender() -> BackchannelSender:
    """The app's sender (built by :func:`idp.oidc.init_oidc`)."""
    sender: BackchannelSender = current_app.extensions["oidc_backchannel"]
    return sender
