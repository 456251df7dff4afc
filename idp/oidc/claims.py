"""Claims from the Bürgerkonto profile through the attribute table (DESIGN.md "Attributes").

Values read from the ID card (provenance ``eid``) are released inside ``verified_claims``
(OpenID Connect for Identity Assurance 1.0 §5), one entry per reading date; self-asserted
values are plain claims (OIDC Core §5.1). Only attributes of the grant are released.
"""

from __future__ import annotations

from typing import Any

from account.attributes import BY_NAME, Provenance
from account.identity import AttributeValue

_ADDRESS = "address."


def release(attributes: list[str], values: dict[str, AttributeValue]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    verified: dict[str, dict[str, Any]] = {}
    for name in attributes:
        value = values.get(name)
        claim = BY_NAME[name].oidc_claim if name in BY_NAME else None
        if value is None or claim is None:
            continue
        if value.provenance is Provenance.EID:
            day = value.verified_on.isoformat() if value.verified_on else ""
            _put(verified.setdefault(day, {}), claim, value.value)
        else:
            _put(plain, claim, value.value)
        if name == "email":
            plain["email_verified"] = True  # the profile only holds a confirmed address
    if verified:
        plain["verified_claims"] = [
            _verified(day, claims) for day, claims in sorted(verified.items())
        ]
    return plain


def _put(target: dict[str, Any], claim: str, value: str) -> None:
    if claim.startswith(_ADDRESS):
        target.setdefault("address", {})[claim[len(_ADDRESS) :]] = value
    elif claim == "nationalities":
        target[claim] = [value]
    else:
        target[claim] = value


def _verified(day: str, claims: dict[str, Any]) -> dict[str, Any]:
    """OIDC4IDA §5.1: read from the German ID card's eID function (eIDAS, level high)."""
    verification: dict[str, Any] = {"trust_framework": "eidas", "assurance_level": "high"}
    if day:
        verification["time"] = day
    verification["evidence"] = [{"type": "electronic_record", "record": {"type": "eid_card"}}]
    return {"verification": verification, "claims": claims}


def supported() -> list[str]:
    names = {"sub", "acr", "amr", "auth_time", "sid", "email_verified", "verified_claims"}
    for attribute in BY_NAME.values():
        if attribute.oidc_claim:
            names.add(attribute.oidc_claim.split(".")[0])
    return sorted(names)


def only(released: dict[str, Any], asked: set[str]) -> dict[str, Any]:
    """The released claims named in ``asked`` (the ``claims`` parameter's id_token member)."""
    result = {k: v for k, v in released.items() if k in asked}
    verified = [
        {**entry, "claims": {k: v for k, v in entry["claims"].items() if k in asked}}
        for entry in released.get("verified_claims", [])
    ]
    verified = [entry for entry in verified if entry["claims"]]
    if verified:
        result["verified_claims"] = verified
    return result


def supported_verified() -> list[str]:
    """Claims that can come from the ID card (an eID source in the attribute table)."""
    return sorted(
        {a.oidc_claim.split(".")[0] for a in BY_NAME.values() if a.eid_source and a.oidc_claim}
    )
