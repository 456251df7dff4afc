"""Free up to N applications a year, then a fee: the counter and its atomic claim.

One row per (service, subject, calendar year) in ``free_quota_use``. Submitting a free
application claims one place in the same transaction as the submission itself:

    INSERT … ON CONFLICT DO NOTHING                        -- the row exists (used = 0 if new)
    UPDATE … SET used = used + 1 WHERE … AND used < N      -- rowcount 1: the place is taken

On PostgreSQL the UPDATE locks the row; a concurrent one waits until the first transaction
ends and then re-checks ``used < N`` against the committed value (READ COMMITTED re-evaluates
the WHERE clause on the newest row version), so it finds no place left. SQLite lets one writer
at a time in, so the second transaction sees the first one's count. Either way two submissions
cannot both take the last free place. Drafts claim nothing; a rejection gives the place back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.kit.config import QuotaTerms
from services.kit.definition import FreeQuota
from services.kit.models import FreeQuotaUse, db

#: The kit runs on these two; both know INSERT … ON CONFLICT DO NOTHING.
_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql_insert,
    "sqlite": sqlite_insert,
}
#: The form shows the standing of at most this many years.
_YEARS_SHOWN = 3


@dataclass(frozen=True)
class Standing:
    """A citizen's quota in one year, as it is now."""

    year: int
    free_per_year: int
    used: int
    further_fee_cents: int

    @property
    def left(self) -> int:
        return max(0, self.free_per_year - self.used)

    @property
    def free(self) -> bool:
        return self.left > 0

    @property
    def due_cents(self) -> int:
        """What an application of that year costs now."""
        return 0 if self.free else self.further_fee_cents


def _row(service: str, subject: str, year: int) -> Any:
    return (
        (FreeQuotaUse.service == service)
        & (FreeQuotaUse.subject == subject)
        & (FreeQuotaUse.year == year)
    )


@dataclass(frozen=True)
class Quota:
    """A service's yearly free quota: the definition's rule with the configured terms."""

    service: str
    rule: FreeQuota
    terms: QuotaTerms

    def year_of(self, data: Mapping[str, Any]) -> int:
        """The calendar year that counts for an application (its ``year_field`` date)."""
        return date.fromisoformat(str(data[self.rule.year_field])).year

    def standing(self, subject: str, year: int) -> Standing:
        used = db.session.scalar(select(FreeQuotaUse.used).where(_row(self.service, subject, year)))
        return Standing(year, self.terms.free_per_year, used or 0, self.terms.further_fee_cents)

    def years_open(self, lo_days: int | None, hi_days: int | None, today: date) -> list[int]:
        """The calendar years a date between ``today + lo_days`` and ``today + hi_days`` can
        fall in (the form's date range), at most three."""
        first = (today + timedelta(days=lo_days or 0)).year
        last = (today + timedelta(days=hi_days)).year if hi_days is not None else first
        return list(range(first, min(last, first + _YEARS_SHOWN - 1) + 1))

    def claim(self, subject: str, year: int) -> bool:
        """Take one free place of ``year`` for ``subject`` in the caller's transaction (no
        commit): True if taken, False if none is left. The caller commits or rolls back."""
        dialect = db.session.get_bind().dialect.name
        insert = _INSERTS[dialect](FreeQuotaUse).values(
            service=self.service, subject=subject, year=year, used=0
        )
        db.session.execute(insert.on_conflict_do_nothing())
        done = db.session.execute(
            update(FreeQuotaUse)
            .where(_row(self.service, subject, year), FreeQuotaUse.used < self.terms.free_per_year)
            .values(used=FreeQuotaUse.used + 1)
        )
        return getattr(done, "rowcount", 0) == 1


def give_back(service: str, subject: str, year: int) -> bool:
    """Return one used place (a rejected application), in the caller's transaction."""
    done = db.session.execute(
        update(FreeQuotaUse)
        .where(_row(service, subject, year), FreeQuotaUse.used > 0)
        .values(used=FreeQuotaUse.used - 1)
    )
    return getattr(done, "rowcount", 0) == 1
