"""Level substantial through the second factor, for the protocol faces: an OpenID Connect
client (Authlib, over real HTTP) asking ``acr_values=http://eidas.europa.eu/LoA/substantial`` and
a SAML SP (python3-saml) asking ``STORK-QAA-Level-3``. Erika's identity is verified by her card
(linked through the real eID flow against the simulator) and her app is pyotp: a password
session is raised with the code, not the card; a login from scratch takes password and code;
``high`` still needs the card, and so does an account whose identity no card verified. Both
storage backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, eid_hub, follow, local
from tests.flows.test_eid_step_up import (
    authorization,
    class_ref,
    erika_with_card,
    id_token_claims,
    oauth,
    read_card_here,
    saml_sp,
    through_consent,
)
from tests.helpers import Browser, Portal, csrf_token
from tests.integration.oidc.support import REDIRECT, redirect_params, register
from tests.saml_support import path_of, posted_form
from tests.totp_support import CODE, App, enrol, post_code

PASSWORD = "Ein langer Satz als Passwort"
SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
HIGH = "http://eidas.europa.eu/LoA/high"
STEP_UP = "/anmelden/code/bestaetigen"
LEVEL_ATTRIBUTE = "urn:oid:1.2.40.0.10.2.1.1.261.94"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def clock() -> FrozenClock:
    """Protocol client libraries check times against the real clock; the hub's runs a minute
    behind, so that waiting for the app's next code (30 s) stays in the past."""
    return FrozenClock(start=float(int(time.time())) - 60)


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


@pytest.fixture
def portal(hub: EidHub) -> Portal:
    return Portal(hub.app, hub.clock)


def erika_with_card_and_app(hub: EidHub, portal: Portal) -> tuple[Browser, App]:
    """Erika's card is linked and her app enrolled; the browser keeps its password session
    (level low: the login came before the app)."""
    browser = erika_with_card(hub, portal)
    app, _codes = enrol(browser, hub.clock)
    hub.clock.advance(30)  # the enrolment used the current code up
    return browser, app


def enter_code(browser: Browser, page: TestResponse, code: str) -> TestResponse:
    """On the step-up page: the code from the app."""
    assert page.request.path == STEP_UP, page.request.path
    assert "Anmeldung mit Code bestätigen" in page.text
    return browser.post(
        local(page.request.full_path), {"csrf_token": csrf_token(page.text), "code": code}
    )


# --- OpenID Connect ----------------------------------------------------------------------------


def test_oidc_acr_substantial_steps_a_password_session_up_with_the_code(
    hub: EidHub, portal: Portal
) -> None:
    browser, app = erika_with_card_and_app(hub, portal)
    rp = register(hub.app, release=["given_names", "family_names"])
    client = oauth(hub, rp)
    path, verifier, nonce = authorization(hub, client, acr_values=SUBSTANTIAL)
    page = follow(browser, browser.get(path))
    assert "/oidc/authorize/" in page.text and "/abbrechen" in page.text  # cancel to the RP
    wrong = enter_code(browser, page, "000000")
    assert wrong.status_code == 400
    answer = enter_code(browser, page, app.code())
    callback = through_consent(browser, answer)
    token = client.fetch_token(
        hub.base_url + "/oidc/token", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(hub, token["id_token"], rp, nonce)
    assert claims["acr"] == SUBSTANTIAL
    assert claims["amr"] == ["otp", "pwd"]  # RFC 8176


def test_oidc_acr_substantial_from_scratch_takes_password_and_code(
    hub: EidHub, portal: Portal
) -> None:
    _browser, app = erika_with_card_and_app(hub, portal)
    rp = register(hub.app, release=["given_names"])
    client = oauth(hub, rp)
    browser = hub.browser("203.0.113.8")
    path, verifier, nonce = authorization(hub, client, acr_values=SUBSTANTIAL)
    card_page = follow(browser, browser.get(path))
    assert card_page.request.path == "/anmelden/ausweis"
    login = card_page.text.split("Stattdessen mit E-Mail-Adresse und Passwort anmelden")[0]
    login_path = login.rsplit('<a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    first = browser.submit(login_path, email="erika@example.org", password=PASSWORD)
    assert first.headers["Location"] == CODE
    answer = post_code(browser, CODE, browser.get(CODE), app.code())
    callback = through_consent(browser, answer)
    token = client.fetch_token(
        hub.base_url + "/oidc/token", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(hub, token["id_token"], rp, nonce)
    assert (claims["acr"], claims["amr"]) == (SUBSTANTIAL, ["otp", "pwd"])


def test_oidc_acr_high_still_needs_the_card(hub: EidHub, portal: Portal) -> None:
    browser, _app = erika_with_card_and_app(hub, portal)
    rp = register(hub.app, release=["given_names"])
    path, _verifier, _nonce = authorization(hub, oauth(hub, rp), acr_values=HIGH)
    page = follow(browser, browser.get(path))
    assert page.request.path == "/anmelden/ausweis"
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in page.text


def test_oidc_an_account_without_a_card_is_asked_for_the_card_not_the_code(
    hub: EidHub, portal: Portal
) -> None:
    portal.registered_citizen("max@example.org", PASSWORD)
    browser = hub.browser("203.0.113.9")
    assert browser.login("max@example.org", PASSWORD).status_code == 303
    app, _codes = enrol(browser, hub.clock)
    rp = register(hub.app, release=["given_names"])
    path, _verifier, _nonce = authorization(hub, oauth(hub, rp), acr_values=SUBSTANTIAL)
    page = follow(browser, browser.get(path))
    assert page.request.path == "/anmelden/ausweis"  # the code would reach only low
    assert app.code()  # (the app works, it just does not verify who Max is)


def test_oidc_cancelling_the_code_answers_the_client_with_an_error(
    hub: EidHub, portal: Portal
) -> None:
    browser, _app = erika_with_card_and_app(hub, portal)
    rp = register(hub.app, release=["given_names"])
    path, _verifier, _nonce = authorization(hub, oauth(hub, rp), acr_values=SUBSTANTIAL)
    page = follow(browser, browser.get(path))
    cancel = page.text.split("Abbrechen und zurück zum Dienst")[0].rsplit('href="', 1)[1]
    target, params = redirect_params(browser.get(cancel.split('"', 1)[0]))
    assert target == REDIRECT
    assert params["error"] == "unmet_authentication_requirements" and "code" not in params


# --- SAML ---------------------------------------------------------------------------------------


def test_saml_qaa_3_steps_a_password_session_up_with_the_code(hub: EidHub, portal: Portal) -> None:
    browser, app = erika_with_card_and_app(hub, portal)
    sp = saml_sp(hub, browser, ["STORK-QAA-Level-3"])
    page = follow(browser, browser.get(path_of(sp.login_url())))
    assert "/saml/sso/abbrechen/" in page.text
    answer = enter_code(browser, page, app.code())
    form = posted_form(follow(browser, answer))
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert class_ref(form) == "STORK-QAA-Level-3"
    assert auth.get_attributes()[LEVEL_ATTRIBUTE] == ["STORK-QAA-Level-3"]


def test_saml_qaa_4_after_the_code_still_goes_to_the_card(hub: EidHub, portal: Portal) -> None:
    browser, app = erika_with_card_and_app(hub, portal)
    page = browser.get(STEP_UP + "?next=/konto/profil")
    assert enter_code(browser, page, app.code()).headers["Location"] == "/konto/profil"
    sp = saml_sp(hub, browser, ["STORK-QAA-Level-4"])
    card_page = follow(browser, browser.get(path_of(sp.login_url())))
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in card_page.text
    form = posted_form(read_card_here(hub, browser, card_page))
    assert sp.acs(form).get_errors() == []
    assert class_ref(form) == "STORK-QAA-Level-4"
