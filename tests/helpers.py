"""Test helpers that read like what a citizen does: open a page, fill a form, follow a mail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from connectors.mail.outbox import OutboxMailer, StoredMail
from core.audit import AuditRecord
from core.clock import FrozenClock
from core.db import db

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+")
CSRF_VALUE_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


@dataclass(frozen=True)
class Citizen:
    email: str
    password: str


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def without_csrf(html: str) -> str:
    """The page with every CSRF token value blanked (to compare two answers)."""
    return CSRF_VALUE_RE.sub(r"\1…\2", html)


class Browser:
    """One browser (its own cookies) talking to the hub through Flask's test client."""

    def __init__(
        self, client: FlaskClient, address: str = "192.0.2.10", user_agent: str | None = None
    ) -> None:
        self.client = client
        self.address = address
        self.user_agent = user_agent

    def _environ(self) -> dict[str, str]:
        environ = {"REMOTE_ADDR": self.address}
        if self.user_agent is not None:
            environ["HTTP_USER_AGENT"] = self.user_agent
        return environ

    def get(self, path: str, **kwargs: object) -> TestResponse:
        return self.client.get(path, environ_base=self._environ(), **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: object) -> TestResponse:
        return self.client.post(path, data=data or {}, environ_base=self._environ(), **kwargs)

    def submit(self, path: str, form_page: str | None = None, **fields: str) -> TestResponse:
        """Open the form page (``form_page`` or ``path``), then post it with its CSRF token."""
        page = self.get(form_page or path)
        assert page.status_code == 200, f"{form_page or path}: {page.status_code}"
        return self.post(path, {"csrf_token": csrf_token(page.text), **fields})

    def login(self, email: str, password: str, next_path: str | None = None) -> TestResponse:
        path = "/anmelden" + (f"?next={next_path}" if next_path else "")
        return self.submit(path, email=email, password=password)

    def logout(self) -> TestResponse:
        page = self.get("/")
        return self.post("/abmelden", {"csrf_token": csrf_token(page.text)})

    def cookie(self, name: str) -> str | None:
        found = self.client.get_cookie(name)
        return found.value if found else None


class Portal:
    def __init__(self, app: Flask, clock: FrozenClock) -> None:
        self.app = app
        self.clock = clock
        self.browser = self.new_browser()

    def new_browser(self, address: str = "192.0.2.10", user_agent: str | None = None) -> Browser:
        return Browser(self.app.test_client(), address, user_agent)

    # mail ---------------------------------------------------------------------------------

    @property
    def mailer(self) -> OutboxMailer:
        mailer = self.app.extensions["mailer"]
        assert isinstance(mailer, OutboxMailer)
        return mailer

    def mails_to(self, email: str) -> list[StoredMail]:
        return [m for m in self.mailer.messages() if m.to == email]

    def last_mail_to(self, email: str) -> StoredMail:
        mails = self.mails_to(email)
        assert mails, f"no mail to {email}"
        return mails[0]

    @staticmethod
    def link_path(mail: StoredMail) -> str:
        """The path of the first link in ``mail`` (links point at the configured base URL)."""
        match = LINK_RE.search(mail.body)
        assert match, "mail has no link"
        parts = urlsplit(match.group(0))
        return parts.path

    # stories ------------------------------------------------------------------------------

    def register(self, email: str, password: str, browser: Browser | None = None) -> TestResponse:
        b = browser or self.browser
        return b.submit("/registrieren", email=email, password=password, password_repeat=password)

    def verify_last_link(self, email: str, browser: Browser | None = None) -> TestResponse:
        b = browser or self.browser
        path = self.link_path(self.last_mail_to(email))
        return b.submit(path)

    def registered_citizen(self, email: str, password: str) -> Citizen:
        browser = self.new_browser("198.51.100.1")
        assert self.register(email, password, browser).status_code == 303
        assert self.verify_last_link(email, browser).status_code == 303
        return Citizen(email, password)

    # state, as the hub keeps it (read-only looks for assertions) --------------------------

    def is_logged_in(self, browser: Browser | None = None) -> bool:
        """Whether ``browser`` gets the profile page (not the way to the login)."""
        return (browser or self.browser).get("/konto/profil").status_code == 200

    def citizen_id(self, email: str) -> str | None:
        from account.models import citizen_by_email

        with self.app.app_context():
            citizen = citizen_by_email(email)
            return citizen.id if citizen else None

    def citizen_row(self, email: str) -> dict[str, Any] | None:
        """The citizen's columns and profile values, or None when there is no such account."""
        from account.models import citizen_by_email

        with self.app.app_context():
            citizen = citizen_by_email(email)
            if citizen is None:
                return None
            row = {c.name: getattr(citizen, c.name) for c in citizen.__table__.columns}
            row["profile"] = {v.attribute: (v.value, v.provenance) for v in citizen.profile_values}
            return row

    def sso_ids(self, citizen_id: str) -> set[str]:
        """Ids of the citizen's live SSO sessions."""
        with self.app.app_context():
            sessions = self.app.extensions["account"].sessions
            return {s.id for s in sessions.list_for(citizen_id)}

    def audit_events(self, citizen_id: str | None = None) -> list[AuditRecord]:
        """Audit records (all, or one citizen's), oldest first, detached from the session."""
        with self.app.app_context():
            query = select(AuditRecord).order_by(AuditRecord.id)
            if citizen_id is not None:
                query = query.where(AuditRecord.citizen_id == citizen_id)
            records = list(db.session.scalars(query))
            db.session.expunge_all()
            return records
