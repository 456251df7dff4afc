"""The outbox of status events: which event goes to the hub next, who sends it, what came of it.

An event is *pending* while it is neither pushed (``pushed_at``) nor failed for good
(``push_failed``). Of each application only its oldest pending event may go: the hub keeps the
state of the latest ``occurred_at`` and accepts nothing after ``archiviert``, so the events of
one application arrive in their order. Any number of senders (threads of several processes on
one database) may drain the outbox: a sender *claims* an event with one conditional UPDATE
(pending, due, not claimed or its claim run out) and sends only what it claimed. A sender that
dies mid-push leaves a claim that runs out after :data:`LEASE`; another one sends the event
again, which the hub answers with 200 "duplicate" (it deduplicates by ``event_id``,
docs/SERVICES.md) — harmless, and the only way an event goes twice.

Failed attempts back off exponentially with jitter (or by the hub's ``Retry-After`` if that is
longer) and end after :attr:`RetryPolicy.attempts`; a refusal ends at once. Both are logged
and kept in ``push_failed`` (``flask push-status --requeue`` sends them again).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_, select, update

from services.kit.config import RetryPolicy
from services.kit.models import ApplicationEvent, db, now

if TYPE_CHECKING:
    from services.kit.push import Outcome

log = logging.getLogger("service.push")
#: How long a claim holds: longer than one push can take (two requests with their timeouts).
LEASE = timedelta(seconds=60)
E = ApplicationEvent


def _pending() -> ColumnElement[bool]:
    return and_(E.pushed_at.is_(None), E.push_failed.is_(None))


def _free(moment: datetime, due_only: bool) -> ColumnElement[bool]:
    unclaimed = or_(E.push_claimed_until.is_(None), E.push_claimed_until < moment)
    if not due_only:
        return unclaimed
    return and_(unclaimed, or_(E.push_due_at.is_(None), E.push_due_at <= moment))


def claim_next(due_only: bool = True) -> ApplicationEvent | None:
    """Claim the oldest sendable event (the first pending one of its application), or None."""
    moment = now()
    firsts = select(func.min(E.id)).where(_pending()).group_by(E.application_id)
    candidates = select(E.id).where(E.id.in_(firsts), _free(moment, due_only)).order_by(E.id)
    for event_id in db.session.scalars(candidates.limit(20)).all():
        done = db.session.execute(
            update(E)
            .where(E.id == event_id, _pending(), _free(moment, due_only))
            .values(push_claimed_until=moment + LEASE)
        )
        db.session.commit()
        if getattr(done, "rowcount", 0) == 1:  # another sender may have been quicker
            return db.session.get(E, event_id)
    return None


def settle(event: ApplicationEvent, outcome: Outcome, policy: RetryPolicy) -> None:
    """Record the outcome of a push and give up the claim."""
    moment = now()
    event.push_claimed_until = None
    if outcome.kind == "accepted":
        event.pushed_at = moment
    elif outcome.kind == "refused":
        event.push_failed = outcome.reason[:200] or "refused"
        log.error("status event %s refused by the hub: %s", event.event_id, outcome.reason)
    else:
        event.push_attempts += 1
        if event.push_attempts >= policy.attempts:
            event.push_failed = f"{event.push_attempts} attempts, last: {outcome.reason}"[:200]
            log.error("status event %s given up: %s", event.event_id, event.push_failed)
        else:
            pause = policy.pause(event.push_attempts, outcome.retry_after)
            event.push_due_at = moment + timedelta(seconds=pause)
            log.warning(
                "status push failed (%s); attempt %s in %.0f s",
                outcome.reason,
                event.push_attempts + 1,
                pause,
            )
    db.session.commit()


def seconds_until_due(longest: float) -> float:
    """How long a sender may sleep before a pending event is due (at most ``longest``)."""
    moment = now()
    query = select(func.min(func.coalesce(E.push_claimed_until, E.push_due_at, moment))).where(
        _pending()
    )
    due = db.session.scalar(query)
    db.session.commit()
    if due is None:
        return longest
    if due.tzinfo is None:  # SQLite hands back the aggregate without the column's type
        due = due.replace(tzinfo=moment.tzinfo)
    return max(0.0, min(longest, (due - moment).total_seconds()))


def pending_count() -> int:
    count = db.session.scalar(select(func.count()).select_from(E).where(_pending()))
    return int(count or 0)


def committed() -> None:
    """An event was committed in this request: wake this process's sender."""
    current_app.extensions["kit_sender"].wake()


def requeue() -> int:
    """Failed events pending again, due now, with fresh attempts (an operator's decision)."""
    done = db.session.execute(
        update(E)
        .where(E.pushed_at.is_(None), E.push_failed.is_not(None))
        .values(push_failed=None, push_attempts=0, push_due_at=None, push_claimed_until=None)
    )
    db.session.commit()
    return int(getattr(done, "rowcount", 0) or 0)
