"""The provider's blueprint (all endpoints register on it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "oidc",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/oidc/static",
)
