"""The notifications a simulator sent (or holds back), and sending them again on request."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import requests

log = logging.getLogger("payment.simulator")


@dataclass
class Notice:
    number: int
    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    answers: list[int] = field(default_factory=list)


class Notices:
    """Kept in memory (a simulator); ``deliver`` False holds notices until sent by hand."""

    def __init__(self, deliver: bool = True) -> None:
        self.deliver = deliver
        self.sent: list[Notice] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes = b"",
        params: dict[str, str] | None = None,
    ) -> Notice:
        with self._lock:
            notice = Notice(len(self.sent) + 1, method, url, headers, body, params or {})
            self.sent.append(notice)
        if self.deliver:
            self.send(notice)
        return notice

    def get(self, number: int) -> Notice | None:
        return self.sent[number - 1] if 0 < number <= len(self.sent) else None

    def send(self, notice: Notice) -> int:
        try:
            answer = requests.request(
                notice.method,
                notice.url,
                headers=notice.headers,
                data=notice.body or None,
                params=notice.params or None,
                timeout=10,
            )
            status = answer.status_code
        except requests.RequestException as exc:
            log.warning("notification to %s failed: %s", notice.url, type(exc).__name__)
            status = 0
        notice.answers.append(status)
        return status
