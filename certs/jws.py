"""Verifying a JWS against our own published keys, with the algorithm pinned to the key.

RFC 8725 (JWT BCP) §3.1/§3.2: the key is chosen by ``kid`` among our published keys, and only
the algorithms of that key's type are accepted, so ``none``, ``HS256`` with a public key as
the secret, or RSA/EC confusion cannot be forced by the token. Time claims (RFC 7519 §4.1.4,
§4.1.5, §4.1.6) are checked against the hub's injectable clock; ``exp`` is required.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from certs.keyring import PublishedKey


class UnknownKey(jwt.InvalidSignatureError):
    """The token names no key we publish (or none at all)."""


def decode(
    token: str,
    find: Callable[[str], PublishedKey | None],
    *,
    now: float,
    audience: str | None,
    issuer: str | None,
    algorithms: list[str] | None,
    leeway: int,
) -> dict[str, Any]:
    """Verify ``token``; ``audience``/``issuer`` None means that claim is not checked.

    Raises subclasses of :class:`jwt.InvalidTokenError` only.
    """
    header = jwt.get_unverified_header(token)
    if "crit" in header:
        raise jwt.InvalidTokenError("unsupported critical header parameters (RFC 7515 §4.1.11)")
    kid = header.get("kid")
    key = find(kid) if isinstance(kid, str) and kid else None
    if key is None:
        raise UnknownKey("the token's kid names no published key")
    alg = header.get("alg")
    allowed = [a for a in key.jws_algorithms if algorithms is None or a in algorithms]
    if not isinstance(alg, str) or alg not in allowed:
        raise jwt.InvalidAlgorithmError("the algorithm does not fit the key or is not allowed")
    claims: dict[str, Any] = jwt.decode(
        token,
        key.public_key,
        algorithms=[alg],
        audience=audience,
        issuer=issuer,
        options={
            "verify_signature": True,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_aud": audience is not None,
            "verify_iss": issuer is not None,
            "require": ["exp"],
        },
    )
    check_times(claims, now, leeway)
    return claims


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise jwt.DecodeError(f"the {name} claim must be a number")
    return float(value)


def check_times(claims: dict[str, Any], now: float, leeway: int) -> None:
    exp = _number(claims, "exp")
    if exp is None:
        raise jwt.MissingRequiredClaimError("exp")
    if now >= exp + leeway:
        raise jwt.ExpiredSignatureError("Signature has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and now < nbf - leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
