"""The userinfo endpoint (OIDC Core §5.3), GET and POST, bearer token per RFC 6750 §2.1/§2.2.

The access token must be our own ``at+jwt`` (RFC 9068 §4: signature by a published key, no
``none``/HS256, ``aud`` = our issuer, not expired) *and* still be on record (not revoked).
"""

from __future__ import annotations

from typing import Any

import jwt
from flask import Response, jsonify, request

from account import api
from idp.oidc import claims, registry, roles, signing, tokens
from idp.oidc.blueprint import bp
from idp.oidc.config import oidc
from idp.oidc.grants import Grant
from idp.oidc.token import no_store


class BearerError(Exception):
    def __init__(self, error: str, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def bearer_error(exc: BearerError) -> Response:
    """RFC 6750 §3: the error in ``WWW-Authenticate``."""
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["WWW-Authenticate"] = (
        f'Bearer realm="oidc", error="{exc.error}", error_description="{exc.description}"'
    )
    return no_store(response)


def presented_token() -> str:
    header = request.headers.get("Authorization", "")
    in_form = request.method == "POST" and "access_token" in request.form
    if header[:7].lower() == "bearer " and not in_form:
        return header[7:].strip()
    if in_form and not header:
        return request.form.get("access_token", "")
    if header or in_form:
        raise BearerError("invalid_request", "give the token exactly once", 400)
    raise BearerError("invalid_token", "an access token is required")


def check_access_token(token: str) -> tuple[dict[str, Any], Grant]:
    try:
        body = signing.verify(token, typ="at+jwt", issuer=oidc().issuer, audience=oidc().issuer)
    except jwt.InvalidTokenError:
        raise BearerError("invalid_token", "the access token is invalid") from None
    found = tokens.access_grant(str(body.get("jti", "")))
    if found is None:
        raise BearerError("invalid_token", "the access token was revoked")
    return body, found[0]


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    try:
        body, grant = check_access_token(presented_token())
        if "openid" not in grant.scopes:
            raise BearerError("insufficient_scope", "the openid scope is required", 403)
        values = api.attributes_of(grant.citizen_id)
        client = registry.get_enabled(grant.client_id)
        if values is None or client is None:
            raise BearerError("invalid_token", "the grant is no longer valid")
    except BearerError as exc:
        return bearer_error(exc)
    released = {"sub": body["sub"], **claims.release(grant.attributes, values)}
    released.update(roles.claim(client, grant.citizen_id))
    return no_store(jsonify(released))
