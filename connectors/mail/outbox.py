"""Development outbox: each message is a .eml file a person can open (and /dev/outbox lists)."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from connectors.mail.base import Message


@dataclass(frozen=True)
class StoredMail:
    name: str
    to: str
    subject: str
    body: str


class OutboxMailer:
    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.eml"
        tmp = self.directory / (name + ".tmp")
        tmp.write_bytes(bytes(message.to_email(self.sender)))
        os.replace(tmp, self.directory / name)

    def messages(self) -> list[StoredMail]:
        """All stored messages, newest first."""
        if not self.directory.is_dir():
            return []
        paths = sorted(self.directory.glob("*.eml"), reverse=True)
        return [self._read(p) for p in paths]

    def read(self, name: str) -> StoredMail | None:
        path = self.directory / name
        if "/" in name or not name.endswith(".eml") or not path.is_file():
            return None
        return self._read(path)

    def _read(self, path: Path) -> StoredMail:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        return StoredMail(path.name, str(parsed["To"]), str(parsed["Subject"]), str(text))
