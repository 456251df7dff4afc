"""A world for the service flow tests: the hub, the two payment simulators and the service apps
each served by werkzeug in a thread on a free port of 127.0.0.1, talking real HTTP to each other
(the services' Authlib and python3-saml clients reach the hub over the network), and a citizen's
browser that is a ``requests`` session carrying cookies across all of them."""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import requests
from flask import Flask
from sqlalchemy import create_engine, text

import dev_services
from connectors.payment.giro_simulator import GiroSimulator, Project
from connectors.payment.giro_simulator import create_app as giro_app
from connectors.payment.paypal_simulator import Merchant, PayPalSimulator
from connectors.payment.paypal_simulator import create_app as paypal_app
from core.clock import SystemClock
from core.db import db, sqlalchemy_url
from core.settings import Environment, Settings
from core.store.base import KeyValueStore
from services.kit import create_service_app
from services.kit.config import ServiceConfig
from services.kit.definition import Service
from services.kit.storage import upgrade
from tests.conftest import PG_URL, POSTGRES, REDIS_URL

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


INPUT_RE = re.compile(r"<input ([^>]*)>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
SELECT_RE = re.compile(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
TEXTAREA_RE = re.compile(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)


def current_values(page: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in INPUT_RE.findall(page):
        attrs = dict(ATTR_RE.findall(raw))
        kind = attrs.get("type", "text")
        if "name" not in attrs or kind in ("hidden", "submit", "radio", "file"):
            continue
        if kind == "checkbox" and " checked" not in raw:
            continue
        values[attrs["name"]] = html.unescape(attrs.get("value", ""))
    for name, options in SELECT_RE.findall(page):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    for name, content in TEXTAREA_RE.findall(page):
        values[name] = html.unescape(content)
    return values


class LateApp:
    """Forwards to an app set after binding (the URLs need the ports)."""

    def __init__(self) -> None:
        self.target: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.target is not None
        return self.target(environ, start_response)


class HttpBrowser:
    """A browser over real HTTP: cookies per host, redirects followed by hand (303 → GET), and
    a page's ``Refresh: 0; url=…`` header followed as a browser does (the hub leaves by such a
    page where a redirect would run inside a form submission, idp/saml/slo.py)."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.visited: list[str] = []

    def go(self, url: str, limit: int = 15) -> requests.Response:
        answer = self.session.get(url, allow_redirects=False, timeout=30)
        return self.follow(answer, limit)

    def follow(self, answer: requests.Response, limit: int = 15) -> requests.Response:
        for _ in range(limit):
            refresh = answer.headers.get("Refresh", "")
            if answer.status_code == 200 and refresh.startswith("0; url="):
                target = urljoin(answer.url, refresh.removeprefix("0; url="))
            elif answer.status_code in (301, 302, 303):
                target = urljoin(answer.url, answer.headers["Location"])
            else:
                return answer
            self.visited.append(target)
            answer = self.session.get(target, allow_redirects=False, timeout=30)
        raise AssertionError("too many redirects")

    def post(
        self,
        url: str,
        data: dict[str, Any],
        follow: bool = True,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> requests.Response:
        """``files``: input name -> (file name, content, the browser's Content-Type); the post
        is then multipart/form-data, as a browser sends a form with a file input."""
        answer = self.session.post(url, data=data, files=files, allow_redirects=False, timeout=30)
        return self.follow(answer) if follow else answer

    def submit(
        self, page: requests.Response, action: str | None = None, **fields: Any
    ) -> requests.Response:
        """Post the page's form as a browser would: the values already in its fields (text
        inputs, selected options, checked boxes, text areas) and the CSRF token, overridden by
        ``fields``; to ``action`` or the page's URL."""
        return self.submit_files(page, {}, action, **fields)

    def submit_files(
        self,
        page: requests.Response,
        files: dict[str, tuple[str, bytes, str]],
        action: str | None = None,
        **fields: Any,
    ) -> requests.Response:
        """:meth:`submit` with ``files`` for the form's file inputs (multipart/form-data)."""
        data: dict[str, Any] = current_values(page.text)
        match = CSRF_RE.search(page.text)
        if match:
            data["csrf_token"] = match.group(1)
        data.update(fields)
        return self.post(urljoin(page.url, action or page.url), data, files=files or None)

    def post_saml_form(self, page: requests.Response) -> requests.Response:
        """The hub's HTTP-POST binding page: submit its one form as a browser would."""
        match = re.search(r'<form id="saml-post" method="post" action="([^"]+)"', page.text)
        assert match, page.text[:500]
        body = page.text[match.start() : page.text.index("</form>", match.start())]
        fields = {n: html.unescape(v) for n, v in HIDDEN_RE.findall(body)}
        return self.post(html.unescape(match.group(1)), fields)

    def hub_login(self, page: requests.Response, email: str, password: str) -> requests.Response:
        assert "/anmelden" in page.url, page.url
        return self.submit(page, email=email, password=password)


@dataclass
class ServiceHandle:
    service: Service
    app: Flask
    url: str

    def page(self, path: str) -> str:
        return self.url + path


@dataclass
class World:
    hub: Flask
    hub_url: str
    paypal: PayPalSimulator
    giro: GiroSimulator
    services: dict[str, ServiceHandle] = field(default_factory=dict)

    def service(self, key: str) -> ServiceHandle:
        return self.services[key]

    def citizen(self, email: str, password: str, profile: dict[str, tuple[str, str]]) -> None:
        """A verified account with a profile; values are (value, provenance ``eid``/``self``)."""
        from datetime import date

        from account.models import Citizen, ProfileValue
        from core.clock import to_datetime

        with self.hub.app_context():
            services = self.hub.extensions["account"]
            moment = to_datetime(services.clock.now())
            citizen = Citizen(
                email=email,
                password_hash=services.hashing.hash(password),
                created_at=moment,
                email_verified_at=moment,
                preferred_locale="de",
            )
            citizen.profile_values = [
                ProfileValue(
                    attribute=name,
                    value=value,
                    provenance=provenance,
                    verified_on=date(2026, 11, 2) if provenance == "eid" else None,
                    updated_at=moment,
                )
                for name, (value, provenance) in profile.items()
            ]
            db.session.add(citizen)
            db.session.commit()

    def mails_to(self, email: str) -> list[Any]:
        mailer = self.hub.extensions["mailer"]
        return [m for m in mailer.messages() if m.to == email]

    def settle(self, within: float = 30.0) -> None:
        """Wait (a bounded poll) until every service's status sender has sent what it holds:
        the push to the hub runs in the background."""
        deadline = time.monotonic() + within
        while any(_pending_events(h.app) for h in self.services.values()):
            assert time.monotonic() < deadline, "status events still pending"
            time.sleep(0.05)


def _pending_events(app: Flask) -> int:
    from services.kit import outbox

    with app.app_context():
        return outbox.pending_count()


def _hub(settings: Settings, store: KeyValueStore) -> Flask:
    import wsgi

    return wsgi.create_app(settings, clock=SystemClock(), store=store)


@contextmanager
def service_database(backend: str, tmp: Path, key: str) -> Iterator[str]:
    """A service's own database: an SQLite file, or a PostgreSQL schema of its own (dropped)."""
    if backend != POSTGRES:
        yield f"sqlite:///{tmp / key / 'service.db'}"
        return
    schema = f"svc_{key}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(sqlalchemy_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def world(
    backend: str,
    database_url: str,
    store: KeyValueStore,
    tmp: Path,
    services: dict[str, Service],
    deliver_notifications: bool = True,
    served_hub: tuple[Flask, str] | None = None,
    tune: Callable[[ServiceConfig], ServiceConfig] | None = None,
) -> Iterator[World]:
    """Everything served; ``services`` maps a key to the (possibly test-adjusted) definition.
    ``served_hub``: a hub already served elsewhere (app, URL), e.g. the one with the eID;
    ``tune`` adjusts each service's configuration (e.g. the status push's timeouts)."""
    with ExitStack() as stack:
        names = (
            ("paypal", "giro", *services) if served_hub else ("hub", "paypal", "giro", *services)
        )
        late = {name: LateApp() for name in names}
        running = {
            name: dev_services.serve(name, app, "127.0.0.1", 0) for name, app in late.items()
        }
        for item in running.values():
            stack.callback(item.stop)
        urls = {name: item.url for name, item in running.items()}
        if served_hub is not None:
            hub, urls["hub"] = served_hub
        else:
            hub = _served_hub(stack, late["hub"], urls["hub"], backend, database_url, store, tmp)
        paypal = PayPalSimulator(
            urls["paypal"],
            {
                dev_services.PAYPAL_CLIENT: Merchant(
                    dev_services.PAYPAL_SECRET,
                    webhook_url=_first_paying(services, urls) + "/zahlung/paypal/benachrichtigung",
                    webhook_id="WH-DEMO-STADTKASSE",
                )
            },
            deliver=deliver_notifications,
        )
        giro = GiroSimulator(
            urls["giro"],
            {
                dev_services.GIRO_PROJECT: Project(
                    dev_services.GIRO_MERCHANT, dev_services.GIRO_SECRET
                )
            },
            deliver=deliver_notifications,
        )
        late["paypal"].target, late["giro"].target = paypal_app(paypal), giro_app(giro)
        the_world = World(hub, urls["hub"], paypal, giro)
        payment = dev_services.payment_config(urls["paypal"], urls["giro"])
        for key, service in services.items():
            db_url = stack.enter_context(service_database(backend, tmp, key))
            upgrade(db_url)
            config = dev_services.service_config(
                key, urls[key], urls["hub"], db_url, tmp / key, payment
            )
            app = create_service_app(service, tune(config) if tune else config)
            stack.callback(_dispose_service, app)
            late[key].target = app
            dev_services.register_service(hub, service, app, urls[key])
            the_world.services[key] = ServiceHandle(service, app, urls[key])
        yield the_world


def _served_hub(
    stack: ExitStack,
    late: LateApp,
    url: str,
    backend: str,
    database_url: str,
    store: KeyValueStore,
    tmp: Path,
) -> Flask:
    settings = Settings(
        environment=Environment.TEST,
        secret_key="services-flow-secret-" + "x" * 32,
        base_url=url,
        database_url=database_url,
        redis_url=REDIS_URL if backend == POSTGRES else "",
        mail_outbox_dir=tmp / "outbox",
        var_dir=tmp / "hub",
    )
    hub = _hub(settings, store)
    stack.callback(_dispose, hub)
    late.target = hub
    return hub


def _first_paying(services: dict[str, Service], urls: dict[str, str]) -> str:
    paying = [
        k for k, s in services.items() if s.fee is not None or s.free_quota is not None
    ] or list(services)
    return urls[paying[0]]


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _dispose_service(app: Flask) -> None:
    from services.kit.models import db as kit_db

    app.extensions["kit_sender"].stop()
    with app.app_context():
        kit_db.session.remove()
        kit_db.engine.dispose()


def at_level(service: Service, level: str) -> Service:
    """A test variant of a definition at another minimum level (say so in the test's name)."""
    return replace(service, level=level)
