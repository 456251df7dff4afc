"""Attribute release: the attribute table of ``account`` filtered by the SP's release list,
each attribute with its provenance (DESIGN.md "Attributes"), plus the level attribute
``EID-CITIZEN-QAA-LEVEL`` and, where released, the pairwise subject identifier."""

from __future__ import annotations

from account import api
from account.attributes import BY_NAME, Provenance
from account.identity import AttributeValue
from idp.saml.assemble import ReleasedAttribute
from idp.saml.loa import STORK

LEVEL_ATTRIBUTE = "urn:oid:1.2.40.0.10.2.1.1.261.94"
LEVEL_FRIENDLY_NAME = "EID-CITIZEN-QAA-LEVEL"
SUBJECT_ATTRIBUTE = "urn:oid:1.3.6.1.4.1.25484.494450.3"
#: The pseudo-attribute in a release list that stands for the pairwise subject identifier.
SUBJECT = "subject"
#: Trust level per provenance: read from the ID card vs. typed by the citizen.
_TRUST = {Provenance.EID: STORK[4], Provenance.SELF: STORK[1]}


def released(
    release: list[str],
    values: dict[str, AttributeValue],
    level_uri: str,
    subject: str | None,
) -> tuple[ReleasedAttribute, ...]:
    out = []
    for name in release:
        attribute = BY_NAME.get(name)
        value = values.get(name)
        if attribute is None or attribute.saml_name is None or value is None:
            continue
        out.append(
            ReleasedAttribute(
                name=attribute.saml_name,
                friendly_name=name,
                values=(value.value,),
                provenance=value.provenance.value,
                verified_on=value.verified_on.isoformat() if value.verified_on else None,
                trust_level=_TRUST[value.provenance],
            )
        )
    if SUBJECT in release and subject is not None:
        out.append(ReleasedAttribute(SUBJECT_ATTRIBUTE, SUBJECT, (subject,)))
    out.append(ReleasedAttribute(LEVEL_ATTRIBUTE, LEVEL_FRIENDLY_NAME, (level_uri,)))
    return tuple(out)


#: eduPersonEntitlement (MACE-Dir): the roles this SP may learn, e.g. clerk:<service>.
ROLES_ATTRIBUTE = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"


def roles(allowed: list[str], citizen_id: str) -> tuple[ReleasedAttribute, ...]:
    """The citizen's roles among those registered for the SP (none: no attribute at all)."""
    held = sorted(api.roles_of(citizen_id) & set(allowed or ()))
    if not held:
        return ()
    return (ReleasedAttribute(ROLES_ATTRIBUTE, "eduPersonEntitlement", tuple(held)),)
