"""The citizen's applications in the Bürgerkonto's JSON export (Art. 15/20 GDPR): every
application a service reported, with its whole timeline, oldest change first (registered with
``account.api.register_export_section``; ``account`` cannot import ``idp``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from idp.oidc import registry
from idp.status import states
from idp.status.models import StatusApplication, StatusEvent

SECTION = "applications"


def applications_of(citizen_id: str) -> list[dict[str, Any]]:
    """Oldest application first, by when its service says it began (its first event)."""
    query = select(StatusApplication).where(StatusApplication.citizen_id == citizen_id)
    rows = sorted(
        db.session.scalars(query),
        key=lambda a: (min((e.occurred_at for e in a.events), default=a.created_at), a.id),
    )
    return [_application(a) for a in rows]


def _application(application: StatusApplication) -> dict[str, Any]:
    timeline = sorted(application.events, key=lambda e: (e.occurred_at, e.id))
    return {
        "service": registry.display_name(application.client_id),
        "reference": application.reference,
        "title": application.title,
        "state": application.state,
        "state_label": states.label(application.state),
        "url": application.url,
        "reported_first_at": application.created_at.isoformat(),
        "updated_at": application.updated_at.isoformat(),
        "timeline": [_event(e) for e in timeline],
    }


def _event(event: StatusEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "received_at": event.received_at.isoformat(),
        "kind": event.kind,
        "state": event.state,
        "state_label": states.label(event.state),
        "note": event.note,
    }
