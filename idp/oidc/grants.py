"""Authorization codes: single-use, short-lived, bound to client, redirect_uri and PKCE.

RFC 6749 §4.1.2 and RFC 9700 §4.5: a code lives at most 60 s and is taken from the store in
one atomic step (``GETDEL``), so of many concurrent redemptions exactly one gets it. A second
use finds the code gone and a *redeemed* marker instead: then what the first use issued is
revoked (RFC 6749 §4.1.2 "SHOULD revoke").
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from core.store.base import dumps, loads
from idp.oidc.config import oidc

_CODE = "oidc:code:"
_REDEEMED = "oidc:code-redeemed:"
MAX_CODE_LENGTH = 128


@dataclass(frozen=True)
class Grant:
    """What the citizen allowed and how they authenticated (also kept with refresh tokens)."""

    client_id: str
    citizen_id: str
    session_id: str
    scopes: list[str]
    #: Internal attribute names the client may receive (scopes + claims, release list, consent).
    attributes: list[str]
    #: Claims asked for in the ``claims`` request parameter: {"userinfo": [...], "id_token": [...]}.
    claims: dict[str, list[str]]
    auth_time: float
    level: str
    amr: list[str]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Grant:
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CodeGrant:
    grant: Grant
    redirect_uri: str
    code_challenge: str
    nonce: str | None


def issue_code(code_grant: CodeGrant) -> str:
    config = oidc()
    code = secrets.token_urlsafe(32)
    data = {**asdict(code_grant), "grant": code_grant.grant.to_dict()}
    config.store.set(_CODE + config.keyed_hash(code), dumps(data), config.settings.oidc_code_ttl)
    return code


def take_code(code: str) -> CodeGrant | None:
    """The code's grant, removed in the same step; None when unknown, used or expired."""
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    config = oidc()
    data = loads(config.store.take(_CODE + config.keyed_hash(code)))
    if not isinstance(data, dict):
        return None
    return CodeGrant(
        grant=Grant.from_dict(data["grant"]),
        redirect_uri=data["redirect_uri"],
        code_challenge=data["code_challenge"],
        nonce=data["nonce"],
    )


def mark_redeemed(code: str, client_id: str, family_id: str | None, jti: str) -> None:
    """Remember what the code bought, so that a replay can revoke it."""
    config = oidc()
    ttl = max(config.settings.oidc_access_token_ttl, 10 * config.settings.oidc_code_ttl)
    marker = {"client_id": client_id, "family_id": family_id, "jti": jti}
    config.store.set(_REDEEMED + config.keyed_hash(code), dumps(marker), ttl)


def take_redeemed(code: str) -> dict[str, str | None] | None:
    """For a replayed code: what its first use issued (once)."""
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    config = oidc()
    data = loads(config.store.take(_REDEEMED + config.keyed_hash(code)))
    return data if isinstance(data, dict) else None
