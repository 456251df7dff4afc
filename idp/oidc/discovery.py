"""Discovery (OpenID Connect Discovery 1.0 §3/§4) and the JWK Set (RFC 7517 §5)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from core.web.urls import external_url
from idp.oidc import claims, levels, signing
from idp.oidc.blueprint import bp
from idp.oidc.client_auth import ASSERTION_ALGORITHMS
from idp.oidc.config import oidc
from idp.oidc.scopes import SUPPORTED_SCOPES

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


def _public(response: Response, max_age: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/openid-configuration")
def configuration() -> Response:
    return _public(jsonify(metadata()), 300)


@bp.get("/oidc/jwks")
def jwks() -> Response:
    response = jsonify(signing.jwks())
    response.mimetype = "application/jwk-set+json"
    return _public(response, 300)


def metadata() -> dict[str, Any]:
    return {
        "issuer": oidc().issuer,
        "authorization_endpoint": external_url("oidc.authorize"),
        "token_endpoint": external_url("oidc.token"),
        "userinfo_endpoint": external_url("oidc.userinfo"),
        "jwks_uri": external_url("oidc.jwks"),
        "end_session_endpoint": external_url("oidc.end_session"),
        "revocation_endpoint": external_url("oidc.revoke"),
        "introspection_endpoint": external_url("oidc.introspect"),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": signing.algorithms(),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS[:3],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims.supported(),
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": levels.supported_acr_values(),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": list(current_app.config.get("PORTAL_LOCALES", ("de",))),
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "verified_claims_supported": True,
        "trust_frameworks_supported": ["eidas"],
        "evidence_supported": ["electronic_record"],
        "claims_in_verified_claims_supported": claims.supported_verified(),
    }
