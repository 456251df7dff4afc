"""The background sender of status events: one daemon thread per service process.

A request that records an event (submission, a clerk's state change) only commits it and calls
:meth:`StatusSender.wake`; the push to the hub happens here, so a slow or unreachable hub never
delays the citizen or the clerk. The thread drains the outbox (:mod:`services.kit.outbox`)
when woken, when a retry falls due, and at least every ``interval`` seconds (events of other
processes, claims that ran out). It is started lazily in each process (again after a fork, as
under gunicorn) by the first request or wake-up.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

from services.kit import outbox
from services.kit.config import RetryPolicy
from services.kit.push import StatusPusher

log = logging.getLogger("service.push")
#: Events one drain sends before it looks at the clock again (and at a stop request).
BATCH = 100


class StatusSender:
    def __init__(
        self,
        app: Flask,
        pusher: StatusPusher,
        policy: RetryPolicy | None = None,
        interval: float = 30.0,
    ) -> None:
        self.app = app
        self.pusher = pusher
        self.policy = policy or RetryPolicy()
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread of this process, unless it runs (or the sender was stopped)."""
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, name=f"status-sender-{self.app.name}", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """An event was committed: send it now (in the background)."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """End the thread after the push in flight (tests, shutdown); pending events stay."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                with self.app.app_context():
                    self.drain()
                    pause = outbox.seconds_until_due(self.interval)
            except Exception:  # the database away for a moment: try again later
                log.exception("status sender: drain failed")
                pause = self.interval
            self._wake.wait(pause)

    def drain(self, due_only: bool = True, limit: int = BATCH) -> int:
        """Send what is due (``due_only=False``: all pending, backoff or not); returns how many
        the hub accepted. Needs an app context."""
        accepted = 0
        for _ in range(limit):
            if self._stop.is_set():
                break
            event = outbox.claim_next(due_only)
            if event is None:
                break
            outcome = self.pusher.send(event)
            outbox.settle(event, outcome, self.policy)
            if outcome.kind == "retry":
                break  # the hub is not taking anything now; each event waits its own pause
            accepted += outcome.kind == "accepted"
        return accepted
