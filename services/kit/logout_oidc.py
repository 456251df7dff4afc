"""Logout of an OpenID Connect service through the hub.

* RP-Initiated Logout 1.0: the citizen logs out here; the local session ends at once, then the
  browser goes to the hub's ``end_session_endpoint`` (from discovery) with ``id_token_hint``,
  ``client_id``, the registered ``post_logout_redirect_uri`` and a fresh ``state`` (§2); on the
  way back the state must be the one this browser's session holds (§3), else nothing is
  confirmed.
* Back-Channel Logout 1.0: the hub ended its session and posts a logout token (§2.5); it is
  validated completely (§2.6) against the hub's JWKS: signature (RS256/PS256/ES256, ``typ``
  ``logout+jwt``, §2.4), ``iss`` the discovery issuer, ``aud`` this client, ``iat`` present and
  fresh, ``exp`` if present, ``jti`` present and seen once, ``events`` with the back-channel
  member whose value is an object, ``sid`` or ``sub``, and no ``nonce``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import current_app, request, session
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError

from services.kit.config import ServiceConfig
from services.kit.login_oidc import CLIENTS
from services.kit.models import UsedAssertion, db, now
from services.kit.visitor import Channel, Visitor

PENDING = "oidc_logout"
RETURN_PATH = "/abgemeldet"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ["RS256", "PS256", "ES256"]
#: A logout token older than this (by ``iat``) is refused; the hub's live for two minutes.
MAX_AGE = 300
LEEWAY = 30
MAX_TOKEN = 8 * 1024


class LogoutTokenRefused(Exception):  # noqa: N818
    pass


class HubUnavailable(Exception):  # noqa: N818
    """The hub's keys could not be fetched: the hub should try again (§2.8: not a 400)."""


def metadata(oauth: Any, channel: Channel) -> dict[str, Any]:
    client = getattr(oauth, CLIENTS[channel])
    found: dict[str, Any] = client.load_server_metadata()
    return found


def end_session_url(oauth: Any, visitor: Visitor, config: ServiceConfig) -> str | None:
    """Where to send the browser (§2), or None when this login cannot be ended at the hub."""
    endpoint = metadata(oauth, visitor.channel).get("end_session_endpoint")
    if not isinstance(endpoint, str) or not visitor.hub.id_token:
        return None
    state = secrets.token_urlsafe(24)
    session[PENDING] = {"state": state, "channel": visitor.channel}
    params = {
        "id_token_hint": visitor.hub.id_token,
        "client_id": getattr(oauth, CLIENTS[visitor.channel]).client_id,
        "post_logout_redirect_uri": config.base_url + RETURN_PATH,
        "state": state,
        "ui_locales": str(get_locale() or "de"),
    }
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def returned_in_order() -> bool:
    """The hub sent the browser back with the state this session expects (once)."""
    pending = session.pop(PENDING, None)
    state = request.args.get("state", "")
    expected = pending.get("state") if isinstance(pending, dict) else None
    return isinstance(expected, str) and bool(state) and hmac.compare_digest(state, expected)


# --- back-channel -------------------------------------------------------------------------


def verify_logout_token(token: str, oauth: Any, channel: Channel) -> dict[str, Any]:
    """The logout token's claims, validated as §2.6 says; raises LogoutTokenRefused."""
    if not token or len(token) > MAX_TOKEN:
        raise LogoutTokenRefused("no logout_token")
    meta = metadata(oauth, channel)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise LogoutTokenRefused("not a JWT") from None
    if header.get("typ") != "logout+jwt" or header.get("alg") not in ALGORITHMS:
        raise LogoutTokenRefused("typ or alg")
    key = _signing_key(token, str(meta.get("jwks_uri", "")))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=getattr(oauth, CLIENTS[channel]).client_id,
            issuer=str(meta.get("issuer", "")),
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "iat", "jti"]},
        )
    except jwt.InvalidTokenError as exc:
        raise LogoutTokenRefused(type(exc).__name__) from None
    _check_claims(claims)
    _not_replayed(claims)
    return claims


def _signing_key(token: str, jwks_uri: str) -> Any:
    clients: dict[str, jwt.PyJWKClient] = current_app.extensions.setdefault("kit_jwks", {})
    if jwks_uri not in clients:
        clients[jwks_uri] = jwt.PyJWKClient(jwks_uri, lifespan=300, timeout=5)
    try:  # an unknown kid fetches the set again once (the hub may have rolled its key)
        return clients[jwks_uri].get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientConnectionError:
        raise HubUnavailable() from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError):
        raise LogoutTokenRefused("no such key") from None


def _check_claims(claims: dict[str, Any]) -> None:
    if not isinstance(claims["iat"], int) or claims["iat"] < time.time() - MAX_AGE:
        raise LogoutTokenRefused("iat too old")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        raise LogoutTokenRefused("events")
    if "nonce" in claims:
        raise LogoutTokenRefused("nonce")  # §2.4: prohibited, so no ID token passes as one
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise LogoutTokenRefused("jti")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not (isinstance(sid, str) and sid) and not (isinstance(sub, str) and sub):
        raise LogoutTokenRefused("neither sid nor sub")
    for value in (sid, sub):
        if value is not None and not isinstance(value, str):
            raise LogoutTokenRefused("sid or sub not a string")


def _not_replayed(claims: dict[str, Any]) -> None:
    """§2.6 step 5 (SHOULD): each ``jti`` once, kept as long as the token could be accepted."""
    digest = hashlib.sha256(f"{claims['iss']}\x00{claims['jti']}".encode()).hexdigest()
    until = now() + timedelta(seconds=MAX_AGE + 2 * LEEWAY)
    try:
        db.session.add(UsedAssertion(id="logout-jti:" + digest, expires_at=until))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LogoutTokenRefused("jti replayed") from None
