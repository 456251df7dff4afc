"""Signing and verifying the provider's JWTs through the keyring (certs/); no key here.

Our own tokens are told apart by ``typ`` (RFC 8725 §3.11): ``at+jwt`` for access tokens
(RFC 9068 §2.1), ``JWT`` for ID tokens, ``logout+jwt`` for logout tokens; a verifier that
expects one refuses the others, so an ID token never works as an access token.
"""

from __future__ import annotations

from typing import Any

import jwt

from certs import KeyPurpose, keyring

PURPOSE = KeyPurpose.OIDC_SIGNING
ALGORITHMS = ("RS256", "PS256", "ES256")


def algorithms() -> list[str]:
    """The JWS algorithms we can sign with now (RS256 and PS256 whenever an RSA key is
    active): discovery's ``id_token_signing_alg_values_supported`` (OIDC Discovery §3)."""
    available = set(keyring().available_algorithms(PURPOSE))
    return [a for a in ALGORITHMS if a in available]


def sign(claims: dict[str, Any], alg: str, typ: str) -> str:
    chosen = alg if alg in algorithms() else "RS256"
    return keyring().sign_jwt(PURPOSE, claims, alg=chosen, headers={"typ": typ})


def verify(
    token: str, *, typ: str, issuer: str, audience: str | None, leeway: int = 0
) -> dict[str, Any]:
    """Claims of a token we signed; raises :class:`jwt.InvalidTokenError` otherwise."""
    if not token or len(token) > 16_384:
        raise jwt.InvalidTokenError("no token")
    header = jwt.get_unverified_header(token)
    if str(header.get("typ", "")).lower() not in {typ.lower(), "application/" + typ.lower()}:
        raise jwt.InvalidTokenError("wrong token type")
    return keyring().decode_jwt(
        PURPOSE,
        token,
        audience=audience,
        issuer=issuer,
        algorithms=list(ALGORITHMS),
        leeway=leeway,
    )


def jwks() -> dict[str, Any]:
    return keyring().jwks(PURPOSE)
