"""Parsing and checking an authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1).

Two kinds of failure (RFC 6749 §4.1.2.1): an unknown client or a redirect_uri that is not
registered *exactly* gets :class:`RedirectRefused` (never a redirect); everything else is an
:class:`AuthorizeError` sent back to the registered redirect_uri.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from account.identity import Level
from core.store.base import KeyValueStore, dumps, loads
from idp.oidc import levels, registry
from idp.oidc.models import OidcClient
from idp.oidc.scopes import OPENID

CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of SHA-256 (RFC 7636 §4.2)
MAX_PARAM = 1024
PROMPTS = {"none", "login", "consent", "select_account"}
REQUEST_TTL = 30 * 60
_KEY = "oidc:authreq:"


class RedirectRefused(Exception):  # noqa: N818
    """Shown to the citizen; the relying party is not trusted with a redirect."""


class AuthorizeError(Exception):
    """An error response to the redirect_uri (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


@dataclass
class Target:
    """Where a response (or error) goes: known before anything else is checked."""

    client_id: str
    redirect_uri: str
    response_mode: str = "query"
    state: str | None = None


@dataclass
class AuthRequest:
    id: str
    target: Target
    scopes: list[str]
    code_challenge: str
    nonce: str | None
    prompt: list[str]
    max_age: int | None
    login_hint: str | None
    ui_locale: str | None
    acr_minimum: str | None
    claims: dict[str, list[str]]
    created_at: float

    @property
    def client_id(self) -> str:
        return self.target.client_id

    def save(self, store: KeyValueStore) -> None:
        store.set(_KEY + self.id, dumps(asdict(self)), REQUEST_TTL)

    @classmethod
    def load(cls, store: KeyValueStore, request_id: str) -> AuthRequest | None:
        if len(request_id) > 64:
            return None
        data = loads(store.get(_KEY + request_id))
        if not isinstance(data, dict):
            return None
        data["target"] = Target(**data["target"])
        return cls(**data)

    def discard(self, store: KeyValueStore) -> bool:
        return store.delete(_KEY + self.id)


def _single(params: MultiDict[str, str], name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise AuthorizeError("invalid_request", f"{name} is given more than once")
    value = values[0] if values else None
    if value is not None and len(value) > MAX_PARAM:
        raise AuthorizeError("invalid_request", f"{name} is too long")
    return value or None


def target(params: MultiDict[str, str]) -> tuple[OidcClient, Target]:
    """The client and redirect_uri, checked before any redirect is allowed."""
    try:
        client_id = _single(params, "client_id")
        redirect_uri = _single(params, "redirect_uri")
    except AuthorizeError as exc:
        raise RedirectRefused(exc.description) from None
    client = registry.get_enabled(client_id or "")
    if client is None:
        raise RedirectRefused("unknown client")
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise RedirectRefused("redirect_uri not registered")
    found = Target(client.client_id, redirect_uri)
    state = params.getlist("state")
    found.state = state[0] if len(state) == 1 and len(state[0]) <= MAX_PARAM else None
    mode = params.getlist("response_mode")
    found.response_mode = mode[0] if mode in (["query"], ["form_post"]) else "query"
    return client, found


def parse(
    params: MultiDict[str, str],
    client: OidcClient,
    where: Target,
    now: float,
    locales: tuple[str, ...],
) -> AuthRequest:
    """Everything after the target; raises :class:`AuthorizeError`."""
    for name in params:
        _single(params, name)  # RFC 6749 §3.1: no parameter more than once
    if params.get("response_mode", "query") not in {"query", "form_post"}:
        raise AuthorizeError("invalid_request", "response_mode must be query or form_post")
    if params.get("request"):
        raise AuthorizeError("request_not_supported", "request objects are not supported")
    if params.get("request_uri"):
        raise AuthorizeError("request_uri_not_supported", "request_uri is not supported")
    response_type = params.get("response_type")
    if response_type is None:
        raise AuthorizeError("invalid_request", "response_type is required")
    if response_type != "code":
        raise AuthorizeError("unsupported_response_type", "only the code flow is supported")
    scopes = (params.get("scope") or "").split()
    if OPENID not in scopes:
        raise AuthorizeError("invalid_scope", "the openid scope is required")
    claims = _claims(params.get("claims"))
    acr_values = (params.get("acr_values") or "").split() + claims.pop("_acr", [])
    return AuthRequest(
        id=secrets.token_urlsafe(24),
        target=where,
        scopes=[s for s in client.scopes if s in scopes],
        code_challenge=_challenge(params),
        nonce=params.get("nonce"),
        prompt=_prompt(params.get("prompt")),
        max_age=_max_age(params.get("max_age")),
        login_hint=params.get("login_hint"),
        ui_locale=_locale(params.get("ui_locales"), locales),
        acr_minimum=_level(acr_values),
        claims=claims,
        created_at=now,
    )


def _challenge(params: MultiDict[str, str]) -> str:
    """RFC 7636 §4.3 with S256 only (RFC 9700 §2.1.1): no challenge, no ``plain``."""
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        raise AuthorizeError("invalid_request", "code_challenge (PKCE, S256) is required")
    if method != "S256":
        raise AuthorizeError("invalid_request", "code_challenge_method must be S256")
    if not CHALLENGE_RE.match(challenge):
        raise AuthorizeError("invalid_request", "code_challenge is malformed")
    return challenge


def _prompt(raw: str | None) -> list[str]:
    values = [v for v in (raw or "").split() if v in PROMPTS]
    if "none" in values and len(set(values)) > 1:
        raise AuthorizeError("invalid_request", "prompt=none cannot be combined")
    return values


def _max_age(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise AuthorizeError("invalid_request", "max_age must be a non-negative integer")
    return int(raw)


def _locale(raw: str | None, locales: tuple[str, ...]) -> str | None:
    for tag in (raw or "").split():
        language = tag.split("-")[0].lower()
        if language in locales:
            return language
    return None


def _level(values: list[str]) -> str | None:
    level = levels.requested_minimum(values)
    return level.value if level else None


def _claims(raw: str | None) -> dict[str, Any]:
    """OIDC Core §5.5: ``{"userinfo": {...}, "id_token": {...}}``; names kept, acr noted."""
    if raw is None:
        return {"userinfo": [], "id_token": []}
    try:
        data = json.loads(raw)
    except ValueError:
        raise AuthorizeError("invalid_request", "claims is not JSON") from None
    if not isinstance(data, dict):
        raise AuthorizeError("invalid_request", "claims must be a JSON object")
    result: dict[str, Any] = {"userinfo": [], "id_token": [], "_acr": []}
    for member in ("userinfo", "id_token"):
        part = data.get(member)
        part = {} if part is None else part
        if not isinstance(part, dict) or any(
            v is not None and not isinstance(v, dict) for v in part.values()
        ):
            raise AuthorizeError("invalid_request", f"claims.{member} is malformed")
        result[member] = sorted(str(k) for k in part if k != "acr")
        acr = part.get("acr") or {}
        if not isinstance(acr.get("values", []), list):
            raise AuthorizeError("invalid_request", "claims acr values must be a list")
        result["_acr"] += [str(v) for v in acr.get("values", [])]
        if acr.get("value"):
            result["_acr"].append(str(acr["value"]))
    return result


def minimum_level(client: OidcClient, request: AuthRequest) -> Level:
    """The client's configured minimum, raised (never lowered) by the request."""
    requested = Level(request.acr_minimum) if request.acr_minimum else None
    return levels.stricter(Level(client.min_level), requested)
