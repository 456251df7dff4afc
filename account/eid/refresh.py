"""A card reading refreshes the profile's ID-card values (issue 6: "the citizen sees what
changed", e.g. a new address after a move).

For every attribute the card delivered: its value becomes the profile value with provenance
``eid`` and the day read (replacing a self-typed one); an attribute delivered empty removes an
older card value (not a self-typed one). Attributes not delivered stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from account.attributes import BY_NAME, Provenance
from account.eid.card import CardReading
from account.models import Citizen, ProfileValue
from account.spelling import as_written
from core.clock import to_datetime


@dataclass(frozen=True)
class Change:
    attribute: str
    before: str | None
    after: str | None

    @property
    def label(self) -> str:
        return str(BY_NAME[self.attribute].label)

    def to_list(self) -> list[str | None]:
        return [self.attribute, self.before, self.after]

    @classmethod
    def from_list(cls, data: list[str | None]) -> Change:
        return cls(str(data[0]), data[1], data[2])


def _shown(row: ProfileValue | None) -> str | None:
    if row is None:
        return None
    if row.provenance == Provenance.EID.value:
        return as_written(row.attribute, row.value)
    return row.value


def apply(citizen: Citizen, reading: CardReading, now: float) -> list[Change]:
    """Update the profile in the current transaction; the changes as the citizen reads them."""
    rows = {v.attribute: v for v in citizen.profile_values}
    changes = []
    for name in sorted(reading.delivered, key=list(BY_NAME).index):
        row, new = rows.get(name), reading.values.get(name)
        before = _shown(row)
        if new is None:
            if row is not None and row.provenance == Provenance.EID.value:
                citizen.profile_values.remove(row)
                changes.append(Change(name, before, None))
            continue
        if row is None:
            row = ProfileValue(attribute=name, value=new, updated_at=to_datetime(now))
            citizen.profile_values.append(row)
        changed = row.value != new or row.provenance != Provenance.EID.value
        if changed:
            row.value, row.updated_at = new, to_datetime(now)
        row.provenance = Provenance.EID.value
        row.verified_on = reading.read_on
        if changed:
            changes.append(Change(name, before, as_written(name, new)))
    return changes
