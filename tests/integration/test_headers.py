"""Security headers on every response (OWASP Secure Headers), HSTS only over https,
``Cache-Control: no-store`` on authentication pages, and cookie attributes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.helpers import Citizen, Portal, csrf_token

PAGES = [
    "/",
    "/anmelden",
    "/registrieren",
    "/registrieren/gesendet",
    "/passwort-vergessen",
    "/bestaetigung-erneut",
    "/barrierefreiheit",
    "/bestaetigen/" + "x" * 43,
    "/passwort-neu/" + "x" * 43,
    "/gibt-es-nicht",
    "/konto/profil",
    "/healthz",
    "/readyz",
    "/dev/outbox/",
    "/static/portal.css",
]
AUTH_PAGES = [
    "/anmelden",
    "/registrieren",
    "/passwort-vergessen",
    "/bestaetigung-erneut",
    "/passwort-neu/" + "x" * 43,
    "/bestaetigen/" + "x" * 43,
]
ACCOUNT_PAGES = [
    "/konto/profil",
    "/konto/profil/bearbeiten",
    "/konto/sicherheit",
    "/konto/passwort",
    "/konto/email",
    "/konto/aktivitaet",
    "/konto/daten",
    "/konto/loeschen",
]


def assert_security_headers(response: TestResponse) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Referrer-Policy") == "no-referrer"
    assert h.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(portal: Portal, path: str) -> None:
    response = portal.browser.get(path)
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers, "no HSTS over plain http"


def test_redirects_errors_and_throttling_carry_them_too(portal: Portal, erika: Citizen) -> None:
    responses = [
        portal.browser.login(erika.email, erika.password),  # 303
        portal.browser.get("/abmelden"),  # 405
        portal.browser.post("/anmelden", {"email": "x"}),  # 400 CSRF
    ]
    attacker = portal.new_browser("203.0.113.66")
    for _ in range(6):
        last = attacker.login(erika.email, "Ein falsches langes Passwort")
    responses.append(last)
    assert [r.status_code for r in responses] == [303, 405, 400, 429]
    for response in responses:
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", AUTH_PAGES)
def test_authentication_pages_are_never_cached(portal: Portal, path: str) -> None:
    assert portal.browser.get(path).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_personal_pages_are_never_cached(portal: Portal, erika: Citizen, path: str) -> None:
    portal.browser.login(erika.email, erika.password)
    response = portal.browser.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_security_headers(response)


def test_static_files_may_be_cached(portal: Portal) -> None:
    response = portal.browser.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_the_session_cookie_is_httponly_and_samesite_lax(portal: Portal) -> None:
    response = portal.browser.get("/anmelden")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("bp_session=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie, "plain http in tests: a Secure cookie would never come back"


def test_probes_set_no_cookies(portal: Portal) -> None:
    for path in ["/healthz", "/readyz"]:
        assert "Set-Cookie" not in portal.browser.get(path).headers


# --- https ----------------------------------------------------------------------------------


def _app_with(
    settings: Settings, clock: FrozenClock, store: KeyValueStore, **changes: Any
) -> Flask:
    import wsgi

    application = wsgi.create_app(
        dataclasses.replace(settings, **changes), clock=clock, store=store
    )
    application.config["TESTING"] = True
    return application


@pytest.fixture
def https_app(settings: Settings, clock: FrozenClock, store: KeyValueStore) -> Iterator[Flask]:
    application = _app_with(settings, clock, store, base_url="https://portal.test")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def proxied_app(settings: Settings, clock: FrozenClock, store: KeyValueStore) -> Iterator[Flask]:
    application = _app_with(settings, clock, store, trusted_proxies=1)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_over_https_every_response_carries_hsts(https_app: Flask) -> None:
    client = https_app.test_client()
    for path in ["/", "/anmelden", "/gibt-es-nicht", "/healthz", "/static/portal.css"]:
        response = client.get(path, base_url="https://portal.test")
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
        assert_security_headers(response)


def test_over_https_the_cookies_are_secure(https_app: Flask) -> None:
    client = https_app.test_client()
    response = client.get("/anmelden", base_url="https://portal.test")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("bp_session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_over_https_the_mailed_links_are_https(https_app: Flask, clock: FrozenClock) -> None:
    portal = Portal(https_app, clock)
    client = https_app.test_client()
    page = client.get("/registrieren", base_url="https://portal.test")
    response = client.post(
        "/registrieren",
        base_url="https://portal.test",
        data={
            "csrf_token": csrf_token(page.text),
            "email": "anna@example.org",
            "password": "Ein langer Satz als Passwort",
            "password_repeat": "Ein langer Satz als Passwort",
        },
    )
    assert response.status_code == 303
    assert "https://portal.test/bestaetigen/" in portal.last_mail_to("anna@example.org").body


def test_over_https_forms_work_without_a_referer(https_app: Flask) -> None:
    """Every page says ``Referrer-Policy: no-referrer``: browsers post our forms without one."""
    client = https_app.test_client()
    page = client.get("/passwort-vergessen", base_url="https://portal.test")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    fields = {"csrf_token": csrf_token(page.text), "email": "anna@example.org"}
    response = client.post("/passwort-vergessen", base_url="https://portal.test", data=fields)
    assert response.status_code == 200
    assert "Postfach" in response.text
    refused = client.post(
        "/passwort-vergessen", base_url="https://portal.test", data={"email": "anna@example.org"}
    )
    assert refused.status_code == 400, "the token is still required"


def test_a_forwarded_proto_from_a_trusted_proxy_counts_as_https(proxied_app: Flask) -> None:
    response = proxied_app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_a_forwarded_proto_without_a_trusted_proxy_is_ignored(portal: Portal) -> None:
    response = portal.browser.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def _failed_login_address(browser_portal: Portal, erika: Citizen, forwarded_for: str) -> set[str]:
    browser = browser_portal.new_browser("192.0.2.10")
    headers = {"X-Forwarded-For": forwarded_for}
    page = browser.get("/anmelden", headers=headers)
    fields = {"csrf_token": csrf_token(page.text), "email": erika.email, "password": "falsch!!x"}
    assert browser.post("/anmelden", fields, headers=headers).status_code == 200
    records = browser_portal.audit_events(browser_portal.citizen_id(erika.email))
    return {str(r.client_address) for r in records if r.event == "login.password.failed"}


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(
    portal: Portal, erika: Citizen
) -> None:
    assert _failed_login_address(portal, erika, "10.9.8.7") == {"192.0.2.10"}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    proxied_app: Flask, portal: Portal, erika: Citizen, clock: FrozenClock
) -> None:
    behind_proxy = Portal(proxied_app, clock)
    assert _failed_login_address(behind_proxy, erika, "10.9.8.7") == {"10.9.8.7"}


def test_citizen_pages_name_no_form_action_and_the_administration_keeps_self(
    portal: Portal,
) -> None:
    """The login, second-factor and consent forms end in a redirect to a relying party, which
    browsers hold to the form page's form-action (w3c/webappsec-csp#8); the administration
    never leaves the hub."""
    login = portal.browser.get("/anmelden").headers["Content-Security-Policy"]
    assert "form-action" not in login and "frame-ancestors 'none'" in login
    admin = portal.browser.get("/verwaltung").headers["Content-Security-Policy"]
    assert "form-action 'self'" in admin and "frame-ancestors 'none'" in admin
    other = portal.browser.get("/verwaltungsgebiete").headers["Content-Security-Policy"]
    assert "form-action" not in other  # only the /verwaltung tree
