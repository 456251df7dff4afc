"""Fixtures for the real-browser flow tests: the real hub served over HTTP, and chromium.

The hub is built by ``wsgi.create_app`` with explicit test settings (an SQLite file migrated by
Alembic, the in-process store, the development outbox) and served by werkzeug's threaded server
in a background thread on a free port of 127.0.0.1. ``settings.base_url`` is that address, so
the links in the mails work in the browser.

The browser is Debian's chromium driven by Playwright (Playwright cannot download its own
browsers on these machines; ``tests/browser_setup.py`` installs chromium, ``make test`` runs it).
Without chromium the browser tests are skipped with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright
from werkzeug.serving import make_server

from connectors.mail.outbox import OutboxMailer
from core import migrate
from core.clock import SystemClock
from core.db import db
from core.settings import Environment, Settings
from core.store import MemoryStore
from tests.helpers import Browser as TestClientBrowser
from tests.helpers import Citizen, Portal

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class _LateApp:
    """A WSGI app that forwards to one given later: the port is known only after binding, and
    the hub's settings (``base_url``) need the port."""

    def __init__(self) -> None:
        self.target: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.target is not None, "the hub is not wired yet"
        return self.target(environ, start_response)


@dataclass
class LivePortal:
    """The hub served over real HTTP, and what a developer can look at beside it."""

    base_url: str
    app: Flask

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def mailer(self) -> OutboxMailer:
        mailer = self.app.extensions["mailer"]
        assert isinstance(mailer, OutboxMailer)
        return mailer

    def verified_citizen(self, email: str, password: str) -> Citizen:
        """Register and verify a citizen through the hub's own pages (test client, no browser)."""
        browser = TestClientBrowser(self.app.test_client(), "198.51.100.7")
        registered = browser.submit(
            "/registrieren", email=email, password=password, password_repeat=password
        )
        assert registered.status_code == 303, registered.text
        mails = [m for m in self.mailer.messages() if m.to == email]
        assert mails, f"no verification mail to {email}"
        assert browser.submit(Portal.link_path(mails[0])).status_code == 303
        return Citizen(email, password)

    def log_in_elsewhere(self, citizen: Citizen) -> None:
        """A second SSO session of ``citizen`` (another device), through the login page."""
        browser = TestClientBrowser(self.app.test_client(), "203.0.113.9")
        assert browser.login(citizen.email, citizen.password).status_code == 303


@pytest.fixture
def live_portal(tmp_path: Path) -> Iterator[LivePortal]:
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    database_url = f"sqlite:///{tmp_path / 'portal.db'}"
    migrate.upgrade(database_url)
    settings = Settings(
        environment=Environment.TEST,
        secret_key="browser-test-secret-" + "x" * 32,
        base_url=f"http://127.0.0.1:{server.server_port}",
        database_url=database_url,
        redis_url="",
        mail_outbox_dir=tmp_path / "outbox",
        var_dir=tmp_path,
    )
    import wsgi

    clock = SystemClock()
    app = wsgi.create_app(settings, clock=clock, store=MemoryStore(clock))
    late.target = app
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    try:
        yield LivePortal(settings.base_url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests skipped: Debian's chromium is not installed at {CHROMIUM} "
            "(run `python tests/browser_setup.py` or `make test`, which installs it)"
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Problems:
    """What went wrong below the page: server errors and requests that failed."""

    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on(
            "response",
            lambda r: self.seen.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        page.on("requestfailed", lambda r: self.seen.append(f"failed {r.url}: {r.failure}"))


PageFactory = Callable[..., Page]


@pytest.fixture
def new_page(chromium: Browser, live_portal: LivePortal) -> Iterator[PageFactory]:
    """Open a page in a fresh browser context (own cookies) that speaks German."""
    contexts = []

    def factory(
        *,
        java_script_enabled: bool = True,
        viewport: ViewportSize | None = None,
        problems: Problems | None = None,
    ) -> Page:
        context = chromium.new_context(
            base_url=live_portal.base_url,
            locale="de-DE",
            java_script_enabled=java_script_enabled,
            viewport=viewport,
        )
        contexts.append(context)
        page = context.new_page()
        if problems is not None:
            problems.watch(page)
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    return new_page()


# --- accessibility -------------------------------------------------------------------------


@dataclass
class AccessibilityAudit:
    """Runs axe-core on each page visited; reports every violation of the whole story at once."""

    axe: Axe = field(default_factory=Axe)
    checked: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    def check(self, page: Page, name: str) -> None:
        results = self.axe.run(page)
        self.checked.append(name)
        if results.violations_count:
            self.reports.append(f"--- {name} ({page.url}) ---\n{results.generate_report()}")

    def assert_clean(self) -> None:
        assert not self.reports, "accessibility violations (axe-core):\n" + "\n".join(self.reports)


@pytest.fixture
def a11y() -> AccessibilityAudit:
    return AccessibilityAudit()
