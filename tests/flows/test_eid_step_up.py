"""Step-up with the Online-Ausweis for the protocol faces: an OpenID Connect client (Authlib,
over real HTTP) asking ``acr_values=http://eidas.europa.eu/LoA/high`` and a SAML SP
(python3-saml) asking ``STORK-QAA-Level-4``. A password session is raised by a card of the same
account and the protocol flow goes on; a card of another account is refused; what is asserted
is the level the card login reached, never more; cancelling answers the relying party with an
error. Both storage backends."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from lxml import etree
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki
from tests.eid_hub import EidHub, activation_link, card_dialogue, eid_hub, follow, local
from tests.helpers import Browser, Portal, csrf_token
from tests.integration.oidc.support import REDIRECT, Rp, consent_action, redirect_params, register
from tests.saml_support import (
    OneLoginSp,
    PostedForm,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

PASSWORD = "Ein langer Satz als Passwort"
HIGH = "http://eidas.europa.eu/LoA/high"
LOW = "http://eidas.europa.eu/LoA/low"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
LEVEL_ATTRIBUTE = "urn:oid:1.2.40.0.10.2.1.1.261.94"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


@pytest.fixture
def clock() -> FrozenClock:
    """Protocol client libraries check times against the real clock."""
    return FrozenClock(start=float(int(time.time())))


@pytest.fixture
def hub(
    pki: Pki, tmp_path: Path, settings: Settings, clock: FrozenClock, store: KeyValueStore
) -> Iterator[EidHub]:
    with eid_hub(pki, tmp_path, settings, clock, store) as running:
        yield running


@pytest.fixture
def portal(hub: EidHub) -> Portal:
    return Portal(hub.app, hub.clock)


def erika_with_card(hub: EidHub, portal: Portal) -> Browser:
    """Erika: password account with her card linked; the browser has a fresh password login."""
    portal.registered_citizen("erika@example.org", PASSWORD)
    browser = hub.browser()
    assert browser.login("erika@example.org", PASSWORD).status_code == 303
    linked = card_dialogue(hub, activation_link(browser.get("/konto/ausweis/verknuepfen")))
    follow(browser, browser.get(local(linked)))
    browser.logout()
    assert browser.login("erika@example.org", PASSWORD).status_code == 303
    return browser


def read_card_here(
    hub: EidHub, browser: Browser, page: TestResponse, card: str = "erika"
) -> TestResponse:
    """At the hub's card page: the AusweisApp reads ``card``, the browser comes back."""
    assert page.request.path == "/anmelden/ausweis", page.request.path
    location = card_dialogue(hub, activation_link(page), card)
    answer = follow(browser, browser.get(local(location)))
    if answer.request.path == "/anmelden/ausweis/aenderungen":  # the card refreshed the profile
        weiter = answer.text.split('class="button" href="', 1)[1].split('"', 1)[0]
        answer = browser.get(weiter)
    return answer


# --- OpenID Connect ----------------------------------------------------------------------------


def oauth(hub: EidHub, rp: Rp) -> OAuth2Client:
    return OAuth2Client(
        client_id=rp.client_id,
        client_secret=rp.secret,
        scope="openid profile",
        redirect_uri=rp.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def authorization(hub: EidHub, client: OAuth2Client, **params: str) -> tuple[str, str, str]:
    verifier, nonce = generate_token(48), generate_token(16)
    url, _state = client.create_authorization_url(
        hub.base_url + "/oidc/authorize", code_verifier=verifier, nonce=nonce, **params
    )
    return url.removeprefix(hub.base_url), verifier, nonce


def through_consent(browser: Browser, answer: TestResponse) -> str:
    """Follow the hub to the client's redirect URI (consenting once); returns the callback."""
    for _ in range(6):
        location = answer.headers.get("Location", "")
        if answer.status_code == 303 and location.startswith(REDIRECT):
            return location
        if answer.status_code == 303:
            answer = browser.get(local(location))
            continue
        assert answer.status_code == 200, (answer.status_code, answer.text[:400])
        answer = browser.post(
            consent_action(answer.text),
            {"csrf_token": csrf_token(answer.text), "decision": "allow"},
        )
    raise AssertionError("no authorization response")


def id_token_claims(hub: EidHub, token: str, rp: Rp, nonce: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(hub.base_url + "/oidc/jwks").json())
    decoded = jwt.decode(token, keys, algorithms=["RS256", "ES256", "PS256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": hub.base_url},
        aud={"essential": True, "value": rp.client_id},
        nonce={"essential": True, "value": nonce},
    ).validate(decoded.claims)
    return dict(decoded.claims)


def test_oidc_acr_high_steps_a_password_session_up_with_the_card(
    hub: EidHub, portal: Portal
) -> None:
    browser = erika_with_card(hub, portal)
    rp = register(hub.app, release=["given_names", "family_names", "email"])
    client = oauth(hub, rp)
    path, verifier, nonce = authorization(hub, client, acr_values=HIGH)
    card_page = follow(browser, browser.get(path))
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in card_page.text
    assert "/oidc/authorize/" in card_page.text and "/abbrechen" in card_page.text
    callback = through_consent(browser, read_card_here(hub, browser, card_page))
    token = client.fetch_token(
        hub.base_url + "/oidc/token", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(hub, token["id_token"], rp, nonce)
    assert claims["acr"] == HIGH
    assert claims["amr"] == ["eid", "pwd"]
    info = client.get(hub.base_url + "/oidc/userinfo").json()
    [verified] = info["verified_claims"]
    assert verified["verification"]["trust_framework"] == "eidas"
    assert verified["claims"]["given_name"] == "ERIKA"
    assert verified["claims"]["family_name"] == "MUSTERMANN"


def test_oidc_acr_high_without_a_session_goes_to_the_card_login(
    hub: EidHub, portal: Portal
) -> None:
    erika_with_card(hub, portal)
    rp = register(hub.app, release=["given_names"])
    client = oauth(hub, rp)
    browser = hub.browser()
    path, verifier, nonce = authorization(hub, client, acr_values=HIGH)
    card_page = follow(browser, browser.get(path))
    assert "Mit dem Online-Ausweis anmelden" in card_page.text
    assert "Stattdessen mit E-Mail-Adresse und Passwort anmelden" in card_page.text
    callback = through_consent(browser, read_card_here(hub, browser, card_page))
    token = client.fetch_token(
        hub.base_url + "/oidc/token", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(hub, token["id_token"], rp, nonce)
    assert (claims["acr"], claims["amr"]) == (HIGH, ["eid"])


def test_oidc_the_card_of_another_account_is_refused_and_nothing_is_issued(
    hub: EidHub, portal: Portal
) -> None:
    erika_with_card(hub, portal)
    portal.registered_citizen("other@example.org", PASSWORD)
    browser = hub.browser("203.0.113.9")
    assert browser.login("other@example.org", PASSWORD).status_code == 303
    rp = register(hub.app, release=["given_names"])
    path, _verifier, _nonce = authorization(hub, oauth(hub, rp), acr_values=HIGH)
    card_page = follow(browser, browser.get(path))
    refused = read_card_here(hub, browser, card_page)
    assert "mit einem anderen Bürgerkonto verknüpft" in refused.text
    cancel = refused.text.split("Noch einmal mit dem Online-Ausweis versuchen", 1)[1]
    cancel_path = cancel.split('<a href="', 1)[1].split('"', 1)[0]
    target, params = redirect_params(browser.get(cancel_path))
    assert target == REDIRECT
    assert params["error"] == "unmet_authentication_requirements" and "code" not in params


def test_oidc_a_low_request_stays_on_the_password(hub: EidHub, portal: Portal) -> None:
    browser = erika_with_card(hub, portal)
    rp = register(hub.app, release=["given_names"])
    client = oauth(hub, rp)
    path, verifier, nonce = authorization(hub, client, acr_values=LOW)
    callback = through_consent(browser, browser.get(path))
    token = client.fetch_token(
        hub.base_url + "/oidc/token", authorization_response=callback, code_verifier=verifier
    )
    claims = id_token_claims(hub, token["id_token"], rp, nonce)
    assert (claims["acr"], claims["amr"]) == (LOW, ["pwd"])


# --- SAML ---------------------------------------------------------------------------------------


def saml_sp(hub: EidHub, browser: Browser, refs: list[str]) -> OneLoginSp:
    sp = OneLoginSp(hub_metadata(browser), authn_context=refs, comparison="minimum")
    register_sp(hub.app, sp.metadata(), release=("given_names", "family_names", "email"))
    return sp


def class_ref(form: PostedForm) -> str | None:
    root = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    refs = root.findall(f".//{{{SAML}}}AuthnContextClassRef")
    return refs[0].text if refs else None


def test_saml_qaa_4_steps_a_password_session_up_with_the_card(hub: EidHub, portal: Portal) -> None:
    browser = erika_with_card(hub, portal)
    sp = saml_sp(hub, browser, ["STORK-QAA-Level-4"])
    card_page = follow(browser, browser.get(path_of(sp.login_url())))
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in card_page.text
    assert "/saml/sso/abbrechen/" in card_page.text
    form = posted_form(read_card_here(hub, browser, card_page))
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert class_ref(form) == "STORK-QAA-Level-4"
    attributes = auth.get_attributes()
    assert attributes[LEVEL_ATTRIBUTE] == ["STORK-QAA-Level-4"]
    assert attributes["urn:oid:2.5.4.42"] == ["ERIKA"]
    xml = base64.b64decode(form.fields["SAMLResponse"]).decode()
    assert 'bp:provenance="eid"' in xml


def test_saml_without_a_session_goes_to_the_card_login(hub: EidHub, portal: Portal) -> None:
    erika_with_card(hub, portal)
    browser = hub.browser()
    sp = saml_sp(hub, browser, ["http://eidas.europa.eu/LoA/high"])
    card_page = follow(browser, browser.get(path_of(sp.login_url())))
    assert "Mit dem Online-Ausweis anmelden" in card_page.text
    form = posted_form(read_card_here(hub, browser, card_page))
    assert sp.acs(form).get_errors() == []
    assert class_ref(form) == HIGH  # answered in the family asked in


def test_saml_the_card_of_another_account_is_refused_and_cancel_answers_no_authn_context(
    hub: EidHub, portal: Portal
) -> None:
    erika_with_card(hub, portal)
    portal.registered_citizen("other@example.org", PASSWORD)
    browser = hub.browser("203.0.113.9")
    assert browser.login("other@example.org", PASSWORD).status_code == 303
    sp = saml_sp(hub, browser, ["STORK-QAA-Level-4"])
    card_page = follow(browser, browser.get(path_of(sp.login_url())))
    refused = read_card_here(hub, browser, card_page)
    assert "mit einem anderen Bürgerkonto verknüpft" in refused.text
    cancel = refused.text.split('href="/saml/sso/abbrechen/', 1)[1].split('"', 1)[0]
    form = posted_form(browser.get("/saml/sso/abbrechen/" + cancel))
    assert class_ref(form) is None
    assert "NoAuthnContext" in base64.b64decode(form.fields["SAMLResponse"]).decode()
    assert sp.acs(form).get_errors() != []


def test_saml_a_failed_card_reading_never_asserts_more_than_performed(
    hub: EidHub, portal: Portal
) -> None:
    browser = erika_with_card(hub, portal)
    sp = saml_sp(hub, browser, ["STORK-QAA-Level-4"])
    card_page = follow(browser, browser.get(path_of(sp.login_url())))
    location = card_dialogue(hub, activation_link(card_page), action="abbrechen")
    failed = follow(browser, browser.get(local(location)))
    assert "abgebrochen" in failed.text
    again = follow(browser, browser.get(path_of(sp.login_url())))
    assert again.request.path == "/anmelden/ausweis"  # still low: asked for the card again
    assert "SAMLResponse" not in again.text


def test_saml_unsolicited_steps_up_to_the_sp_minimum_with_the_card(
    hub: EidHub, portal: Portal
) -> None:
    """IdP-initiated SSO (Profiles §4.1.5) for an SP whose minimum is high: the card first, then
    the unsolicited Response at QAA 4, which python3-saml accepts without a request ID."""
    browser = erika_with_card(hub, portal)
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(
        hub.app, sp.metadata(), release=("given_names",), min_level="high", allow_idp_initiated=True
    )
    start = "/saml/unsolicited?providerId=" + sp.entity_id + "&target=/antrag"
    card_page = follow(browser, browser.get(start))
    assert "Anmeldung mit dem Online-Ausweis bestätigen" in card_page.text
    form = posted_form(read_card_here(hub, browser, card_page))
    assert form.fields["RelayState"] == "/antrag"
    assert b"InResponseTo" not in base64.b64decode(form.fields["SAMLResponse"])
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert class_ref(form) == "STORK-QAA-Level-4"
    assert auth.get_attributes()["urn:oid:2.5.4.42"] == ["ERIKA"]


def test_saml_unsolicited_cancel_at_the_card_sends_nothing(hub: EidHub, portal: Portal) -> None:
    browser = erika_with_card(hub, portal)
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(hub.app, sp.metadata(), min_level="high", allow_idp_initiated=True)
    card_page = follow(browser, browser.get("/saml/unsolicited?providerId=" + sp.entity_id))
    cancel = card_page.text.split('href="/saml/sso/abbrechen/', 1)[1].split('"', 1)[0]
    page = browser.get("/saml/sso/abbrechen/" + cancel)
    assert page.status_code == 200 and "abgebrochen" in page.text
    assert "SAMLResponse" not in page.text
