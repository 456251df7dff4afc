"""Web Browser SSO with python3-saml (OneLogin) as the SP: HTTP-Redirect AuthnRequest signed by
the SP, Response signed (and encrypted) by the hub; the attributes the SP receives."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers import Browser, Citizen, Portal
from tests.saml_support import (
    OneLoginSp,
    decoded,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
RELEASE = ("given_names", "family_names", "email", "subject")


def _give_profile(portal: Portal, citizen: Citizen) -> Browser:
    browser = portal.new_browser()
    assert browser.login(citizen.email, citizen.password).status_code == 303
    edit = browser.submit(
        "/konto/profil/bearbeiten", given_names="Erika", family_names="Mustermann"
    )
    assert edit.status_code in (200, 303), edit.text[:300]
    return browser


def _sso(sp: OneLoginSp, browser: Browser) -> tuple[Any, str]:
    answer = follow(browser, browser.get(path_of(sp.login_url())))
    form = posted_form(answer)
    assert form.action == "https://sp.example.org/acs"
    assert form.fields["RelayState"] == "/dienst/start"
    return sp.acs(form), decoded(form)


def test_redirect_sso_signed(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = _give_profile(portal, erika)
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=RELEASE)
    auth, xml = _sso(sp, browser)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    attributes = auth.get_attributes()
    assert attributes["urn:oid:2.5.4.42"] == ["Erika"]
    assert attributes["urn:oid:2.5.4.4"] == ["Mustermann"]
    assert attributes["urn:oid:0.9.2342.19200300.100.1.3"] == [erika.email]
    assert attributes["urn:oid:1.2.40.0.10.2.1.1.261.94"] == ["STORK-QAA-Level-1"]
    assert auth.get_nameid_format() == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    assert attributes["urn:oid:1.3.6.1.4.1.25484.494450.3"] == [auth.get_nameid()]
    assert "STORK-QAA-Level-1" in xml
    assert 'bp:provenance="self"' in xml


def test_redirect_sso_encrypted(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = _give_profile(portal, erika)
    sp = OneLoginSp(hub_metadata(browser), want_encrypted=True)
    register_sp(app, sp.metadata(), release=RELEASE, encrypt_assertion=True)
    auth, xml = _sso(sp, browser)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert "EncryptedAssertion" in xml and "Erika" not in xml
    assert 'Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"' in xml
    assert 'Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"' in xml
    assert "tripledes" not in xml and "rsa-1_5" not in xml
    assert auth.get_attributes()["urn:oid:2.5.4.42"] == ["Erika"]


def test_login_happens_in_between(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=("email",))
    start = browser.get(path_of(sp.login_url()))
    assert start.status_code == 303
    to_login = browser.get(path_of(start.headers["Location"]))
    assert to_login.status_code == 303 and "/anmelden" in to_login.headers["Location"]
    login_path = path_of(to_login.headers["Location"])
    logged_in = browser.submit(login_path, email=erika.email, password=erika.password)
    assert logged_in.status_code == 303
    form = posted_form(follow(browser, logged_in))
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attributes()["urn:oid:0.9.2342.19200300.100.1.3"] == [erika.email]


def test_persistent_name_id_is_stable_and_pairwise(
    app: Flask, portal: Portal, erika: Citizen
) -> None:
    browser = _give_profile(portal, erika)
    meta = hub_metadata(browser)
    one = OneLoginSp(meta)
    other = OneLoginSp(meta, entity_id="https://other.example.org/metadata")
    register_sp(app, one.metadata())
    register_sp(app, other.metadata())
    first, _ = _sso(one, browser)
    again, _ = _sso(one, browser)
    elsewhere, _ = _sso(other, browser)
    assert first.get_nameid() == again.get_nameid()
    assert elsewhere.get_nameid() != first.get_nameid()


def test_algorithms_actually_used_are_pinned(app: Flask, portal: Portal, erika: Citizen) -> None:
    """DESIGN.md field note: pysaml2 falls back to RSA-SHA1 when misconfigured; check the XML."""
    import base64

    from cryptography import x509
    from lxml import etree

    browser = _give_profile(portal, erika)
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=RELEASE)
    _, xml = _sso(sp, browser)
    root = etree.fromstring(xml.encode())
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    methods = {e.get("Algorithm") for e in root.iterfind(".//ds:SignatureMethod", ns)}
    digests = {e.get("Algorithm") for e in root.iterfind(".//ds:DigestMethod", ns)}
    assert len(root.findall(".//ds:Signature", ns)) == 2  # response and assertion
    assert methods == {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
    assert digests == {"http://www.w3.org/2001/04/xmlenc#sha256"}
    for element in root.iterfind(".//ds:X509Certificate", ns):
        cert = x509.load_der_x509_certificate(base64.b64decode(element.text or ""))
        assert cert.public_key().key_size >= 3072  # type: ignore[union-attr]
    metadata = etree.fromstring(hub_metadata(browser).encode())
    meta_methods = {e.get("Algorithm") for e in metadata.iterfind(".//ds:SignatureMethod", ns)}
    assert meta_methods == {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
