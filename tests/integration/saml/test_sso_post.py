"""AuthnRequest by HTTP-POST (SAML Bindings §3.5): enveloped signature verified strictly; the
Response goes to the SP's registered ACS and python3-saml accepts it."""

from __future__ import annotations

import base64
from collections.abc import Hashable
from typing import Any

import pytest
from flask import Flask
from lxml import etree

from certs.xmlsig import XmlSecurity
from core.clock import FrozenClock
from idp.saml import assemble
from tests.helpers import Browser, Citizen, Portal
from tests.saml_support import OneLoginSp, follow, hub_metadata, posted_form, register_sp, sp_keys

pytestmark = pytest.mark.storage


class _SpKeys:
    """The SP's own key (an SP signs with it; this is the SP side, not the hub)."""

    def current_certificate(self, purpose: Hashable) -> bytes:
        return sp_keys().cert_pem.encode()

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        return sp_keys().key_pem.encode()


def _signed_post_request(sp: OneLoginSp, destination: str, now: float) -> etree._Element:
    root = etree.Element(f"{{{assemble.SAMLP}}}AuthnRequest", nsmap={"samlp": assemble.SAMLP})
    root.set("ID", assemble.new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", assemble.instant(now))
    root.set("Destination", destination)
    root.set("AssertionConsumerServiceURL", "https://sp.example.org/acs")
    issuer = etree.SubElement(root, f"{{{assemble.SAML}}}Issuer", nsmap={"saml": assemble.SAML})
    issuer.text = sp.entity_id
    xs = XmlSecurity(_SpKeys())
    signature = assemble.signature_template(root, root.get("ID") or "")
    signature.remove(signature[-1])  # no KeyInfo needed
    xs.sign("sp", root, root.get("ID") or "")
    sp.last_request_id = root.get("ID")
    return root


def _post(browser: Browser, root: etree._Element) -> Any:
    value = base64.b64encode(etree.tostring(root)).decode()
    return browser.post("/saml/sso", {"SAMLRequest": value, "RelayState": "/x"})


@pytest.fixture
def ready(app: Flask, portal: Portal, erika: Citizen) -> tuple[OneLoginSp, Browser]:
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=("email",))
    return sp, browser


def test_post_binding_sso(ready: tuple[OneLoginSp, Browser], clock: FrozenClock) -> None:
    sp, browser = ready
    request = _signed_post_request(sp, "http://portal.test/saml/sso", clock.now())
    form = posted_form(follow(browser, _post(browser, request)))
    assert form.action == "https://sp.example.org/acs"
    assert form.fields["RelayState"] == "/x"
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()


def test_post_request_tampered_after_signing(
    ready: tuple[OneLoginSp, Browser], clock: FrozenClock
) -> None:
    sp, browser = ready
    request = _signed_post_request(sp, "http://portal.test/saml/sso", clock.now())
    request.set("ForceAuthn", "true")
    answer = _post(browser, request)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_post_request_wrapped(ready: tuple[OneLoginSp, Browser], clock: FrozenClock) -> None:
    sp, browser = ready
    signed = _signed_post_request(sp, "http://portal.test/saml/sso", clock.now())
    evil = etree.fromstring(etree.tostring(signed))
    for sig in evil.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        evil.remove(sig)
    evil.set("ID", "_evil")
    evil.set("AssertionConsumerServiceURL", "https://evil.example/acs")
    evil.append(signed)
    answer = _post(browser, evil)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_wrong_destination(ready: tuple[OneLoginSp, Browser], clock: FrozenClock) -> None:
    sp, browser = ready
    request = _signed_post_request(sp, "https://other-idp.example/sso", clock.now())
    answer = _post(browser, request)
    assert answer.status_code == 400
