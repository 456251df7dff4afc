"""Status push: one application event to the hub's status inbox over HTTP.

The service authenticates with the OAuth 2.0 client_credentials grant (RFC 6749 §4.4, scope
``status:write``) at the hub's token endpoint (from its discovery document) and posts one JSON
update per event (docs/SERVICES.md, "The status inbox API"). :meth:`StatusPusher.send` says
what became of it; the outbox (:mod:`services.kit.outbox`) and the background sender
(:mod:`services.kit.sender`) decide what to do next:

* ``accepted``: 201, or 200 for an ``event_id`` the hub already has (it deduplicates);
* ``retry``: a network error or timeout, HTTP 5xx, 429 (with its ``Retry-After``), 401 (the
  token is fetched anew), or no token at all (the token endpoint down or refusing);
* ``refused``: any other answer — 4xx (400 invalid, 403 scope, 404 unknown subject, 409
  archived or another citizen's reference, 413) and redirects, which are never followed: the
  same update would be refused again, so it is not sent again.

The citizen's answer to a Rückfrage goes as ``kind`` "answer"; ``url`` is the application's
page at this service (the hub links to it from "Meine Anträge").
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import requests
from authlib.integrations.requests_client import OAuth2Session

from services.kit.models import Application, ApplicationEvent
from services.kit.rueckfrage import is_answer

log = logging.getLogger("service.push")
#: Seconds to connect and to wait for an answer (each HTTP request of a push).
TIMEOUT = (3.05, 10.0)
PATH = "/api/status/v1/updates"
#: The longest ``Retry-After`` we honour (a larger one is capped).
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Outcome:
    kind: Literal["accepted", "retry", "refused"]
    reason: str = ""
    #: For ``retry``: the hub's ``Retry-After`` in seconds, if it said one.
    retry_after: float | None = None


class StatusPusher:
    def __init__(
        self,
        hub_url: str,
        client_id: str,
        client_secret: str,
        service_url: str = "",
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.service_url = service_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - 30 < time.time():
                meta = requests.get(
                    self.hub_url + "/.well-known/openid-configuration",
                    timeout=self.timeout,
                    allow_redirects=False,
                ).json()
                session = OAuth2Session(
                    self.client_id, self.client_secret, scope="status:write", timeout=self.timeout
                )
                token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
                self._token = (token["access_token"], time.time() + int(token["expires_in"]))
            return self._token[0]

    def send(self, event: ApplicationEvent) -> Outcome:
        """Post one event; never raises for what the network or the hub does."""
        try:
            bearer = self._bearer()
        except Exception as exc:  # discovery or token endpoint down, refusing, or garbled
            return Outcome("retry", f"no token: {type(exc).__name__}")
        try:
            answer = requests.post(
                self.hub_url + PATH,
                json=body_of(event, self.service_url),
                headers={"Authorization": "Bearer " + bearer},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return Outcome("retry", type(exc).__name__)
        return self._judge(answer)

    def _judge(self, answer: requests.Response) -> Outcome:
        code = answer.status_code
        if code in (200, 201):
            return Outcome("accepted")
        if code == 401:
            with self._lock:
                self._token = None
        if code >= 500 or code in (401, 429):
            return Outcome("retry", f"HTTP {code}", _retry_after(answer))
        return Outcome("refused", f"HTTP {code} {_error_code(answer)}".strip())


def body_of(event: ApplicationEvent, service_url: str = "") -> dict[str, Any]:
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
    if service_url:
        body["url"] = f"{service_url}/antrag/{application.id}"
    return body


def _retry_after(answer: requests.Response) -> float | None:
    """RFC 9110 §10.2.3, the delay-seconds form (the hub sends no dates)."""
    value = answer.headers.get("Retry-After", "")
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else None


def _error_code(answer: requests.Response) -> str:
    try:
        data = answer.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return str(error)[:60] if isinstance(error, str) else ""
