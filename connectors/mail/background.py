"""Send mail off the request thread, so a response never waits for SMTP.

Why: the hub answers "registered" and "reset link sent" identically whether or not the address
has an account; if only the existing-account path talked to an SMTP server, its latency would
tell an attacker who is registered. With this wrapper the request only enqueues (constant,
microseconds) and one daemon thread delivers. Trade-off, documented in docs/PASSWORDS.md: a
message still queued when the process dies is lost; the citizen can ask for the link again.
"""

from __future__ import annotations

import logging
import queue
import threading

from connectors.mail.base import Mailer, Message

log = logging.getLogger("portal.mail")

QUEUE_LIMIT = 10_000


class BackgroundMailer:
    def __init__(self, inner: Mailer, name: str = "mail-sender") -> None:
        self._inner = inner
        self._queue: queue.Queue[Message | None] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def send(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.error("mail queue full; message dropped")

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued message was handed to the inner mailer (tests, shutdown)."""
        done = threading.Event()

        def wait_for_queue() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait_for_queue, daemon=True).start()
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                if message is not None:
                    self._inner.send(message)
            except Exception:  # one failed delivery must not stop the sender
                log.exception("mail delivery failed")
            finally:
                self._queue.task_done()
