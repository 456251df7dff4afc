"""The citizen's authenticator app, played by pyotp (an independent RFC 6238 implementation):
it reads the ``otpauth://`` URI the hub shows and computes codes for a given moment."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pyotp
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from tests.helpers import Browser, csrf_token

URI_RE = re.compile(r'href="(otpauth://totp/[^"]+)"')
RECOVERY_RE = re.compile(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>")
ENROL = "/konto/sicherheit/app"
CODE = "/anmelden/code"


@dataclass
class App:
    totp: pyotp.TOTP
    clock: FrozenClock

    def code(self, steps: int = 0) -> str:
        """The code the app shows now, or ``steps`` time steps later (earlier if negative)."""
        return str(self.totp.at(self.clock.now() + 30 * steps))

    def next_code(self) -> str:
        """Wait for the app's next code (every code is used only once)."""
        self.clock.advance(30)
        return self.code()


def app_from(page: TestResponse, clock: FrozenClock) -> App:
    match = URI_RE.search(page.text)
    assert match, "the enrolment page shows no otpauth:// URI"
    totp = pyotp.parse_uri(html.unescape(match.group(1)))
    assert isinstance(totp, pyotp.TOTP)
    return App(totp, clock)


def post_code(browser: Browser, path: str, page: TestResponse, code: str) -> TestResponse:
    return browser.post(path, {"csrf_token": csrf_token(page.text), "code": code})


def enrol(browser: Browser, clock: FrozenClock) -> tuple[App, list[str]]:
    """Switch the second factor on in ``browser`` (logged in freshly): the app and the ten
    recovery codes shown."""
    page = browser.get(ENROL)
    assert page.status_code == 200, page.status_code
    app = app_from(page, clock)
    shown = post_code(browser, ENROL, page, app.code())
    assert shown.status_code == 200, shown.text[:500]
    codes = RECOVERY_RE.findall(shown.text)
    assert len(codes) == 10
    return app, codes


def log_in_with_code(
    browser: Browser, email: str, password: str, code: str, next_path: str | None = None
) -> TestResponse:
    """Password, then the code on the second page; the answer to the code."""
    first = browser.login(email, password, next_path)
    assert first.status_code == 303 and first.headers["Location"] == CODE, first.headers
    page = browser.get(CODE)
    assert page.status_code == 200
    return post_code(browser, CODE, page, code)
