"""The service kit: a city service is a small declarative definition (services/<name>/); the
kit makes it a Flask app that logs citizens in at the hub (OIDC or SAML, over HTTP only),
prefills the form, takes the fee, issues a receipt and reports every state change to the hub.
"""

from __future__ import annotations

from services.kit.app import create_service_app

__all__ = ["create_service_app"]
