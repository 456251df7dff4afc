"""Security headers on every response (OWASP Secure Headers Project)."""

from __future__ import annotations

from flask import Flask, Response, request

#: No ``form-action`` on the citizen's pages: browsers hold every redirect that follows a form
#: submission to the form page's ``form-action`` (CSP 3 §6.4.1; Chromium enforces it,
#: w3c/webappsec-csp#8), and the hub's forms (login, second factor, consent, logout
#: confirmation) end, by design, in a redirect to a relying party's registered redirect URI,
#: ACS or post-logout URI — ``'self'`` would strand the citizen on the hub. Keycloak's default
#: policy has no ``form-action`` for the same reason. Pages that post to a relying party set a
#: policy of their own naming its origin (idp/oidc/responses.py, idp/saml/bindings.py).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
#: The administration never leads off the hub: its forms keep ``form-action 'self'``.
ADMIN_PREFIX = "/verwaltung"
ADMIN_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; form-action 'self'"
HSTS = "max-age=63072000; includeSubDomains"


def init_headers(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    h = response.headers
    admin = request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/")
    h.setdefault(
        "Content-Security-Policy",
        ADMIN_CONTENT_SECURITY_POLICY if admin else CONTENT_SECURITY_POLICY,
    )
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "web.static":
        # Pages are personal or part of an authentication: never cache them (RFC 9111 §5.2.2.5).
        h.setdefault("Cache-Control", "no-store")
    return response
