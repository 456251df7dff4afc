"""Absolute URLs from the configured base URL, never from the request's Host header
(a forged Host must not turn a password-reset mail into a link to the attacker)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    base: str = current_app.extensions["settings"].base_url
    return base + url_for(endpoint, _external=False, **values)
