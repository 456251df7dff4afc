"""Token revocation (RFC 7009) and introspection (RFC 7662).

Revocation answers 200 for every token it does not know (RFC 7009 §2.2). Introspection is for
confidential clients and only tells a client about its own tokens (RFC 7662 §4 privacy).
"""

from __future__ import annotations

from typing import Any

import jwt
from flask import Response, jsonify, request

from core.db import db
from idp.oidc import refresh, signing, tokens
from idp.oidc.blueprint import bp
from idp.oidc.client_auth import ClientAuthError, authenticate
from idp.oidc.config import oidc
from idp.oidc.models import OidcClient
from idp.oidc.token import no_store, oauth_error


@bp.post("/oidc/revoke")
def revoke() -> Response:
    try:
        client = authenticate(request.form, request.headers)
    except ClientAuthError as exc:
        return oauth_error(exc.error, exc.description, exc.status, exc.basic)
    presented = request.form.get("token", "")
    if not presented:
        return oauth_error("invalid_request", "token is required")
    row = refresh.find(presented)
    if row is not None and row.client_id == client.client_id:
        refresh.revoke_family(row.family_id)
        db.session.commit()
    else:
        access = _own_access_token(client, presented)
        if access is not None:
            tokens.revoke_access(str(access.get("jti")))
    return no_store(Response(status=200))


def _own_access_token(client: OidcClient, presented: str) -> dict[str, Any] | None:
    try:
        body = signing.verify(presented, typ="at+jwt", issuer=oidc().issuer, audience=oidc().issuer)
    except jwt.InvalidTokenError:
        return None
    if body.get("client_id") != client.client_id:
        return None
    return body


@bp.post("/oidc/introspect")
def introspect() -> Response:
    try:
        client = authenticate(request.form, request.headers)
    except ClientAuthError as exc:
        return oauth_error(exc.error, exc.description, exc.status, exc.basic)
    if client.is_public:
        return oauth_error("invalid_client", "introspection is for confidential clients", 401)
    presented = request.form.get("token", "")
    return no_store(jsonify(_describe(client, presented)))


def _describe(client: OidcClient, presented: str) -> dict[str, Any]:
    row = refresh.find(presented)
    if row is not None:
        if row.client_id != client.client_id or not refresh.is_active(row):
            return {"active": False}
        return {
            "active": True,
            "token_type": "refresh_token",
            "client_id": row.client_id,
            "scope": " ".join(row.grant["scopes"]),
            "sub": tokens.subject(client, row.citizen_id),
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.created_at.timestamp()),
            "iss": oidc().issuer,
        }
    body = _own_access_token(client, presented)
    if body is None or tokens.access_grant(str(body.get("jti", ""))) is None:
        return {"active": False}
    keep = ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti", "acr", "auth_time")
    return {"active": True, "token_type": "Bearer", **{k: body[k] for k in keep if k in body}}
