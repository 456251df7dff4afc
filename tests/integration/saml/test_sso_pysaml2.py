"""Web Browser SSO with pysaml2's ``Saml2Client`` as the SP, on pysaml2's stock ``xmlsec1``
backend: AuthnRequests by HTTP-Redirect and HTTP-POST, signed; responses signed and encrypted;
the attributes the SP reads out of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from werkzeug.test import TestResponse

from tests.helpers import Browser, Citizen, Portal
from tests.saml_pysaml2 import PySaml2Sp, Sent, path_and_query
from tests.saml_support import decoded, follow, hub_metadata, posted_form, register_sp

pytestmark = pytest.mark.storage
RELEASE = ("given_names", "family_names", "email", "subject")
# pysaml2's attribute maps turn the well-known OIDs into their LDAP names; the others stay URIs
GIVEN = "givenName"  # urn:oid:2.5.4.42
FAMILY = "sn"  # urn:oid:2.5.4.4
EMAIL = "mail"  # urn:oid:0.9.2342.19200300.100.1.3
LEVEL = "urn:oid:1.2.40.0.10.2.1.1.261.94"
SUBJECT = "urn:oid:1.3.6.1.4.1.25484.494450.3"


def logged_in_with_profile(portal: Portal, citizen: Citizen) -> Browser:
    browser = portal.new_browser()
    assert browser.login(citizen.email, citizen.password).status_code == 303
    edit = browser.submit(
        "/konto/profil/bearbeiten", given_names="Erika", family_names="Mustermann"
    )
    assert edit.status_code in (200, 303), edit.text[:300]
    return browser


def send(browser: Browser, sent: Sent) -> TestResponse:
    """What the browser does with a message the SP hands it."""
    if sent.binding == BINDING_HTTP_REDIRECT:
        assert sent.url.startswith("http://portal.test/saml/")
        return browser.get(path_and_query(sent.url))
    assert sent.url.startswith("http://portal.test/saml/")
    return browser.post(path_and_query(sent.url), sent.fields)


def sso(sp: PySaml2Sp, browser: Browser, binding: str) -> tuple[Any, str]:
    answer = follow(browser, send(browser, sp.login(binding)))
    form = posted_form(answer)
    assert form.action == "https://pysaml2.example.org/acs"
    assert form.fields["RelayState"] == "/p2"
    return sp.acs(form), decoded(form)


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST])
def test_signed_sso(
    app: Flask, portal: Portal, erika: Citizen, tmp_path: Path, binding: str
) -> None:
    browser = logged_in_with_profile(portal, erika)
    sp = PySaml2Sp(hub_metadata(browser), tmp_path)
    assert sp.stock_backend
    register_sp(app, sp.metadata(), release=RELEASE)
    response, xml = sso(sp, browser, binding)
    assert response is not None
    identity = response.get_identity()
    assert identity[GIVEN] == ["Erika"]
    assert identity[FAMILY] == ["Mustermann"]
    assert identity[EMAIL] == [erika.email]
    assert identity[LEVEL] == ["STORK-QAA-Level-1"]
    subject = response.get_subject()
    assert subject.format == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    assert identity[SUBJECT] == [subject.text]
    assert subject.sp_name_qualifier == sp.entity_id
    assert response.authn_info()[0][0] == "STORK-QAA-Level-1"
    assert response.assertion.signature is not None and response.response.signature is not None
    assert "rsa-sha1" not in xml and "xmldsig#sha1" not in xml


def test_encrypted_sso(app: Flask, portal: Portal, erika: Citizen, tmp_path: Path) -> None:
    browser = logged_in_with_profile(portal, erika)
    sp = PySaml2Sp(hub_metadata(browser), tmp_path)
    register_sp(app, sp.metadata(), release=RELEASE, encrypt_assertion=True)
    response, xml = sso(sp, browser, BINDING_HTTP_REDIRECT)
    assert "EncryptedAssertion" in xml and "Erika" not in xml
    assert "http://www.w3.org/2009/xmlenc11#aes256-gcm" in xml
    assert "tripledes" not in xml and "rsa-1_5" not in xml
    identity = response.get_identity()
    assert identity[GIVEN] == ["Erika"] and identity[EMAIL] == [erika.email]


def test_encrypted_sso_post_binding_only_response_signed(
    app: Flask, portal: Portal, erika: Citizen, tmp_path: Path
) -> None:
    browser = logged_in_with_profile(portal, erika)
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, want_assertions_signed=False)
    register_sp(
        app,
        sp.metadata(),
        release=("family_names",),
        encrypt_assertion=True,
        sign_assertion=False,
    )
    response, _ = sso(sp, browser, BINDING_HTTP_POST)
    assert response.get_identity()[FAMILY] == ["Mustermann"]


def test_release_list_limits_what_the_sp_receives(
    app: Flask, portal: Portal, erika: Citizen, tmp_path: Path
) -> None:
    browser = logged_in_with_profile(portal, erika)
    sp = PySaml2Sp(hub_metadata(browser), tmp_path)
    register_sp(app, sp.metadata(), release=("family_names",))
    response, xml = sso(sp, browser, BINDING_HTTP_REDIRECT)
    identity = response.get_identity()
    assert set(identity) == {FAMILY, LEVEL}
    assert "Erika" not in xml and erika.email not in xml


def test_in_process_backend_as_sp(
    app: Flask, portal: Portal, erika: Citizen, tmp_path: Path
) -> None:
    """The hub's own backend adapter also works on the consuming side of pysaml2."""
    browser = logged_in_with_profile(portal, erika)
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, in_process=True)
    assert not sp.stock_backend
    register_sp(app, sp.metadata(), release=RELEASE, encrypt_assertion=True)
    response, _ = sso(sp, browser, BINDING_HTTP_POST)
    assert response.get_identity()[GIVEN] == ["Erika"]
