"""E-mail addresses: syntax check and one normal form, so one person cannot hold two accounts
under ``Anna@Example.org`` and ``anna@example.org``."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalise(address: str) -> str | None:
    """The normal form, or None when ``address`` is not a usable e-mail address."""
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    # lower(), not casefold(): casefold turns "ß" into "ss", which is another mailbox.
    return result.normalized.lower()
