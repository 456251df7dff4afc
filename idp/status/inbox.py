"""``POST /api/status/v1/updates``: a relying party reports a state change of an application.

Authentication: a bearer token of the client_credentials grant (RFC 6749 §4.4, RFC 6750 §2.1)
with scope ``status:write``. The citizen is addressed by the subject the service knows: the
pairwise ``sub`` of its OIDC client, or for a SAML service the persistent pairwise NameID at
the SP its API client speaks for (``saml_entity_id`` in the registry). Body (JSON)::

    {"event_id": "…", "subject": "…", "reference": "SPM-2026-…", "title": "…",
     "state": "eingegangen", "note": "…", "occurred_at": "2026-12-01T10:00:00Z",
     "kind": "status", "url": "https://service.example/antrag/…"}

``kind`` (optional) is ``status`` (the service's change; ``note`` is its note to the citizen)
or ``answer`` (the citizen's own answer to a Rückfrage, ``note`` its text). ``url``
(optional) is the application's page at the service; it must lie at an origin the client is
registered with (an OIDC redirect URI, or a SAML SP's AssertionConsumerService), so "Meine
Anträge" never links anywhere the city did not register.

Answers: 201 recorded, 200 the same ``event_id`` again (nothing changes), 400 invalid (every
problem by field), 401/403 token, 404 unknown subject, 409 reference of another citizen or an
archived application, 413 too large, 429 over the per-client rate limit (``Retry-After``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import to_datetime
from core.db import db
from idp.oidc import client_credentials, registry, subjects
from idp.oidc.models import OidcClient
from idp.saml import nameid
from idp.saml import registry as saml_registry
from idp.saml.models import sp_by_entity_id
from idp.saml.spmeta import MetadataRefused
from idp.status import mails, states
from idp.status.blueprint import bp
from idp.status.models import StatusApplication, StatusEvent

log = logging.getLogger("portal.status")

SCOPE = "status:write"
MAX_BODY = 16 * 1024
RATE_PER_MINUTE = 120
MAX_FUTURE_SECONDS = 300
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,63}$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
KINDS = ("status", "answer")
MAX_URL = 500


@dataclass(frozen=True)
class Update:
    event_id: str
    subject: str
    reference: str
    title: str
    state: str
    note: str
    occurred_at: datetime
    kind: str = "status"
    url: str = ""


class ApiError(Exception):
    def __init__(self, status: int, error: str, description: str, **extra: Any) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.extra = status, error, description, extra


def _answer(code: int, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/status/v1/updates")
def receive() -> Response:
    try:
        client = _authenticated()
        _rate_limited(client)
        update = parse(_payload())
        _check_url(client, update.url)
        citizen_id = subject_owner(client, update.subject)
        if citizen_id is None:
            raise ApiError(404, "unknown_subject", "no citizen with this subject for this client")
        created = record(client, citizen_id, update)
    except ApiError as exc:
        response = _answer(
            exc.status, error=exc.error, error_description=exc.description, **exc.extra
        )
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = f'Bearer realm="status", error="{exc.error}"'
        if exc.status == 429:
            response.headers["Retry-After"] = "60"
        return response
    return _answer(201 if created else 200, status="recorded" if created else "duplicate")


def _authenticated() -> OidcClient:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        raise ApiError(401, "invalid_token", "a bearer token is required")
    token = client_credentials.verify(header[7:].strip())
    client = registry.get_enabled(token.client_id) if token is not None else None
    if token is None or client is None:
        raise ApiError(401, "invalid_token", "the access token is invalid")
    if SCOPE not in token.scopes or SCOPE not in (client.api_scopes or []):
        raise ApiError(403, "insufficient_scope", f"the scope {SCOPE} is required")
    return client


def _rate_limited(client: OidcClient) -> None:
    now = current_app.extensions["clock"].now()
    key = f"status-rate:{client.client_id}:{int(now // 60)}"
    if current_app.extensions["store"].incr(key, 120) > RATE_PER_MINUTE:
        raise ApiError(429, "rate_limited", f"at most {RATE_PER_MINUTE} updates a minute")


def _payload() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, "invalid_request", "the body is too large")
    data = request.get_json(silent=True)
    if not request.is_json or not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "a JSON object is required")
    return data


def parse(data: dict[str, Any]) -> Update:
    """The update, or ApiError 400 naming every problem by field."""
    problems: dict[str, str] = {}

    def text(name: str, limit: int, required: bool = True) -> str:
        value = data.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
            problems[name] = f"a string of 1 to {limit} characters" if required else f"≤ {limit}"
            return ""
        return value.strip()

    event_id, subject = text("event_id", 64), text("subject", 255)
    reference, title = text("reference", 64), text("title", 200)
    state, note = text("state", 32), text("note", 2000, required=False)
    kind = text("kind", 16, required=False) or "status"
    url = text("url", MAX_URL, required=False)
    if kind not in KINDS:
        problems["kind"] = "one of " + ", ".join(KINDS)
    if url and not _absolute_http(url):
        problems["url"] = "an absolute http(s) URL"
    if event_id and not EVENT_ID_RE.match(event_id):
        problems["event_id"] = "8 to 64 of A-Z a-z 0-9 . _ : -"
    if reference and not REFERENCE_RE.match(reference):
        problems["reference"] = "1 to 64 of A-Z a-z 0-9 . / _ -"
    if state and state not in states.LABELS:
        problems["state"] = "one of " + ", ".join(states.LABELS)
    occurred = _instant(data.get("occurred_at"), problems)
    unknown = set(data) - {f.name for f in Update.__dataclass_fields__.values()}
    if unknown:
        problems["_"] = "unknown members: " + ", ".join(sorted(unknown))[:200]
    if problems or occurred is None:
        raise ApiError(400, "invalid_request", "the update is invalid", problems=problems)
    return Update(event_id, subject, reference, title, state, note, occurred, kind, url)


def _absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and not any(c.isspace() or ord(c) < 32 for c in url)
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        default = {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, (parts.hostname or "").lower(), parts.port or default
    except ValueError:  # a registered URL we cannot read matches nothing
        return "", "", None


def _check_url(client: OidcClient, url: str) -> None:
    """``url`` must lie at an origin the client is registered with (400 otherwise)."""
    if not url:
        return
    if _origin(url) not in {_origin(u) for u in registered_urls(client)}:
        problems = {"url": "not at an origin registered for this client"}
        raise ApiError(400, "invalid_request", "the update is invalid", problems=problems)


def registered_urls(client: OidcClient) -> list[str]:
    """The client's redirect URIs, or the ACS URLs of the SAML SP it speaks for."""
    if not client.saml_entity_id:
        return list(client.redirect_uris or [])
    sp = sp_by_entity_id(client.saml_entity_id)
    try:
        return [e.location for e in saml_registry.metadata_of(sp).acs] if sp is not None else []
    except MetadataRefused:  # expired metadata: no link until the SP's metadata are renewed
        return []


def _instant(value: object, problems: dict[str, str]) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if not isinstance(value, str) or parsed is None or parsed.tzinfo is None:
        problems["occurred_at"] = "an ISO 8601 instant with time zone"
        return None
    now = current_app.extensions["clock"].now()
    if parsed.timestamp() > now + MAX_FUTURE_SECONDS:
        problems["occurred_at"] = "lies in the future"
        return None
    return parsed.astimezone(UTC)


def subject_owner(client: OidcClient, subject: str) -> str | None:
    """The citizen the client means: its pairwise ``sub``, or the NameID at its SAML SP."""
    if client.saml_entity_id:
        sp = sp_by_entity_id(client.saml_entity_id)
        if sp is None or len(subject) > 64:
            return None
        return nameid.citizen_of(current_app.extensions["store"], sp, nameid.PERSISTENT, subject)
    return subjects.citizen_for(client.sector_identifier, subject)


def record(client: OidcClient, citizen_id: str, update: Update) -> bool:
    """Store the event (True), or find it already stored (False); mail the citizen once."""
    now = to_datetime(current_app.extensions["clock"].now())
    application = _application(client, citizen_id, update, now)
    if any(e.event_id == update.event_id for e in application.events):
        return False
    if application.state == states.FINAL:
        raise ApiError(409, "conflict", "the application is archived")
    event = StatusEvent(
        event_id=update.event_id,
        state=update.state,
        kind=update.kind,
        note=update.note,
        occurred_at=update.occurred_at,
        received_at=now,
    )
    application.events.append(event)
    if update.occurred_at >= max(e.occurred_at for e in application.events):
        application.state, application.title = update.state, update.title
    if update.url:
        application.url = update.url
    application.updated_at = now
    try:
        db.session.commit()
    except IntegrityError:  # the same event, concurrently: the other request recorded it
        db.session.rollback()
        return False
    mails.status_changed(citizen_id, client.name, application, event)
    return True


def _application(
    client: OidcClient, citizen_id: str, update: Update, now: datetime
) -> StatusApplication:
    query = select(StatusApplication).where(
        StatusApplication.client_id == client.client_id,
        StatusApplication.reference == update.reference,
    )
    application: StatusApplication | None = db.session.scalar(query)
    if application is not None:
        if application.citizen_id != citizen_id:
            raise ApiError(409, "conflict", "the reference belongs to another subject")
        return application
    created = StatusApplication(
        citizen_id=citizen_id,
        client_id=client.client_id,
        reference=update.reference,
        title=update.title,
        state=update.state,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(created)
    except IntegrityError:  # created concurrently by the same client
        again: StatusApplication | None = db.session.scalar(query)
        if again is None or again.citizen_id != citizen_id:
            raise ApiError(409, "conflict", "the reference belongs to another subject") from None
        return again
    return created
