"""The relying-party registry: register, change, disable OIDC clients; check their secrets.

A client secret is 256 bits from the CSPRNG, shown once and kept only as a keyed hash
(HMAC-SHA-256): it is random, so a slow password hash would add nothing but latency.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from account.attributes import BY_NAME
from account.identity import Level
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db
from idp.oidc.config import oidc
from idp.oidc.models import OidcClient
from idp.oidc.scopes import OPENID, SUPPORTED_SCOPES

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
ID_TOKEN_ALGS = ("RS256", "PS256", "ES256")
CONSENT_MODES = ("required", "skip")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._~-]{3,64}$")
#: Scopes of the client_credentials grant: the hub's machine-to-machine APIs.
API_SCOPES = ("status:write",)
ROLE_RE = re.compile(r"^clerk:[a-z0-9][a-z0-9-]{0,55}$")
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}


@dataclass
class ClientSpec:
    """What an administrator registers (also the edit form's content)."""

    name: str
    redirect_uris: list[str]
    auth_method: str = "client_secret_basic"
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str = ""
    scopes: list[str] = field(default_factory=lambda: [OPENID])
    release: list[str] = field(default_factory=list)
    min_level: str = Level.LOW.value
    consent: str = "required"
    id_token_alg: str = "RS256"
    jwks: dict[str, Any] | None = None
    sector_identifier: str = ""
    #: API access (client_credentials scopes, roles it may learn, the SAML SP it speaks for);
    #: None keeps what the client has (the admin form does not show them).
    api_scopes: list[str] | None = None
    roles: list[str] | None = None
    saml_entity_id: str | None = None


Problems = list[tuple[str, str]]


def problems(spec: ClientSpec, production: bool) -> Problems:
    """Every problem of ``spec`` as (field, message); empty when it can be saved."""
    found: Problems = []
    if not spec.name.strip() or len(spec.name) > 200:
        found.append(("name", str(_l("Bitte geben Sie einen Namen an (höchstens 200 Zeichen)."))))
    found += _api_problems(spec)
    api_only = bool(spec.api_scopes) and spec.scopes == [OPENID]
    if not spec.redirect_uris and not api_only:
        found.append(("redirect_uris", str(_l("Mindestens eine Weiterleitungsadresse ist nötig."))))
    for name, uris in (
        ("redirect_uris", spec.redirect_uris),
        ("post_logout_redirect_uris", spec.post_logout_redirect_uris),
        (
            "backchannel_logout_uri",
            [spec.backchannel_logout_uri] if spec.backchannel_logout_uri else [],
        ),
    ):
        found += [(name, m) for m in (_uri_problem(u, production) for u in uris) if m]
    found += _choice_problems(spec)
    found += _jwks_problems(spec)
    return found


def _uri_problem(uri: str, production: bool) -> str | None:
    """RFC 6749 §3.1.2: absolute, no fragment; https except loopback (RFC 8252 §7.3)."""
    parts = urlsplit(uri)
    if len(uri) > 500 or parts.scheme not in {"https", "http"} or not parts.hostname:
        return str(_l("%(uri)s ist keine absolute http(s)-Adresse.", uri=uri[:80]))
    if parts.fragment or "#" in uri:
        return str(_l("%(uri)s darf keinen Fragment-Teil (#) haben.", uri=uri[:80]))
    if parts.username or parts.password:
        return str(_l("%(uri)s darf keine Zugangsdaten enthalten.", uri=uri[:80]))
    loopback = parts.netloc.split(":")[0] in _LOOPBACK or parts.hostname in {"::1"}
    if parts.scheme == "http" and production and not loopback:
        return str(_l("%(uri)s muss https verwenden.", uri=uri[:80]))
    return None


def _choice_problems(spec: ClientSpec) -> Problems:
    found: Problems = []
    if spec.auth_method not in AUTH_METHODS:
        found.append(("auth_method", str(_l("Unbekanntes Verfahren der Client-Anmeldung."))))
    unknown_scopes = set(spec.scopes) - set(SUPPORTED_SCOPES)
    if unknown_scopes or OPENID not in spec.scopes:
        found.append(("scopes", str(_l("Erlaubt sind openid (immer) und die Standard-Scopes."))))
    if set(spec.release) - set(BY_NAME):
        found.append(("release", str(_l("Unbekanntes Attribut in der Freigabeliste."))))
    if spec.min_level not in {lvl.value for lvl in Level}:
        found.append(("min_level", str(_l("Unbekanntes Vertrauensniveau."))))
    if spec.consent not in CONSENT_MODES:
        found.append(("consent", str(_l("Unbekannte Einstellung für die Einwilligung."))))
    if spec.id_token_alg not in ID_TOKEN_ALGS:
        found.append(("id_token_alg", str(_l("Erlaubt sind RS256, PS256 und ES256."))))
    if len(spec.sector_identifier) > 255:
        found.append(("sector_identifier", str(_l("Höchstens 255 Zeichen."))))
    return found


def _api_problems(spec: ClientSpec) -> Problems:
    """client_credentials only for confidential clients; roles only ``clerk:<service>``."""
    found: Problems = []
    if spec.api_scopes and (set(spec.api_scopes) - set(API_SCOPES) or spec.auth_method == "none"):
        found.append(("api_scopes", str(_l("API-Scopes: status:write, nur mit Geheimnis."))))
    if spec.roles and not all(ROLE_RE.match(r) for r in spec.roles):
        found.append(("roles", str(_l("Rollen: nur clerk:<dienst>."))))
    if spec.saml_entity_id is not None and len(spec.saml_entity_id) > 1024:
        found.append(("saml_entity_id", str(_l("Höchstens 1024 Zeichen."))))
    return found


def _jwks_problems(spec: ClientSpec) -> Problems:
    if spec.auth_method != "private_key_jwt":
        return []
    message = str(_l("Für private_key_jwt ist ein JWK Set mit öffentlichen Schlüsseln nötig."))
    if not spec.jwks:
        return [("jwks", message)]
    try:
        keys = jwt.PyJWKSet.from_dict(spec.jwks).keys
    except (jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, ValueError, KeyError):
        return [("jwks", message)]
    if any(_is_private_or_symmetric(k._jwk_data) for k in keys):
        return [("jwks", str(_l("Das JWK Set darf nur öffentliche Schlüssel enthalten.")))]
    return []


def _is_private_or_symmetric(jwk: dict[str, Any]) -> bool:
    return jwk.get("kty") == "oct" or "d" in jwk


# --- storage --------------------------------------------------------------------------------


def get(client_id: str) -> OidcClient | None:
    if not client_id or len(client_id) > 64:
        return None
    return db.session.get(OidcClient, client_id)


def get_enabled(client_id: str) -> OidcClient | None:
    client = get(client_id)
    return client if client is not None and client.enabled else None


def all_clients() -> list[OidcClient]:
    return list(db.session.scalars(select(OidcClient).order_by(OidcClient.name)))


def display_name(client_id: str) -> str:
    client = get(client_id)
    return client.name if client is not None else client_id


def register(
    spec: ClientSpec, actor_id: str | None = None, client_id: str | None = None
) -> tuple[OidcClient, str | None]:
    """Save a new client (``spec`` already checked); returns it and its secret, shown once."""
    config = oidc()
    now = to_datetime(config.now())
    client = OidcClient(
        client_id=client_id or "rp-" + secrets.token_urlsafe(12),
        created_at=now,
        updated_at=now,
        enabled=True,
    )
    _apply(client, spec)
    secret = _new_secret(client)
    db.session.add(client)
    audit.record(
        AuditEvent.OIDC_CLIENT_REGISTERED,
        now=config.now(),
        actor_id=actor_id,
        client_id=client.client_id,
    )
    db.session.commit()
    return client, secret


def update(client: OidcClient, spec: ClientSpec, actor_id: str | None = None) -> str | None:
    """Save changes; a new secret (returned, shown once) when the method newly needs one."""
    had_secret = client.secret_hash is not None
    _apply(client, spec)
    secret = None if had_secret and client.auth_method in SECRET_METHODS else _new_secret(client)
    client.updated_at = to_datetime(oidc().now())
    audit.record(
        AuditEvent.OIDC_CLIENT_CHANGED,
        now=oidc().now(),
        actor_id=actor_id,
        client_id=client.client_id,
    )
    db.session.commit()
    return secret


def rotate_secret(client: OidcClient, actor_id: str | None = None) -> str | None:
    """A new secret replaces the old one at once (None for clients without secrets)."""
    if client.auth_method not in SECRET_METHODS:
        return None
    secret = _new_secret(client)
    client.updated_at = to_datetime(oidc().now())
    audit.record(
        AuditEvent.OIDC_CLIENT_SECRET_ROTATED,
        now=oidc().now(),
        actor_id=actor_id,
        client_id=client.client_id,
    )
    db.session.commit()
    return secret


def set_enabled(client: OidcClient, enabled: bool, actor_id: str | None = None) -> None:
    client.enabled = enabled
    client.updated_at = to_datetime(oidc().now())
    event = AuditEvent.OIDC_CLIENT_ENABLED if enabled else AuditEvent.OIDC_CLIENT_DISABLED
    audit.record(event, now=oidc().now(), actor_id=actor_id, client_id=client.client_id)
    db.session.commit()


def _apply(client: OidcClient, spec: ClientSpec) -> None:
    client.name = spec.name.strip()
    client.auth_method = spec.auth_method
    client.redirect_uris = list(dict.fromkeys(spec.redirect_uris))
    client.post_logout_redirect_uris = list(dict.fromkeys(spec.post_logout_redirect_uris))
    client.backchannel_logout_uri = spec.backchannel_logout_uri or None
    client.scopes = [s for s in SUPPORTED_SCOPES if s in spec.scopes]
    client.release = [a for a in BY_NAME if a in spec.release]
    client.min_level = spec.min_level
    client.consent = spec.consent
    client.id_token_alg = spec.id_token_alg
    client.jwks = spec.jwks if spec.auth_method == "private_key_jwt" else None
    # Changing the sector changes every pairwise subject: an empty field keeps the old one.
    client.sector_identifier = (
        spec.sector_identifier or client.sector_identifier or client.client_id
    )
    if spec.api_scopes is not None or client.api_scopes is None:
        client.api_scopes = [s for s in API_SCOPES if s in (spec.api_scopes or [])]
    if spec.roles is not None or client.roles is None:
        client.roles = list(dict.fromkeys(spec.roles or []))
    if spec.saml_entity_id is not None:
        client.saml_entity_id = spec.saml_entity_id or None


def _new_secret(client: OidcClient) -> str | None:
    if client.auth_method not in SECRET_METHODS:
        client.secret_hash = None
        return None
    secret = secrets.token_urlsafe(32)
    client.secret_hash = oidc().keyed_hash(secret)
    return secret


def set_known_secret(client: OidcClient, secret: str) -> None:
    """Development only (demo credentials of the service apps): a secret chosen by the caller."""
    if oidc().settings.is_production:
        raise RuntimeError("known secrets are refused in production")
    if client.auth_method not in SECRET_METHODS or len(secret) < 16:
        raise ValueError("a secret of at least 16 characters for a secret method")
    client.secret_hash = oidc().keyed_hash(secret)
    db.session.commit()


def secret_matches(client: OidcClient, presented: str) -> bool:
    """Constant-time comparison of keyed hashes (RFC 6749 §2.3.1)."""
    if client.secret_hash is None or not presented or len(presented) > 512:
        return False
    return hmac.compare_digest(client.secret_hash, oidc().keyed_hash(presented))


def spec_of(client: OidcClient) -> ClientSpec:
    return ClientSpec(
        name=client.name,
        redirect_uris=list(client.redirect_uris),
        auth_method=client.auth_method,
        post_logout_redirect_uris=list(client.post_logout_redirect_uris),
        backchannel_logout_uri=client.backchannel_logout_uri or "",
        scopes=list(client.scopes),
        release=list(client.release),
        min_level=client.min_level,
        consent=client.consent,
        id_token_alg=client.id_token_alg,
        jwks=client.jwks,
        sector_identifier=client.sector_identifier,
        api_scopes=list(client.api_scopes),
        roles=list(client.roles),
        saml_entity_id=client.saml_entity_id or "",
    )
