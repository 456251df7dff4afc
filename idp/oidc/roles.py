"""The ``roles`` claim: a clerk's role for exactly this relying party.

A citizen's roles (``admin``, ``clerk:<service>``) stay in the hub; a client learns only the
roles on its own registry entry (``flask oidc-clients update ID --role clerk:<service>``), so
the clerk role of one service never reaches another. Roles are authorisation data of the
city's own back-office apps, not profile attributes: they carry no provenance and need no
consent (the client is registered for them by an administrator).
"""

from __future__ import annotations

from account import api
from idp.oidc.models import OidcClient

CLAIM = "roles"


def claim(client: OidcClient, citizen_id: str) -> dict[str, list[str]]:
    """``{"roles": [...]}`` with the citizen's roles this client may learn (or nothing)."""
    allowed = set(client.roles or ())
    if not allowed:
        return {}
    held = sorted(api.roles_of(citizen_id) & allowed)
    return {CLAIM: held} if held else {}
