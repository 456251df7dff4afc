"""The kit's blueprint: citizen pages, login endpoints, payment, back office."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kit", __name__, template_folder="templates", static_folder="static")
