"""Forms of the provider's pages (Flask-WTF: each carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """Only the CSRF token (consent decision, revocation buttons)."""
