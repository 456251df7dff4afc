"""Mail leaves the request thread: send() only enqueues; delivery happens in order, later."""

from __future__ import annotations

import threading

from connectors.mail import BackgroundMailer, Message


class SlowMailbox:
    """An SMTP stand-in that blocks until released (an external server, not our code)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.received: list[str] = []

    def send(self, message: Message) -> None:
        self.release.wait(5)
        if message.subject == "boom":
            raise OSError("smtp down")
        self.received.append(message.subject)


def test_send_returns_before_the_server_answers_and_delivers_in_order() -> None:
    mailbox = SlowMailbox()
    mailer = BackgroundMailer(mailbox)
    mailer.send(Message("a@example.org", "first", "x"))
    mailer.send(Message("a@example.org", "second", "x"))
    assert mailbox.received == []  # nothing delivered while the server hangs
    mailbox.release.set()
    mailer.flush()
    assert mailbox.received == ["first", "second"]


def test_a_failed_delivery_does_not_stop_the_sender() -> None:
    mailbox = SlowMailbox()
    mailbox.release.set()
    mailer = BackgroundMailer(mailbox)
    mailer.send(Message("a@example.org", "boom", "x"))
    mailer.send(Message("a@example.org", "after", "x"))
    mailer.flush()
    assert mailbox.received == ["after"]
