"""Status push: every application event goes to the hub's status inbox.

The service authenticates with the OAuth 2.0 client_credentials grant (RFC 6749 §4.4, scope
``status:write``) at the hub's token endpoint (from its discovery document) and posts one JSON
update per event. Events are an outbox: ``pushed_at`` is set only when the hub accepted the
update (201, or 200 for one it already had); otherwise they are sent again on the next push.
The citizen's answer to a Rückfrage goes as ``kind`` "answer"; ``url`` is the application's
page at this service (the hub links to it from "Meine Anträge").
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select

from services.kit.models import Application, ApplicationEvent, db, now
from services.kit.rueckfrage import is_answer

log = logging.getLogger("service.push")
TIMEOUT = 10
PATH = "/api/status/v1/updates"


class StatusPusher:
    def __init__(
        self, hub_url: str, client_id: str, client_secret: str, service_url: str = ""
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.service_url = service_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - 30 < time.time():
                meta = requests.get(
                    self.hub_url + "/.well-known/openid-configuration", timeout=TIMEOUT
                ).json()
                session = OAuth2Session(
                    self.client_id, self.client_secret, scope="status:write", timeout=TIMEOUT
                )
                token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
                self._token = (token["access_token"], time.time() + int(token["expires_in"]))
            return self._token[0]

    def push_pending(self, application_id: str | None = None, limit: int = 50) -> int:
        """Send unsent events (of one application, or the oldest of all); returns how many."""
        query = select(ApplicationEvent).where(ApplicationEvent.pushed_at.is_(None))
        if application_id is not None:
            query = query.where(ApplicationEvent.application_id == application_id)
        sent = 0
        for event in db.session.scalars(query.order_by(ApplicationEvent.id).limit(limit)):
            if not self._send(event):
                break
            event.pushed_at = now()
            db.session.commit()
            sent += 1
        return sent

    def _send(self, event: ApplicationEvent) -> bool:
        application: Application = event.application
        body: dict[str, Any] = {
            "event_id": event.event_id,
            "subject": application.subject,
            "reference": application.reference,
            "title": application.title,
            "state": event.state,
            "note": event.note,
            "occurred_at": event.at.isoformat(),
        }
        if is_answer(event):
            body["kind"] = "answer"
        if self.service_url:
            body["url"] = f"{self.service_url}/antrag/{application.id}"
        try:
            answer = requests.post(
                self.hub_url + PATH,
                json=body,
                headers={"Authorization": "Bearer " + self._bearer()},
                timeout=TIMEOUT,
            )
        except (requests.RequestException, ValueError, KeyError) as exc:
            log.warning("status push failed: %s", type(exc).__name__)
            return False
        if answer.status_code == 401:
            self._token = None
        if answer.status_code not in (200, 201):
            log.warning("status push refused: %s %s", answer.status_code, answer.text[:200])
            return False
        return True
