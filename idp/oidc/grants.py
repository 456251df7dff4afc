"""Authorization codes: single-use, short-lived, bound to client, redirect_uri and PKCE.

RFC 6749 §4.1.2 and RFC 9700 §4.5: a code lives at most 60 s. A redemption first claims the
code by storing its *redeemed* marker with ``SET NX`` — naming the refresh-token family the
tokens are going to belong to — and only then takes the code and issues. The marker stays as
long as the longest-lived token it can lead to (the refresh-token family), so of many
concurrent redemptions exactly one ever claims the code, and every other use, at any moment
after the claim, finds the marker and revokes that family (RFC 6749 §4.1.2 "SHOULD revoke"),
with the access tokens that live only as long as it
(:func:`idp.oidc.refresh.family_live`). The first such use also sets a *replayed* flag
(``SET NX``: it alone audits). A use that comes while the first redemption is still issuing
revokes a family that has no rows yet; so the first redemption, once its tokens are committed,
looks for the flag (:func:`replayed_meanwhile`) and revokes them itself.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from core.db import new_id
from core.store.base import dumps, loads
from idp.oidc.config import oidc

_CODE = "oidc:code:"
_REDEEMED = "oidc:code-redeemed:"
_REPLAYED = "oidc:code-replayed:"
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


@dataclass(frozen=True)
class Claimed:
    """A code this redemption has claimed, and the family its tokens must belong to."""

    code_grant: CodeGrant
    family_id: str


def _valid(code: str) -> bool:
    return bool(code) and len(code) <= MAX_CODE_LENGTH


def _marker_ttl() -> int:
    """The marker outlives everything a redemption can issue: the access tokens and the
    refresh-token family (whose absolute lifetime rotation never extends), so a second use of
    the code at any later moment still finds whom to revoke (RFC 6749 §4.1.2)."""
    settings = oidc().settings
    return max(
        settings.oidc_access_token_ttl,
        settings.oidc_refresh_token_ttl,
        10 * settings.oidc_code_ttl,
    )


def claim_code(code: str) -> Claimed | None:
    """Claim ``code`` for this redemption: the marker first (``SET NX``), then the code is
    taken. None when unknown, expired, already claimed or used: then call :func:`first_replay`.
    """
    if not _valid(code):
        return None
    config = oidc()
    key = _CODE + config.keyed_hash(code)
    data = loads(config.store.get(key))  # an unknown code leaves no marker behind
    if not isinstance(data, dict):
        return None
    family_id = new_id()
    marker = {"client_id": data["grant"]["client_id"], "family_id": family_id}
    if not config.store.add(_REDEEMED + config.keyed_hash(code), dumps(marker), _marker_ttl()):
        return None  # another redemption claimed it first
    data = loads(config.store.take(key))
    if not isinstance(data, dict):
        return None  # expired in between
    code_grant = CodeGrant(
        grant=Grant.from_dict(data["grant"]),
        redirect_uri=data["redirect_uri"],
        code_challenge=data["code_challenge"],
        nonce=data["nonce"],
    )
    return Claimed(code_grant, family_id)


def replayed_meanwhile(code: str) -> bool:
    """After issuing for a claimed code: True when a second use has come since the claim."""
    config = oidc()
    return config.store.get(_REPLAYED + config.keyed_hash(code)) is not None


def first_replay(code: str) -> dict[str, str | None] | None:
    """For a second use of a claimed code: the claim (what to revoke), for the first such use
    only; None for the later ones and for codes never claimed (nothing is stored for those)."""
    if not _valid(code):
        return None
    config = oidc()
    hashed = config.keyed_hash(code)
    data = loads(config.store.get(_REDEEMED + hashed))
    if not isinstance(data, dict):
        return None
    if not config.store.add(_REPLAYED + hashed, b"1", _marker_ttl()):
        return None
    return data
