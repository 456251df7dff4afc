"""Back-channel logout delivery off the request thread (OpenID Connect Back-Channel Logout 1.0).

The logout token is made on the request thread (it needs the keyring); only the HTTP POST of
§2.5 happens here, so a relying party that answers slowly or not at all cannot stall the
citizen's logout. A few daemon threads deliver; a failed attempt — a network error, a timeout,
HTTP 5xx or 429 — is tried again after a pause, at most :data:`ATTEMPTS` times, all well
within the token's lifetime. Any other answer is final: 2xx delivered, 4xx refused by the RP
(§2.8: 400 when it could not log out), a redirect is never followed (no request to a place
other than the registered ``backchannel_logout_uri``).

Trade-off as with mail (connectors/mail/background.py): deliveries still queued when the
process ends are lost; the hub's own side of the logout (session, tokens) is done already.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

log = logging.getLogger("portal.oidc")

#: Attempts per delivery, the pauses before the second and third, and the timeout of each.
ATTEMPTS = 3
BACKOFF_SECONDS = (2.0, 10.0)
TIMEOUT_SECONDS = 3.0
WORKERS = 4
QUEUE_LIMIT = 10_000

#: Posts one logout token; returns the HTTP status, raises ``OSError`` on network failure.
Post = Callable[[str, str, float], int]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx answer is an HTTPError: final, not followed


_OPENER = urllib.request.build_opener(_NoRedirects())


def post_logout_token(uri: str, token: str, timeout: float) -> int:
    """§2.5: ``logout_token`` form-encoded in a POST; the RP answers 200 (or 204)."""
    req = urllib.request.Request(  # noqa: S310  (registered https or loopback URI)
        uri,
        data=urlencode({"logout_token": token}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with _OPENER.open(req, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def retryable(status: int) -> bool:
    return status >= 500 or status == 429


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    uri: str = field(compare=False)
    token: str = field(compare=False, repr=False)
    attempt: int = field(compare=False, default=1)


class BackchannelSender:
    """Delivers logout tokens in the background; :meth:`send` only enqueues."""

    def __init__(
        self,
        post: Post = post_logout_token,
        *,
        attempts: int = ATTEMPTS,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        workers: int = WORKERS,
    ) -> None:
        self._post = post
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._workers = workers
        self._cond = threading.Condition()
        self._due: list[_Due] = []
        self._busy = 0
        self._seq = itertools.count()
        self._pid: int | None = None  # threads are started lazily, again after a fork
        self.delivered = 0
        self.refused = 0
        self.given_up = 0

    def send(self, uri: str, token: str) -> None:
        with self._cond:
            if len(self._due) >= QUEUE_LIMIT:
                log.error("back-channel logout queue full; token for %s dropped", uri)
                return
            self._start()
            heapq.heappush(self._due, _Due(time.monotonic(), next(self._seq), uri, token))
            self._cond.notify_all()  # workers and flush() wait on the same condition

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued, retrying or in flight (tests, shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._due and not self._busy, timeout)

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        for n in range(self._workers):
            name = f"oidc-backchannel-{n}"
            threading.Thread(target=self._run, name=name, daemon=True).start()

    def _next(self) -> _Due:
        with self._cond:
            while True:
                now = time.monotonic()
                if self._due and self._due[0].at <= now:
                    self._busy += 1
                    return heapq.heappop(self._due)
                self._cond.wait(self._due[0].at - now if self._due else None)

    def _run(self) -> None:
        while True:
            item = self._next()
            try:
                self._deliver(item)
            except Exception:  # one broken delivery must not stop the sender
                log.exception("back-channel logout to %s failed", item.uri)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, item: _Due) -> None:
        try:
            status = self._post(item.uri, item.token, self._timeout)
        except OSError as exc:  # refused, unreachable, timed out
            self._failed(item, type(exc).__name__)
            return
        if retryable(status):
            self._failed(item, f"HTTP {status}")
        elif status >= 300:
            log.warning("back-channel logout to %s answered %s", item.uri, status)
            with self._cond:
                self.refused += 1
        else:
            with self._cond:
                self.delivered += 1

    def _failed(self, item: _Due, reason: str) -> None:
        with self._cond:
            if item.attempt >= self._attempts:
                self.given_up += 1
                log.warning(
                    "back-channel logout to %s failed %s times (%s); given up",
                    item.uri,
                    item.attempt,
                    reason,
                )
                return
            pause = self._backoff[min(item.attempt, len(self._backoff)) - 1]
            retry = _Due(time.monotonic() + pause, next(self._seq), item.uri, item.token)
            retry.attempt = item.attempt + 1
            heapq.heappush(self._due, retry)
            self._cond.notify_all()  # workers and flush() wait on the same condition
