"""The status push client against a loopback stand-in of the hub's endpoints: what each answer
means for the outbox (accepted, retried — with the hub's Retry-After —, refused for good), that
a redirect is never followed, and that a hub that does not answer costs one timeout."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.kit.models import Application, ApplicationEvent
from services.kit.push import PATH, StatusPusher


class FakeHub:
    """Discovery, a token endpoint and the inbox on 127.0.0.1; the inbox answers ``answers``
    in turn (status, headers, JSON body), the last one repeating."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], dict[str, Any]]] = [(201, {}, {})]
        self.updates: list[dict[str, Any]] = []
        self.tokens = 0
        self.gate = threading.Event()
        self.gate.set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{hub.server.server_port}"
                self._json(200, {}, {"token_endpoint": base + "/token"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/token":
                    hub.tokens += 1
                    token = {"access_token": f"t{hub.tokens}", "token_type": "Bearer"}
                    self._json(200, {}, {**token, "expires_in": 300})
                    return
                hub.gate.wait(30)
                hub.updates.append(json.loads(body))
                status, headers, data = (
                    hub.answers.pop(0) if len(hub.answers) > 1 else hub.answers[0]
                )
                self._json(status, headers, data)

            def _json(self, status: int, headers: dict[str, str], data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    found = FakeHub()
    yield found
    found.gate.set()
    found.server.shutdown()
    found.server.server_close()


def _event() -> ApplicationEvent:
    application = Application(reference="SPM-2026-ABCD1234", subject="s-1", title="Sperrmüll")
    moment = datetime(2026, 12, 1, 10, tzinfo=UTC)
    return ApplicationEvent(
        application=application, event_id="e-12345678", state="eingegangen", note="", at=moment
    )


def test_accepted_and_duplicate(hub: FakeHub) -> None:
    pusher = StatusPusher(hub.url, "svc", "secret")
    hub.answers = [(201, {}, {}), (200, {}, {"status": "duplicate"})]
    assert pusher.send(_event()).kind == "accepted"
    assert pusher.send(_event()).kind == "accepted"
    assert hub.tokens == 1 and hub.updates[0]["event_id"] == "e-12345678"
    assert hub.updates[0]["occurred_at"] == "2026-12-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [(503, {}, None), (500, {}, None), (429, {"Retry-After": "7"}, 7.0), (429, {}, None)],
)
def test_server_errors_and_rate_limits_are_retried(
    hub: FakeHub, status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    hub.answers = [(status, headers, {})]
    outcome = StatusPusher(hub.url, "svc", "secret").send(_event())
    assert (outcome.kind, outcome.reason, outcome.retry_after) == (
        "retry",
        f"HTTP {status}",
        retry_after,
    )


def test_an_expired_token_is_fetched_anew(hub: FakeHub) -> None:
    pusher = StatusPusher(hub.url, "svc", "secret")
    hub.answers = [(401, {}, {"error": "invalid_token"}), (201, {}, {})]
    assert pusher.send(_event()).kind == "retry"
    assert pusher.send(_event()).kind == "accepted"
    assert hub.tokens == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "invalid_request"),
        (403, "insufficient_scope"),
        (404, "unknown_subject"),
        (409, "conflict"),
        (413, "invalid_request"),
    ],
)
def test_other_client_errors_are_final(hub: FakeHub, status: int, error: str) -> None:
    hub.answers = [(status, {}, {"error": error})]
    outcome = StatusPusher(hub.url, "svc", "secret").send(_event())
    assert (outcome.kind, outcome.reason) == ("refused", f"HTTP {status} {error}")


def test_a_redirect_is_not_followed(hub: FakeHub) -> None:
    hub.answers = [(302, {"Location": hub.url + PATH + "/elsewhere"}, {})]
    outcome = StatusPusher(hub.url, "svc", "secret").send(_event())
    assert outcome.kind == "refused" and len(hub.updates) == 1


def test_no_hub_and_a_silent_hub_are_retried(hub: FakeHub) -> None:
    gone = StatusPusher("http://127.0.0.1:9", "svc", "secret")  # nothing listens on port 9
    assert gone.send(_event()).kind == "retry"
    hub.gate.clear()  # the inbox reads the update and then says nothing
    outcome = StatusPusher(hub.url, "svc", "secret", timeout=(1.0, 0.3)).send(_event())
    assert (outcome.kind, outcome.reason) == ("retry", "ReadTimeout")
