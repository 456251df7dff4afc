"""The authorization endpoint: checks, error page vs. error redirect, login, level, consent."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.oidc.support import (
    REDIRECT,
    Rp,
    authorize_path,
    consent_action,
    pkce,
    redirect_params,
)

ISSUER = "http://portal.test"


def _consent_page(browser: Browser, path: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200, page.status_code
    assert "Zulassen" in page.text
    return page.text


def _allow(browser: Browser, html: str, decision: str = "allow") -> dict[str, str]:
    action = consent_action(html)
    response = browser.post(action, {"csrf_token": csrf_token(html), "decision": decision})
    target, params = redirect_params(response)
    assert target == REDIRECT
    return params


def _code(browser: Browser, rp: Rp, **extra: str | None) -> dict[str, str]:
    _verifier, challenge = pkce()
    response = browser.get(authorize_path(rp, challenge, **extra))
    if response.status_code == 200:
        return _allow(browser, response.text)
    return redirect_params(response)[1]


# --- never a redirect ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/",
        "https://RP.example/callback",
        "https://rp.example/Callback",
        REDIRECT + "?x=1",
        "https://rp.example:8443/callback",
        "https://attacker@rp.example/callback",
        "https://rp.example.attacker.test/callback",
        "http://rp.example/callback",
        "",
    ],
)
def test_redirect_uri_near_misses_get_an_error_page(
    citizen_browser: Browser, rp: Rp, redirect_uri: str
) -> None:
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Rücksprungadresse" in response.text


def test_unknown_or_disabled_client_gets_an_error_page(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    _v, challenge = pkce()
    unknown = Rp("no-such-client", None, REDIRECT)
    assert citizen_browser.get(authorize_path(unknown, challenge)).status_code == 400
    from idp.oidc import registry

    with app.app_context():
        client = registry.get(rp.client_id)
        assert client is not None
        registry.set_enabled(client, False)
    response = citizen_browser.get(authorize_path(rp, challenge))
    assert response.status_code == 400 and "Location" not in response.headers


def test_duplicate_redirect_uri_gets_an_error_page(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    path = authorize_path(rp, challenge) + "&redirect_uri=https%3A%2F%2Fevil.test%2F"
    assert citizen_browser.get(path).status_code == 400


# --- errors to the registered redirect_uri -------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"code_challenge": "a" * 42 + "="}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": '{"userinfo": []}'}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://rp.example/req"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_bad_requests_are_answered_at_the_redirect_uri(
    citizen_browser: Browser, rp: Rp, extra: dict[str, str | None], error: str
) -> None:
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge, **extra))
    target, params = redirect_params(response)
    assert target == REDIRECT
    assert params["error"] == error
    assert params["state"] == "st-123"
    assert params["iss"] == ISSUER
    assert "code" not in params


def test_a_parameter_given_twice_is_refused(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge) + "&scope=openid")
    assert redirect_params(response)[1]["error"] == "invalid_request"


# --- login, consent, code ------------------------------------------------------------------


def test_login_then_consent_then_code(portal: Portal, erika: Citizen, rp: Rp) -> None:
    browser = portal.new_browser()
    _v, challenge = pkce()
    response = browser.get(authorize_path(rp, challenge, login_hint=erika.email, foo="ignored"))
    assert response.status_code == 303
    login = response.headers["Location"]
    assert login.startswith("/anmelden?next=%2Foidc%2Fauthorize%2F")
    page = browser.get(login)
    assert f'value="{erika.email}"' in page.text  # login_hint
    done = browser.post(
        login,
        {"csrf_token": csrf_token(page.text), "email": erika.email, "password": erika.password},
    )
    assert done.status_code == 303
    html = _consent_page(browser, done.headers["Location"])
    assert "Hundesteuer" in html and "E-Mail-Adresse" in html and "erika@example.org" in html
    params = _allow(browser, html)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == "st-123" and params["iss"] == ISSUER
    # the consent is remembered: the next request goes straight back with a code
    again = _code(browser, rp)
    assert "code" in again and again["code"] != params["code"]


def test_response_mode_form_post(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    html = _consent_page(citizen_browser, authorize_path(rp, challenge, response_mode="form_post"))
    action = consent_action(html)
    response = citizen_browser.post(action, {"csrf_token": csrf_token(html), "decision": "allow"})
    assert response.status_code == 200
    assert f'action="{REDIRECT}"' in response.text
    assert (
        'name="code"' in response.text and 'name="iss" value="http://portal.test"' in response.text
    )
    assert 'name="state" value="st-123"' in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "form-action https://rp.example" in csp and "frame-ancestors 'none'" in csp


def test_consent_denied(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    html = _consent_page(citizen_browser, authorize_path(rp, challenge))
    params = _allow(citizen_browser, html, decision="deny")
    assert params["error"] == "access_denied" and "code" not in params


def test_consent_without_csrf_token_issues_nothing(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    html = _consent_page(citizen_browser, authorize_path(rp, challenge))
    action = consent_action(html)
    forged = citizen_browser.post(action, {"decision": "allow"})
    assert forged.status_code == 400
    assert "Location" not in forged.headers
    # the citizen's own answer still works afterwards
    assert "code" in _allow(citizen_browser, html)


def test_consent_of_another_browser_cannot_be_used(
    portal: Portal, citizen_browser: Browser, rp: Rp
) -> None:
    _v, challenge = pkce()
    html = _consent_page(citizen_browser, authorize_path(rp, challenge))
    action = consent_action(html)
    attacker = portal.new_browser("203.0.113.9")
    attacker.get("/")
    response = attacker.post(action, {"csrf_token": csrf_token(html), "decision": "allow"})
    assert response.status_code == 400


def test_pages_cannot_be_framed(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge))
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_prompt_none(portal: Portal, erika: Citizen, rp: Rp) -> None:
    browser = portal.new_browser()
    assert _code(browser, rp, prompt="none")["error"] == "login_required"
    browser.login(erika.email, erika.password)
    assert _code(browser, rp, prompt="none")["error"] == "consent_required"
    assert "code" in _code(browser, rp)
    assert "code" in _code(browser, rp, prompt="none")


def test_prompt_consent_asks_again(citizen_browser: Browser, rp: Rp) -> None:
    assert "code" in _code(citizen_browser, rp)
    _v, challenge = pkce()
    _consent_page(citizen_browser, authorize_path(rp, challenge, prompt="consent"))


def test_more_attributes_ask_again(citizen_browser: Browser, rp: Rp) -> None:
    assert "code" in _code(citizen_browser, rp, scope="openid")
    _v, challenge = pkce()
    html = _consent_page(citizen_browser, authorize_path(rp, challenge, scope="openid address"))
    assert "Straße" in html


@pytest.mark.parametrize("extra", [{"prompt": "login"}, {"max_age": "60"}])
def test_fresh_login_required(
    portal: Portal, citizen_browser: Browser, erika: Citizen, rp: Rp, extra: dict[str, str]
) -> None:
    assert "code" in _code(citizen_browser, rp)
    portal.clock.advance(120)
    _v, challenge = pkce()
    response = citizen_browser.get(authorize_path(rp, challenge, **extra))
    login = response.headers["Location"]
    assert "erneut=1" in login
    page = citizen_browser.get(login)
    assert page.status_code == 200
    done = citizen_browser.post(
        login,
        {"csrf_token": csrf_token(page.text), "email": erika.email, "password": erika.password},
    )
    final = citizen_browser.get(done.headers["Location"])
    assert "code" in redirect_params(final)[1]


def test_max_age_satisfied_by_a_recent_login(citizen_browser: Browser, rp: Rp) -> None:
    assert "code" in _code(citizen_browser, rp)
    assert "code" in _code(citizen_browser, rp, max_age="3600")


def test_ui_locales_choose_the_language(portal: Portal, rp: Rp) -> None:
    browser = portal.new_browser()
    _v, challenge = pkce()
    response = browser.get(authorize_path(rp, challenge, ui_locales="fr en-GB"))
    assert "lang=en" in response.headers["Location"]


@pytest.mark.parametrize(
    ("changes", "extra"),
    [
        ({"min_level": "substantial"}, {}),
        ({}, {"acr_values": "http://eidas.europa.eu/LoA/high"}),
        ({}, {"acr_values": "STORK-QAA-Level-3"}),
        (
            {},
            {
                "claims": '{"id_token": {"acr": {"essential": true, "values": ["http://eidas.europa.eu/LoA/substantial"]}}}'
            },
        ),
    ],
)
def test_level_out_of_reach(
    app: Flask, citizen_browser: Browser, changes: dict[str, str], extra: dict[str, str]
) -> None:
    from tests.integration.oidc.support import register

    rp = register(app, **changes)
    _v, challenge = pkce()
    page = citizen_browser.get(authorize_path(rp, challenge, **extra))
    assert page.status_code == 403
    assert "Vertrauensniveau nicht erreichbar" in page.text and "Online-Ausweis" in page.text
    cancel = page.text.split('href="/oidc/authorize/', 1)[1].split('"', 1)[0]
    params = redirect_params(citizen_browser.get("/oidc/authorize/" + cancel))[1]
    assert params["error"] == "unmet_authentication_requirements"
    silent = _code(citizen_browser, rp, prompt="none", **extra)
    assert silent["error"] == "unmet_authentication_requirements"


def test_a_request_cannot_lower_the_client_minimum(app: Flask, citizen_browser: Browser) -> None:
    from tests.integration.oidc.support import register

    rp = register(app, min_level="substantial")
    _v, challenge = pkce()
    page = citizen_browser.get(
        authorize_path(rp, challenge, acr_values="http://eidas.europa.eu/LoA/low")
    )
    assert page.status_code == 403


def test_low_level_request_is_served(citizen_browser: Browser, rp: Rp) -> None:
    assert "code" in _code(citizen_browser, rp, acr_values="http://eidas.europa.eu/LoA/low unknown")


def test_post_to_the_authorization_endpoint(citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    query = urlsplit(authorize_path(rp, challenge)).query
    from urllib.parse import parse_qsl

    response = citizen_browser.post("/oidc/authorize", dict(parse_qsl(query)))
    assert response.status_code == 200 and "Zulassen" in response.text


def test_expired_request(portal: Portal, citizen_browser: Browser, rp: Rp) -> None:
    _v, challenge = pkce()
    citizen_browser.get(authorize_path(rp, challenge))
    assert citizen_browser.get("/oidc/authorize/unknown-id").status_code == 410
