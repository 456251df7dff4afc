"""Scopes and the attributes they stand for (OIDC Core §5.4, DESIGN.md attribute table)."""

from __future__ import annotations

from account.attributes import BY_NAME

OPENID = "openid"

#: OIDC Core §5.4 scopes -> internal attribute names (the claims come from the attribute table).
SCOPE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "profile": (
        "given_names",
        "family_names",
        "birth_name",
        "date_of_birth",
        "place_of_birth",
        "nationality",
        "academic_title",
        "document_type",
    ),
    "email": ("email",),
    "address": ("street_address", "postal_code", "locality", "country", "community_id"),
    "phone": ("phone",),
}

SUPPORTED_SCOPES: tuple[str, ...] = (OPENID, *SCOPE_ATTRIBUTES)

#: OIDC claim name -> internal attribute name (``address.x`` claims map to members of address).
CLAIM_ATTRIBUTE: dict[str, str] = {
    a.oidc_claim: a.name for a in BY_NAME.values() if a.oidc_claim is not None
}


def attributes_for_scopes(scopes: list[str]) -> set[str]:
    names: set[str] = set()
    for scope in scopes:
        names.update(SCOPE_ATTRIBUTES.get(scope, ()))
    return names


def attributes_for_claims(claim_names: list[str]) -> set[str]:
    """Attributes asked for by name in the ``claims`` request parameter (OIDC Core §5.5)."""
    names: set[str] = set()
    for claim in claim_names:
        if claim == "address":
            names.update(SCOPE_ATTRIBUTES["address"])
        elif claim == "email_verified":
            names.add("email")
        elif claim in CLAIM_ATTRIBUTE:
            names.add(CLAIM_ATTRIBUTE[claim])
    return names
