"""Minting tokens: ID token (OIDC Core §2, §3.1.3.6), access token as JWT (RFC 9068).

Access tokens are short-lived; each one's grant is kept in the store under its ``jti`` for its
lifetime, so userinfo finds the citizen (the ``sub`` is a pairwise pseudonym) and revoking the
token itself is a delete. Every citizen's access token belongs to the refresh-token family of
its grant and is honoured only while that family is live (RFC 7009 §2.1), so logout, consent
withdrawal, reuse detection and refresh-token revocation end it at once, not at its ``exp``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from account import api
from account.identity import Level
from core.store.base import dumps, loads
from idp.oidc import claims, levels, refresh, roles, signing, subjects
from idp.oidc.config import oidc
from idp.oidc.grants import Grant
from idp.oidc.models import OidcClient
from idp.oidc.refresh import Issued

_AT = "oidc:at:"


def subject(client: OidcClient, citizen_id: str) -> str:
    return oidc().pairwise_subject(client.sector_identifier, citizen_id)


def remembered_subject(client: OidcClient, citizen_id: str) -> str:
    """The pairwise subject, recorded so the client can address the citizen later (status)."""
    sub = subject(client, citizen_id)
    subjects.remember(client.sector_identifier, sub, citizen_id, oidc().now())
    return sub


def session_ref(client: OidcClient, session_id: str) -> str:
    """The ``sid`` a client sees: derived, so the SSO session id itself never leaves the hub."""
    return oidc().derived_id("sid", f"{client.client_id}\x00{session_id}")


def access_token(client: OidcClient, grant: Grant, family_id: str | None) -> tuple[str, str]:
    config = oidc()
    now = int(config.now())
    jti = secrets.token_urlsafe(16)
    ttl = config.settings.oidc_access_token_ttl
    body = {
        "iss": config.issuer,
        "sub": subject(client, grant.citizen_id),
        "aud": config.issuer,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
        "scope": " ".join(grant.scopes),
        "auth_time": int(grant.auth_time),
        "acr": levels.acr_of(Level(grant.level)),
    }
    token = signing.sign(body, config.settings.oidc_access_token_alg, "at+jwt")
    record = {"grant": grant.to_dict(), "family_id": family_id}
    config.store.set(_AT + jti, dumps(record), ttl)
    return token, jti


def access_grant(jti: str) -> tuple[Grant, str | None] | None:
    """The grant of a live access token: on record and its refresh-token family not revoked."""
    data = loads(oidc().store.get(_AT + jti)) if jti and len(jti) <= 64 else None
    if not isinstance(data, dict):
        return None
    family_id = data.get("family_id")
    if family_id is not None and not refresh.family_live(str(family_id)):
        return None
    return Grant.from_dict(data["grant"]), family_id


def revoke_access(jti: str | None) -> None:
    if jti:
        oidc().store.delete(_AT + jti)


def id_token(client: OidcClient, grant: Grant, nonce: str | None, access: str) -> str:
    config = oidc()
    now = int(config.now())
    body: dict[str, Any] = {
        "iss": config.issuer,
        "sub": remembered_subject(client, grant.citizen_id),
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": now,
        "exp": now + config.settings.oidc_id_token_ttl,
        "auth_time": int(grant.auth_time),
        "acr": levels.acr_of(Level(grant.level)),
        "amr": grant.amr,
        "sid": session_ref(client, grant.session_id),
        "at_hash": _half_hash(access),
    }
    if nonce is not None:
        body["nonce"] = nonce
    asked = set(grant.claims.get("id_token", []))
    if asked:
        values = api.attributes_of(grant.citizen_id) or {}
        body.update(claims.only(claims.release(grant.attributes, values), asked))
    body.update(roles.claim(client, grant.citizen_id))
    return signing.sign(body, client.id_token_alg, "JWT")


def _half_hash(token: str) -> str:
    """OIDC Core §3.1.3.6 ``at_hash``: left half of SHA-256 (RS256, PS256 and ES256)."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def token_response(
    client: OidcClient, grant: Grant, nonce: str | None, rotated: Issued | None = None
) -> tuple[dict[str, Any], str, str]:
    """The token response (RFC 6749 §5.1) with the family id and the access token's jti."""
    issued = rotated or refresh.issue(grant)
    access, jti = access_token(client, grant, issued.family_id)
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": oidc().settings.oidc_access_token_ttl,
        "refresh_token": issued.token,
        "id_token": id_token(client, grant, nonce, access),
        "scope": " ".join(grant.scopes),
    }
    return body, issued.family_id, jti
