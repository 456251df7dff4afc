"""The status inbox's blueprint (API and the citizen's page register on it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("status", __name__, template_folder="templates")
