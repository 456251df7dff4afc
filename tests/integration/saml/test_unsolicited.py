"""IdP-initiated (unsolicited) Web Browser SSO, SAML Profiles §4.1.5, at ``GET /saml/unsolicited``
with python3-saml and pysaml2 (stock ``xmlsec1`` backend) as SPs: login first, then a signed (and
encrypted) Response without InResponseTo anywhere, to the SP's default ACS or a registered one
it names; the RelayState as given. Refused with the error page (never a redirect, never a
500): unknown, disabled or unwilling SP, unregistered ACS, bad RelayState, repeated parameters.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from lxml import etree
from saml2.response import UnsolicitedResponse
from werkzeug.test import TestResponse

from idp.saml.models import sp_by_entity_id
from tests.helpers import Browser, Citizen, Portal
from tests.saml_pysaml2 import PySaml2Sp
from tests.saml_support import (
    FORM_RE,
    OneLoginSp,
    PostedForm,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
ONELOGIN = "https://sp.example.org/metadata"
EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"


Refusals = Callable[[], list[str]]


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Refusals:
    caplog.set_level(logging.INFO, logger="portal.saml")
    return lambda: [
        str(r.args[0]) if isinstance(r.args, tuple) else ""
        for r in caplog.records
        if r.name == "portal.saml" and r.msg == "saml request refused: %s"
    ]


def unsolicited(browser: Browser, **params: str) -> TestResponse:
    return browser.get("/saml/unsolicited?" + urlencode(params))


def onelogin_sp(app: Flask, browser: Browser, metadata: str | None = None, **kw: Any) -> OneLoginSp:
    sp = OneLoginSp(hub_metadata(browser))
    settings: dict[str, Any] = {"release": ("email",), "allow_idp_initiated": True} | kw
    register_sp(app, metadata or sp.metadata(), **settings)
    return sp


def root_of(form: PostedForm) -> etree._Element:
    return etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))


def assert_unsolicited(form: PostedForm) -> None:
    """Profiles §4.1.5: no InResponseTo on the Response nor on any SubjectConfirmationData."""
    root = root_of(form)
    assert root.tag == f"{{{SAMLP}}}Response"
    assert "InResponseTo" not in etree.tostring(root).decode()
    assert root.get("InResponseTo") is None
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        assert data.get("InResponseTo") is None


def with_second_acs(metadata: str, url: str, default: bool) -> str:
    """The SP's metadata with a second HTTP-POST ACS (index 7), optionally the default one."""
    root = etree.fromstring(metadata.encode())
    first = next(root.iter(f"{{{MD}}}AssertionConsumerService"))
    second = etree.Element(f"{{{MD}}}AssertionConsumerService")
    second.set("Binding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    second.set("Location", url)
    second.set("index", "7")
    if default:
        second.set("isDefault", "true")
    first.addnext(second)
    return etree.tostring(root).decode()


# --- accepted ------------------------------------------------------------------------------------


def test_python3_saml_accepts_the_unsolicited_response(app: Flask, browser: Browser) -> None:
    sp = onelogin_sp(app, browser)
    start = unsolicited(browser, providerId=ONELOGIN, target="/antrag/42")
    assert start.status_code == 303 and start.headers["Location"].startswith("/saml/sso/weiter/")
    form = posted_form(follow(browser, start))
    assert form.action == "https://sp.example.org/acs"  # the only, so the default, ACS
    assert form.fields["RelayState"] == "/antrag/42"
    assert_unsolicited(form)
    assert sp.last_request_id is None
    auth = sp.acs(form)  # process_response(request_id=None): the SP asked for nothing
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attributes()[EMAIL] == ["erika@example.org"]
    root = root_of(form)
    assert root.find(f"{{{DS}}}Signature") is not None
    assert root.find(f"{{{SAML}}}Assertion/{{{DS}}}Signature") is not None
    assert "rsa-sha1" not in etree.tostring(root).decode()


def test_without_target_there_is_no_relay_state(app: Flask, browser: Browser) -> None:
    sp = onelogin_sp(app, browser)
    form = posted_form(follow(browser, unsolicited(browser, providerId=ONELOGIN)))
    assert "RelayState" not in form.fields
    assert sp.acs(form).get_errors() == []


def test_the_citizen_logs_in_first(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    sp = onelogin_sp(app, browser)
    start = unsolicited(browser, providerId=ONELOGIN, target="/start")
    to_login = browser.get(start.headers["Location"])
    assert to_login.status_code == 303 and to_login.headers["Location"].startswith("/anmelden")
    assert "SAMLResponse" not in browser.get(to_login.headers["Location"]).text
    logged_in = browser.submit(
        path_of(to_login.headers["Location"]), email=erika.email, password=erika.password
    )
    form = posted_form(follow(browser, logged_in))
    assert_unsolicited(form)
    assert form.fields["RelayState"] == "/start"
    assert sp.acs(form).get_errors() == []


def test_the_sp_minimum_level_applies(app: Flask, browser: Browser) -> None:
    """Above the session's level: the step-up (here the level page, the Online-Ausweis is off
    in this app; tests/flows/test_eid_step_up.py does it with the card); nothing is sent."""
    onelogin_sp(app, browser, min_level="high")
    page = follow(browser, unsolicited(browser, providerId=ONELOGIN))
    assert page.status_code == 403 and "noch nicht verfügbar" in page.text
    assert not FORM_RE.search(page.text)
    cancel = re.search(r'href="(/saml/sso/abbrechen/[^"]+)"', page.text)
    assert cancel, page.text
    cancelled = browser.get(cancel.group(1))  # nobody asked: no error Response either
    assert cancelled.status_code == 200 and not FORM_RE.search(cancelled.text)
    assert "abgebrochen" in cancelled.text
    assert browser.get(cancel.group(1)).status_code == 400  # consumed


def test_shire_picks_a_registered_acs(app: Flask, browser: Browser) -> None:
    sp = OneLoginSp(hub_metadata(browser))
    metadata = with_second_acs(sp.metadata(), "https://sp.example.org/acs2", default=False)
    onelogin_sp(app, browser, metadata)
    form = posted_form(
        follow(
            browser, unsolicited(browser, providerId=ONELOGIN, shire="https://sp.example.org/acs2")
        )
    )
    assert form.action == "https://sp.example.org/acs2"
    assert root_of(form).get("Destination") == "https://sp.example.org/acs2"
    assert sp.acs(form, path="/acs2").get_errors() == []
    default = posted_form(follow(browser, unsolicited(browser, providerId=ONELOGIN)))
    assert default.action == "https://sp.example.org/acs"  # first without isDefault="false"


def test_the_default_acs_is_the_one_marked_default(app: Flask, browser: Browser) -> None:
    """SAML Metadata §2.2.3: isDefault="true" wins over document order."""
    sp = OneLoginSp(hub_metadata(browser))
    metadata = with_second_acs(sp.metadata(), "https://sp.example.org/acs2", default=True)
    onelogin_sp(app, browser, metadata)
    form = posted_form(follow(browser, unsolicited(browser, providerId=ONELOGIN)))
    assert form.action == "https://sp.example.org/acs2"
    assert sp.acs(form, path="/acs2").get_errors() == []


@pytest.mark.parametrize("encrypted", [False, True], ids=["signed", "encrypted"])
def test_pysaml2_accepts_it_with_allow_unsolicited(
    app: Flask, browser: Browser, tmp_path: Path, encrypted: bool
) -> None:
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, allow_unsolicited=True)
    assert sp.stock_backend
    register_sp(
        app,
        sp.metadata(),
        release=("email",),
        allow_idp_initiated=True,
        encrypt_assertion=encrypted,
    )
    start = unsolicited(browser, providerId=sp.entity_id, target="https://pysaml2.example.org/x")
    form = posted_form(follow(browser, start))
    assert form.action == sp.acs_url
    assert form.fields["RelayState"] == "https://pysaml2.example.org/x"
    assert_unsolicited(form)
    assert ("EncryptedAssertion" in base64.b64decode(form.fields["SAMLResponse"]).decode()) is (
        encrypted
    )
    response = sp.acs(form)
    assert response is not None
    assert response.get_identity()["mail"] == ["erika@example.org"]
    assert response.assertion.signature is not None and response.response.signature is not None


def test_pysaml2_refuses_it_without_allow_unsolicited(
    app: Flask, browser: Browser, tmp_path: Path
) -> None:
    """What shows that the Response really answers no request."""
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, in_process=True)
    register_sp(app, sp.metadata(), release=("email",), allow_idp_initiated=True)
    form = posted_form(follow(browser, unsolicited(browser, providerId=sp.entity_id)))
    with pytest.raises(UnsolicitedResponse):
        sp.acs(form)


def test_an_answer_goes_out_once(app: Flask, browser: Browser) -> None:
    onelogin_sp(app, browser)
    start = unsolicited(browser, providerId=ONELOGIN)
    assert FORM_RE.search(browser.get(start.headers["Location"]).text)
    again = browser.get(start.headers["Location"])
    assert again.status_code == 400 and not FORM_RE.search(again.text)


# --- refused: the error page, no redirect, nothing sent ------------------------------------------


def _refused(response: TestResponse, refusals: Refusals, reason: str, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert "Location" not in response.headers
    assert "X-Error-Id" in response.headers
    assert not FORM_RE.search(response.text)
    assert refusals()[-1:] == [reason]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "unknown-sp"),
        ({"providerId": ""}, "unknown-sp"),
        ({"providerId": "https://stranger.example/metadata"}, "unknown-sp"),
        ({"providerId": "x" * 2000}, "parameter-too-long"),
        ({"providerId": ONELOGIN, "shire": "https://evil.example/acs"}, "unregistered-acs"),
        ({"providerId": ONELOGIN, "shire": "https://sp.example.org/acs/"}, "unregistered-acs"),
        ({"providerId": ONELOGIN, "shire": "https://sp.example.org/sls"}, "unregistered-acs"),
        ({"providerId": ONELOGIN, "target": "x" * 81}, "bad-relay-state"),
        ({"providerId": ONELOGIN, "target": "ä" * 41}, "bad-relay-state"),  # 82 bytes
        ({"providerId": ONELOGIN, "target": "/a\r\nSet-Cookie: x=1"}, "bad-relay-state"),
        ({"providerId": ONELOGIN, "target": "/a\x00b"}, "bad-relay-state"),
    ],
    ids=[
        "no-provider",
        "empty-provider",
        "unknown-sp",
        "huge-provider",
        "foreign-acs",
        "acs-not-exactly",
        "slo-as-acs",
        "relay-state-81-bytes",
        "relay-state-82-utf8-bytes",
        "relay-state-crlf",
        "relay-state-nul",
    ],
)
def test_refused(
    app: Flask, browser: Browser, refusals: Refusals, params: dict[str, str], reason: str
) -> None:
    onelogin_sp(app, browser)
    _refused(unsolicited(browser, **params), refusals, reason)


def test_relay_state_of_80_bytes_is_fine(app: Flask, browser: Browser) -> None:
    sp = onelogin_sp(app, browser)
    target = "/" + "ä" * 39 + "x"  # 1 + 78 + 1 = 80 bytes
    assert len(target.encode()) == 80
    form = posted_form(follow(browser, unsolicited(browser, providerId=ONELOGIN, target=target)))
    assert form.fields["RelayState"] == target
    assert sp.acs(form).get_errors() == []


def test_a_query_that_is_not_utf8_is_refused(
    app: Flask, browser: Browser, refusals: Refusals
) -> None:
    onelogin_sp(app, browser)
    response = browser.get("/saml/unsolicited?providerId=" + ONELOGIN + "&target=%FF%FE")
    _refused(response, refusals, "bad-query")


def test_repeated_parameters_are_refused(app: Flask, browser: Browser, refusals: Refusals) -> None:
    onelogin_sp(app, browser)
    twice = urlencode([("providerId", ONELOGIN), ("providerId", "https://other.example/md")])
    _refused(browser.get("/saml/unsolicited?" + twice), refusals, "repeated-parameter")
    shire = urlencode(
        [("providerId", ONELOGIN), ("shire", "https://sp.example.org/acs"), ("shire", "x")]
    )
    _refused(browser.get("/saml/unsolicited?" + shire), refusals, "repeated-parameter")


def test_an_sp_that_does_not_allow_it_is_refused(
    app: Flask, browser: Browser, refusals: Refusals
) -> None:
    onelogin_sp(app, browser, allow_idp_initiated=False)
    response = unsolicited(browser, providerId=ONELOGIN)
    _refused(response, refusals, "idp-initiated-not-allowed", 403)
    assert "keine Anmeldung an, die beim Bürgerportal beginnt" in response.text


def test_a_disabled_sp_is_refused(app: Flask, browser: Browser, refusals: Refusals) -> None:
    from idp.saml import registry

    onelogin_sp(app, browser)
    with app.test_request_context():
        found = sp_by_entity_id(ONELOGIN)
        assert found is not None
        registry.set_enabled(found, False)
    _refused(unsolicited(browser, providerId=ONELOGIN), refusals, "unknown-sp")


def test_withdrawn_while_the_citizen_logs_in(
    app: Flask, portal: Portal, refusals: Refusals
) -> None:
    """The allowance is checked again when the answer would go out."""
    from dataclasses import replace

    from idp.saml import registry

    browser = portal.new_browser()
    onelogin_sp(app, browser)
    start = unsolicited(browser, providerId=ONELOGIN)
    assert start.status_code == 303
    with app.test_request_context():
        found = sp_by_entity_id(ONELOGIN)
        assert found is not None
        registry.change(found, replace(registry.settings_of(found), allow_idp_initiated=False))
    _refused(browser.get(start.headers["Location"]), refusals, "idp-initiated-not-allowed", 403)
