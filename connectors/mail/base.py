from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str

    def to_email(self, sender: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="buergerportal.invalid")
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.body)
        return msg


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...
