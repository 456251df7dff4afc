"""One error handler: every failure is a page with an error id, never a stack trace."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Blueprint, Flask, abort
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from tests.helpers import Portal, csrf_token

SECRET_DETAIL = "geheimes Detail aus /srv/portal/secret.key"


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with test-only routes that fail, registered before its first request."""
    broken = Blueprint("test_failures", __name__)

    @broken.get("/_test/kaputt")
    def crash() -> str:
        raise RuntimeError(SECRET_DETAIL)

    @broken.post("/_test/kaputt")
    def crash_on_post() -> str:
        raise KeyError(SECRET_DETAIL)

    @broken.get("/_test/datenbank")
    def database_gone() -> str:
        raise OperationalError("SELECT secret FROM citizen", {}, Exception(SECRET_DETAIL))

    @broken.get("/_test/verboten")
    def forbidden() -> str:
        abort(403)

    @broken.get("/_test/eigene-meldung")
    def own_message() -> str:
        abort(400, "Bitte wählen Sie einen Dienst aus.")

    app.register_blueprint(broken)
    return app


def error_id(response: TestResponse) -> str:
    shown = re.search(r"Fehlernummer: <code>([0-9a-f]+)</code>", response.text)
    assert shown, "the page shows an error id"
    assert response.headers["X-Error-Id"] == shown.group(1)
    return shown.group(1)


def assert_no_internals(response: TestResponse) -> None:
    for leak in ["Traceback", "RuntimeError", "KeyError", "OperationalError", "SELECT", "secret"]:
        assert leak not in response.text
    assert SECRET_DETAIL not in response.text


def test_an_unexpected_failure_is_a_500_page_with_an_error_id(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="portal.errors"):
        response = failing_app.test_client().get("/_test/kaputt")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Ein interner Fehler ist aufgetreten." in response.text
    number = error_id(response)
    assert_no_internals(response)
    logged = [r for r in caplog.records if number in r.getMessage()]
    assert logged, "operators find the failure in the log by its number"
    assert logged[0].exc_info is not None, "the log keeps the stack trace"


def test_the_error_ids_differ_per_failure(failing_app: Flask) -> None:
    client = failing_app.test_client()
    assert error_id(client.get("/_test/kaputt")) != error_id(client.get("/_test/kaputt"))


def test_a_failure_in_a_post_is_a_500_page_too(failing_app: Flask) -> None:
    client = failing_app.test_client()
    token = csrf_token(client.get("/anmelden").text)
    response = client.post("/_test/kaputt", data={"csrf_token": token})
    assert response.status_code == 500
    error_id(response)
    assert_no_internals(response)


def test_a_database_failure_reveals_no_sql(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/_test/datenbank")
    assert response.status_code == 500
    error_id(response)
    assert_no_internals(response)


def test_a_refusal_shows_our_text_not_werkzeugs(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/_test/verboten")
    assert response.status_code == 403
    assert "Zugriff verweigert." in response.text
    assert "You don't have the permission" not in response.text
    error_id(response)


def test_a_message_of_our_own_is_shown(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/_test/eigene-meldung")
    assert response.status_code == 400
    assert "Bitte wählen Sie einen Dienst aus." in response.text


def test_an_unknown_page_is_a_404_page_with_an_error_id(portal: Portal) -> None:
    response = portal.browser.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.text
    assert "The requested URL was not found" not in response.text
    error_id(response)
    assert 'href="/"' in response.text, "a way back to the start page"


def test_a_wrong_method_is_a_405_page_that_names_the_allowed_ones(portal: Portal) -> None:
    response = portal.browser.get("/abmelden")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "nicht erlaubt" in response.text
    error_id(response)


def test_an_oversized_request_is_a_413_page_not_a_crash(portal: Portal) -> None:
    page = portal.browser.get("/anmelden")
    response = portal.browser.post(
        "/anmelden",
        {
            "csrf_token": csrf_token(page.text),
            "email": "a@example.org",
            "password": "x" * 2_000_000,
        },
    )
    assert response.status_code == 413
    assert "zu groß" in response.text
    error_id(response)


def test_error_pages_are_pages_of_the_portal(portal: Portal) -> None:
    response = portal.browser.get("/gibt-es-nicht")
    assert '<html lang="de">' in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
