"""Login over OpenID Connect with Authlib's Flask client, configured only with the hub's
discovery URL and this service's client credentials (OIDC Core §3.1, PKCE S256).

The service asks for its minimum level with ``acr_values`` (OIDC Core §3.1.2.1); the hub steps
up if needed. The service still checks the ``acr`` it receives (never trust a request alone).
Claims inside ``verified_claims`` (OpenID Connect for Identity Assurance 1.0 §5) are verified
values from the ID card; plain claims are self-asserted.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, url_for
from flask_babel import get_locale

from services.kit import attributes
from services.kit.attributes import ACR, BY_NAME
from services.kit.config import ServiceConfig
from services.kit.definition import Service
from services.kit.visitor import Channel, HubSession, Value, Visitor

CLIENTS = {"citizen": "hub", "clerk": "hub_clerk"}


class LoginRefused(Exception):  # noqa: N818
    pass


def init(app: Flask, service: Service, config: ServiceConfig) -> OAuth:
    oauth = OAuth(app)
    discovery = config.hub_url.rstrip("/") + "/.well-known/openid-configuration"
    scopes = {"openid", *(BY_NAME[a].scope for a in service.attributes if a in BY_NAME)}
    common = {"code_challenge_method": "S256", "token_endpoint_auth_method": "client_secret_basic"}
    oauth.register(
        CLIENTS["citizen"],
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=discovery,
        client_kwargs={"scope": " ".join(sorted(scopes)), **common},
    )
    oauth.register(
        CLIENTS["clerk"],
        client_id=config.clerk_client_id,
        client_secret=config.clerk_client_secret,
        server_metadata_url=discovery,
        client_kwargs={"scope": "openid profile", **common},
    )
    return oauth


def start(oauth: OAuth, channel: Channel, level: str) -> Any:
    client = getattr(oauth, CLIENTS[channel])
    callback = url_for("kit.oidc_callback", channel=channel, _external=True)
    locale = str(get_locale() or "de")  # the hub's pages in the same language (§3.1.2.1)
    return client.authorize_redirect(callback, acr_values=ACR[level], ui_locales=locale)


def finish(oauth: OAuth, service: Service, channel: Channel, level: str) -> Visitor:
    client = getattr(oauth, CLIENTS[channel])
    token = client.authorize_access_token()
    claims = dict(token.get("userinfo") or {})
    reached = attributes.LEVEL_OF.get(str(claims.get("acr", "")), "")
    if not attributes.at_least(reached, level):
        raise LoginRefused(reached or "unknown")
    info = dict(client.userinfo(token=token)) if channel == "citizen" else {}
    if info and info.get("sub") != claims.get("sub"):
        raise LoginRefused("userinfo sub differs")  # OIDC Core §5.3.2
    return Visitor(
        subject=str(claims["sub"]),
        level=reached,
        channel=channel,
        values=values_of(info, service.attributes),
        roles=tuple(r for r in claims.get("roles", ()) if isinstance(r, str)),
        hub=HubSession(session=str(claims.get("sid") or ""), id_token=str(token["id_token"])),
    )


def values_of(info: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Value]:
    verified: dict[str, Any] = {}
    for entry in info.get("verified_claims", ()) or ():
        if isinstance(entry, dict) and isinstance(entry.get("claims"), dict):
            _merge(verified, entry["claims"])
    found = {}
    for name in wanted:
        published = BY_NAME.get(name)
        if published is None:
            continue
        for source, is_verified in ((verified, True), (info, False)):
            value = _claim(source, published.oidc_claim)
            if value:
                found[name] = Value(value, is_verified)
                break
    return found


def _merge(target: dict[str, Any], claims: dict[str, Any]) -> None:
    for key, value in claims.items():
        if isinstance(value, dict):
            _merge(target.setdefault(key, {}), value)
        else:
            target[key] = value


def _claim(source: dict[str, Any], path: str) -> str:
    value: Any = source
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip()[:400] if isinstance(value, str) else ""
