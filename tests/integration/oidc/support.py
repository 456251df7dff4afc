"""Helpers for the OpenID Connect tests: register relying parties, PKCE, read responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from jwt.algorithms import RSAAlgorithm
from werkzeug.test import TestResponse

from idp.oidc import registry
from idp.oidc.registry import ClientSpec

REDIRECT = "https://rp.example/callback"


@dataclass(frozen=True)
class Rp:
    client_id: str
    secret: str | None
    redirect_uri: str


def register(app: Flask, **changes: Any) -> Rp:
    values: dict[str, Any] = {
        "name": "Hundesteuer",
        "redirect_uris": [REDIRECT],
        "scopes": ["openid", "profile", "email", "address"],
        "release": ["given_names", "family_names", "email", "street_address", "locality"],
        "post_logout_redirect_uris": ["https://rp.example/bye"],
    }
    values.update(changes)
    spec = ClientSpec(**values)
    with app.test_request_context():
        assert registry.problems(spec, production=False) == []
        client, secret = registry.register(spec)
        return Rp(client.client_id, secret, spec.redirect_uris[0])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_path(rp: Rp, challenge: str, **extra: str | None) -> str:
    params: dict[str, str | None] = {
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "response_type": "code",
        "scope": "openid profile email",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_params(response: TestResponse) -> tuple[str, dict[str, str]]:
    """The redirect's target (without query) and its query parameters (one value each)."""
    assert response.status_code in {302, 303}, response.status_code
    location = response.headers["Location"]
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def consent_action(html: str) -> str:
    match = re.search(r'action="(/oidc/authorize/[^"]+/zustimmung)"', html)
    assert match, "no consent form"
    return match.group(1)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_none(claims: dict[str, Any], typ: str) -> str:
    """An unsigned token (``alg: none``)."""
    header = b64(json.dumps({"alg": "none", "typ": typ}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def forge_hs256_with_public_key(jwks: dict[str, Any], claims: dict[str, Any], typ: str) -> str:
    """HMAC-signed with our published RSA public key (PEM) as the secret: key confusion."""
    rsa_jwk = next(k for k in jwks["keys"] if k["kty"] == "RSA")
    public = RSAAlgorithm.from_jwk(json.dumps(rsa_jwk))
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[union-attr]
    header = {"alg": "HS256", "typ": typ, "kid": rsa_jwk["kid"]}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
