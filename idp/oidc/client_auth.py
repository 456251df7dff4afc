"""Client authentication at the token, revocation and introspection endpoints.

RFC 6749 §2.3.1 (client_secret_basic, client_secret_post), RFC 7523 §2.2 and OIDC Core §9
(private_key_jwt, ``aud`` = our issuer, ``jti`` single-use), public clients by ``client_id``
alone (they must prove PKCE instead). Each client uses exactly its registered method, and a
request carrying more than one method is refused (RFC 6749 §2.3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any
from urllib.parse import unquote

import jwt
from werkzeug.datastructures import Headers, MultiDict

from idp.oidc import registry
from idp.oidc.config import oidc
from idp.oidc.models import OidcClient

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256"]
MAX_ASSERTION_LIFETIME = 3600 + 60  # Authlib and others default to one hour
_JTI = "oidc:client-jti:"


class ClientAuthError(Exception):
    def __init__(self, error: str, description: str, basic: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = 401 if error == "invalid_client" else 400
        self.basic = basic


def authenticate(form: MultiDict[str, str], headers: Headers) -> OidcClient:
    """The authenticated client; raises :class:`ClientAuthError`."""
    authorization = headers.get("Authorization", "")
    basic = authorization[:6].lower() == "basic "
    used = [
        name
        for name, present in (
            ("client_secret_basic", basic),
            ("client_secret_post", "client_secret" in form),
            ("private_key_jwt", "client_assertion" in form or "client_assertion_type" in form),
        )
        if present
    ]
    if len(used) > 1:
        raise ClientAuthError("invalid_request", "use exactly one client authentication method")
    method = used[0] if used else "none"
    if method == "client_secret_basic":
        return _basic(authorization[6:], form)
    if method == "client_secret_post":
        return _secret(form.get("client_id", ""), form.get("client_secret", ""), method)
    if method == "private_key_jwt":
        return _assertion(form)
    return _public(form.get("client_id", ""))


def _registered(client_id: str, method: str, basic: bool = False) -> OidcClient:
    client = registry.get_enabled(client_id)
    if client is None or client.auth_method != method:
        raise ClientAuthError("invalid_client", "client authentication failed", basic)
    return client


def _basic(encoded: str, form: MultiDict[str, str]) -> OidcClient:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ClientAuthError("invalid_client", "malformed Basic credentials", True) from None
    client_id, secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
    if form.get("client_id", client_id) != client_id:
        raise ClientAuthError("invalid_request", "client_id does not match the credentials")
    return _secret(client_id, secret, "client_secret_basic")


def _secret(client_id: str, secret: str, method: str) -> OidcClient:
    basic = method == "client_secret_basic"
    client = _registered(client_id, method, basic)
    if not registry.secret_matches(client, secret):
        raise ClientAuthError("invalid_client", "client authentication failed", basic)
    return client


def _public(client_id: str) -> OidcClient:
    if not client_id:
        raise ClientAuthError("invalid_client", "client authentication is required")
    return _registered(client_id, "none")


def _assertion(form: MultiDict[str, str]) -> OidcClient:
    if form.get("client_assertion_type") != JWT_BEARER:
        raise ClientAuthError("invalid_client", "client_assertion_type must be jwt-bearer")
    assertion = form.get("client_assertion", "")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise ClientAuthError("invalid_client", "malformed client assertion") from None
    client_id = str(unverified.get("sub", ""))
    if form.get("client_id", client_id) != client_id:
        raise ClientAuthError("invalid_request", "client_id does not match the assertion")
    client = _registered(client_id, "private_key_jwt")
    claims = _verified_assertion(client, assertion, header)
    _single_use(client, claims)
    return client


def _verified_assertion(
    client: OidcClient, assertion: str, header: dict[str, Any]
) -> dict[str, Any]:
    """RFC 7523 §3: signed by a registered key, iss = sub = client_id, aud = our issuer."""
    alg = header.get("alg")
    if alg not in ASSERTION_ALGORITHMS:
        raise ClientAuthError("invalid_client", "assertion algorithm not allowed")
    key = _client_key(client, header.get("kid"), str(alg))
    config = oidc()
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=[str(alg)],
            audience=config.issuer,
            issuer=client.client_id,
            options={
                "require": ["iss", "sub", "aud", "exp", "jti"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise ClientAuthError("invalid_client", f"client assertion refused: {exc}") from None
    now = config.now()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        raise ClientAuthError("invalid_client", "client assertion expired")
    if exp - now > MAX_ASSERTION_LIFETIME:
        raise ClientAuthError("invalid_client", "client assertion lives too long")
    if claims.get("sub") != client.client_id:
        raise ClientAuthError("invalid_client", "sub must be the client_id")
    return claims


def _client_key(client: OidcClient, kid: object, alg: str) -> Any:
    kty = "EC" if alg.startswith("ES") else "RSA"
    try:
        keys = jwt.PyJWKSet.from_dict(client.jwks or {"keys": []}).keys
    except jwt.PyJWKSetError:
        keys = []
    fitting = [k for k in keys if k.key_type == kty and (kid is None or k.key_id == kid)]
    if len(fitting) != 1:
        raise ClientAuthError("invalid_client", "no registered key fits the assertion")
    return fitting[0].key


def _single_use(client: OidcClient, claims: dict[str, Any]) -> None:
    """The ``jti`` replay cache (RFC 7523 §3 item 7), kept until the assertion expires."""
    config = oidc()
    jti = hashlib.sha256(str(claims["jti"]).encode()).hexdigest()
    ttl = max(1, int(float(claims["exp"]) - config.now()) + 1)
    if not config.store.add(f"{_JTI}{client.client_id}:{jti}", b"1", ttl):
        raise ClientAuthError("invalid_client", "client assertion already used")
