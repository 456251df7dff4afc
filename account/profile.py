"""The profile: one value per attribute, each with its provenance.

Values read from the ID card (provenance ``eid``) are not editable by the citizen; everything
else is self-asserted (``self``) and can be changed or cleared here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from account.attributes import ATTRIBUTES, BY_NAME, PROFILE_EDITABLE, Attribute, Provenance
from account.identity import AttributeValue
from account.models import Citizen, ProfileValue
from account.services import services
from account.spelling import as_written
from core import audit
from core.audit import AuditEvent
from core.clock import to_datetime
from core.db import db


@dataclass(frozen=True)
class ProfileRow:
    attribute: Attribute
    value: str | None
    provenance: Provenance | None
    verified_on: date | None

    @property
    def editable(self) -> bool:
        return self.attribute.editable and self.provenance is not Provenance.EID

    @property
    def shown(self) -> str | None:
        """The value as the citizen would write it (card values are kept in the card's
        spelling, see account/spelling.py)."""
        if self.value is None or self.provenance is not Provenance.EID:
            return self.value
        return as_written(self.attribute.name, self.value)


def values(citizen: Citizen) -> dict[str, AttributeValue]:
    """The citizen's attributes with provenance (what protocol faces release from)."""
    result = {
        v.attribute: AttributeValue(v.value, Provenance(v.provenance), v.verified_on)
        for v in citizen.profile_values
    }
    if citizen.is_verified:
        result["email"] = AttributeValue(citizen.email, Provenance.SELF)
    return result


def rows(citizen: Citizen) -> list[ProfileRow]:
    current = values(citizen)
    out = []
    for attribute in ATTRIBUTES:
        v = current.get(attribute.name)
        if attribute.name == "email":
            out.append(ProfileRow(attribute, citizen.email, Provenance.SELF, None))
            continue
        out.append(
            ProfileRow(
                attribute,
                v.value if v else None,
                v.provenance if v else None,
                v.verified_on if v else None,
            )
        )
    return out


def update_self_values(
    citizen: Citizen, submitted: dict[str, str], client_address: str
) -> list[str]:
    """Apply the citizen's edits to self-asserted values; returns the changed attributes.

    Values with provenance ``eid`` are never touched, whatever was submitted.
    """
    now = services().clock.now()
    existing = {v.attribute: v for v in citizen.profile_values}
    changed: list[str] = []
    for attribute in PROFILE_EDITABLE:
        if attribute.name not in submitted:
            continue
        new = submitted[attribute.name].strip()
        current = existing.get(attribute.name)
        if current is not None and current.provenance == Provenance.EID.value:
            continue
        if _apply(citizen, attribute.name, new, current, now):
            changed.append(attribute.name)
    if changed:
        audit.record(
            AuditEvent.PROFILE_CHANGED,
            now=now,
            citizen_id=citizen.id,
            client_address=client_address,
            attributes=",".join(changed),
        )
    db.session.commit()
    return changed


def _apply(citizen: Citizen, name: str, new: str, current: ProfileValue | None, now: float) -> bool:
    if current is None:
        if not new:
            return False
        citizen.profile_values.append(
            ProfileValue(
                attribute=name,
                value=new,
                provenance=Provenance.SELF.value,
                updated_at=to_datetime(now),
            )
        )
        return True
    if current.value == new:
        return False
    if not new:
        citizen.profile_values.remove(current)
    else:
        current.value = new
        current.updated_at = to_datetime(now)
    return True


def label(name: str) -> str:
    return str(BY_NAME[name].label)
