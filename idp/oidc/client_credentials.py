"""The client_credentials grant (RFC 6749 §4.4) for the hub's machine-to-machine APIs.

Only confidential clients whose registry entry lists API scopes (``api_scopes``, e.g.
``status:write``) get a token; the requested ``scope`` may narrow that list, never widen it.
The token is an RFC 9068 JWT whose ``sub`` is the client itself (RFC 9068 §2.2: no resource
owner), with no refresh token and no ID token (RFC 6749 §4.4.3). It is kept in the store under
its own prefix, so userinfo and the citizen-facing endpoints never accept it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt

from core.store.base import dumps, loads
from idp.oidc import signing
from idp.oidc.config import oidc
from idp.oidc.models import OidcClient

_CC = "oidc:cc:"
TYP = "at+jwt"


class GrantRefused(Exception):  # noqa: N818
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class ClientToken:
    client_id: str
    scopes: tuple[str, ...]


def issue(client: OidcClient, scope: str | None) -> dict[str, Any]:
    """The token response (RFC 6749 §4.4.3) or :class:`GrantRefused`."""
    allowed = list(client.api_scopes or [])
    if client.is_public or not allowed:
        raise GrantRefused("unauthorized_client", "this client may not use client_credentials")
    asked = scope.split() if scope is not None else allowed
    if not asked or not set(asked) <= set(allowed):
        raise GrantRefused("invalid_scope", "the scope is not allowed for this client")
    config = oidc()
    now = int(config.now())
    ttl = config.settings.oidc_access_token_ttl
    jti = secrets.token_urlsafe(16)
    body = {
        "iss": config.issuer,
        "sub": client.client_id,
        "aud": config.issuer,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
        "scope": " ".join(asked),
    }
    token = signing.sign(body, config.settings.oidc_access_token_alg, TYP)
    config.store.set(_CC + jti, dumps({"client_id": client.client_id, "scopes": asked}), ttl)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": body["scope"],
    }


def verify(token: str) -> ClientToken | None:
    """The client behind a client_credentials token that is valid and still on record."""
    config = oidc()
    try:
        body = signing.verify(token, typ=TYP, issuer=config.issuer, audience=config.issuer)
    except jwt.InvalidTokenError:
        return None
    jti = str(body.get("jti", ""))
    record = loads(config.store.get(_CC + jti)) if jti and len(jti) <= 64 else None
    if not isinstance(record, dict) or record.get("client_id") != body.get("client_id"):
        return None
    return ClientToken(str(record["client_id"]), tuple(record["scopes"]))
