"""The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authorization_code and refresh_token.

The code is claimed atomically (exactly one redemption wins, see :mod:`idp.oidc.grants`), must
belong to the authenticated client, name the same redirect_uri and prove PKCE S256 (RFC 7636
§4.6). A code presented again revokes what its first use issued (RFC 6749 §4.1.2, RFC 9700
§4.5), even while that first use is still issuing. A code whose SSO session has ended by the
time its tokens exist buys nothing (Back-Channel Logout 1.0 §2.7: the logout ends the grant).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from flask import Response, jsonify, request

from account import api
from core import audit
from core.audit import AuditEvent
from core.db import db
from idp.oidc import client_credentials, grants, refresh, tokens
from idp.oidc.blueprint import bp
from idp.oidc.client_auth import ClientAuthError, authenticate
from idp.oidc.config import oidc
from idp.oidc.grants import CodeGrant
from idp.oidc.models import OidcClient
from idp.oidc.refresh import RefreshRefused

VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


class TokenError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def oauth_error(error: str, description: str, status: int = 400, basic: bool = False) -> Response:
    """RFC 6749 §5.2 error response."""
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    if basic:
        response.headers["WWW-Authenticate"] = 'Basic realm="oidc"'
    return no_store(response)


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/oidc/token")
def token() -> Response:
    form = request.form
    if any(len(form.getlist(name)) > 1 for name in form):
        return oauth_error("invalid_request", "a parameter is given more than once")
    try:
        client = authenticate(form, request.headers)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            body = _authorization_code(client)
        elif grant_type == "refresh_token":
            body = _refresh(client)
        elif grant_type == "client_credentials":
            body = client_credentials.issue(client, form.get("scope"))
        else:
            raise TokenError(
                "unsupported_grant_type", "authorization_code, refresh_token or client_credentials"
            )
    except client_credentials.GrantRefused as exc:
        return oauth_error(exc.error, exc.description)
    except ClientAuthError as exc:
        return oauth_error(exc.error, exc.description, exc.status, exc.basic)
    except TokenError as exc:
        return oauth_error(exc.error, exc.description)
    return no_store(jsonify(body))


def _authorization_code(client: OidcClient) -> dict[str, Any]:
    code = request.form.get("code", "")
    claimed = grants.claim_code(code)
    if claimed is None:
        _replayed(code)
        raise TokenError("invalid_grant", "the code is invalid, expired or used")
    found = claimed.code_grant
    _check_binding(client, found)
    grant = found.grant
    if not api.citizen_exists(grant.citizen_id):
        raise TokenError("invalid_grant", "the account no longer exists")
    family = refresh.issue(grant, claimed.family_id)  # the family the claim names
    body, _family, _jti = tokens.token_response(client, grant, found.nonce, rotated=family)
    db.session.commit()
    # checked after the commit, so a replay or logout that came meanwhile is never missed
    if grants.replayed_meanwhile(code):
        _revoke(claimed.family_id)  # the replay has audited and answered invalid_grant
    elif not api.session_is_live(grant.session_id):
        _revoke(claimed.family_id)
        raise TokenError("invalid_grant", "the session of this code has ended")
    return body


def _revoke(family_id: str) -> None:
    refresh.revoke_family(family_id)
    db.session.commit()


def _check_binding(client: OidcClient, found: CodeGrant) -> None:
    """RFC 6749 §4.1.3 and RFC 7636 §4.6; the code is spent whatever the outcome."""
    if found.grant.client_id != client.client_id:
        raise TokenError("invalid_grant", "the code was issued to another client")
    if request.form.get("redirect_uri") != found.redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
    verifier = request.form.get("code_verifier", "")
    if not VERIFIER_RE.match(verifier):
        raise TokenError("invalid_grant", "code_verifier is missing or malformed")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not hmac.compare_digest(challenge, found.code_challenge):
        raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")


def _replayed(code: str) -> None:
    marker = grants.first_replay(code)
    if marker is None:
        return
    family_id = marker.get("family_id")
    if family_id:  # its access tokens end with it (tokens.access_grant)
        refresh.revoke_family(family_id)
    audit.record(
        AuditEvent.OIDC_TOKEN_REUSE_DETECTED,
        now=oidc().now(),
        client_id=marker.get("client_id"),
        kind="authorization_code",
    )
    db.session.commit()


def _refresh(client: OidcClient) -> dict[str, Any]:
    """RFC 6749 §6; a ``scope`` may repeat or narrow, never widen (the grant stays as it was)."""
    presented = request.form.get("refresh_token", "")
    asked = request.form.get("scope")
    row = refresh.find(presented)
    owned = row is not None and row.client_id == client.client_id
    if asked is not None and owned and not set(asked.split()) <= set(row.grant["scopes"]):  # type: ignore[union-attr]
        raise TokenError("invalid_scope", "a refresh cannot widen the scope")
    try:
        grant, issued = refresh.rotate(presented, client.client_id)
    except RefreshRefused as exc:
        raise TokenError("invalid_grant", str(exc)) from None
    body, _family, _jti = tokens.token_response(client, grant, None, rotated=issued)
    db.session.commit()
    return body
