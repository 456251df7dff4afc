"""Single logout with python3-saml and pysaml2 (stock ``xmlsec1`` backend) as SPs: SP-initiated
by HTTP-Redirect and HTTP-POST, signed both ways; the SSO session ends; the other SPs of the
session are told over the front channel; the answer goes to the registered SLO endpoint only.
Negative: unsigned, forged, unknown SP, no registered endpoint, replay, another SP's NameID."""

from __future__ import annotations

import base64
import logging
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
from tests.saml_pysaml2 import PySaml2Sp, Sent, path_and_query
from tests.saml_support import (
    FORM_RE,
    OneLoginSp,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
PARTIAL = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"


def deliver(browser: Browser, sent: Sent) -> TestResponse:
    """The browser carries an SP's message to the hub."""
    assert sent.url.startswith("http://portal.test/saml/slo"), sent.url
    if sent.binding == BINDING_HTTP_REDIRECT:
        return browser.get(path_and_query(sent.url))
    return browser.post(path_and_query(sent.url), sent.fields)


def hub_says(answer: TestResponse) -> Sent:
    """What the hub sends the browser on to: a redirect or an HTTP-POST form to an SP."""
    if answer.status_code == 303:
        return Sent(BINDING_HTTP_REDIRECT, answer.headers["Location"], {})
    assert FORM_RE.search(answer.text), (answer.status_code, answer.text[:400])
    form = posted_form(answer)
    return Sent(BINDING_HTTP_POST, form.action, form.fields)


def message_of(sent: Sent, field: str) -> etree._Element:
    if sent.binding == BINDING_HTTP_REDIRECT:
        value = dict(parse_qsl(urlsplit(sent.url).query))[field]
        return etree.fromstring(zlib.decompress(base64.b64decode(value), -15))
    return etree.fromstring(base64.b64decode(sent.fields[field]))


def status_of(root: etree._Element) -> list[str]:
    return [e.get("Value") or "" for e in root.iter(f"{{{SAMLP}}}StatusCode")]


def onelogin_logged_in(app: Flask, browser: Browser, **kw: Any) -> OneLoginSp:
    sp = OneLoginSp(hub_metadata(browser), **kw)
    register_sp(app, sp.metadata(), release=("email",))
    auth = sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    assert auth.get_errors() == [], auth.get_last_error_reason()
    return sp


def pysaml2_logged_in(
    app: Flask, browser: Browser, workdir: Path, binding: str = BINDING_HTTP_POST, **kw: Any
) -> PySaml2Sp:
    sp = PySaml2Sp(hub_metadata(browser), workdir, **kw)
    register_sp(app, sp.metadata(), release=("email",), name_id_formats=("transient",))
    sent = sp.login(binding)
    if sent.binding == BINDING_HTTP_REDIRECT:
        first = browser.get(path_and_query(sent.url))
    else:
        first = browser.post(path_and_query(sent.url), sent.fields)
    assert sp.acs(posted_form(follow(browser, first))) is not None
    return sp


def saml_logouts(portal: Portal, citizen: Citizen) -> list[dict[str, Any]]:
    citizen_id = portal.citizen_id(citizen.email)
    return [e.details for e in portal.audit_events(citizen_id) if e.event == "saml.logout"]


# --- the metadata ---------------------------------------------------------------------------


def test_metadata_announces_both_slo_bindings(portal: Portal) -> None:
    root = etree.fromstring(hub_metadata(portal.browser).encode())
    found = {
        (e.get("Binding"), e.get("Location")) for e in root.iter(f"{{{MD}}}SingleLogoutService")
    }
    assert found == {
        (BINDING_HTTP_REDIRECT, "http://portal.test/saml/slo"),
        (BINDING_HTTP_POST, "http://portal.test/saml/slo"),
    }


# --- SP-initiated, one SP ---------------------------------------------------------------------


def test_python3_saml_redirect_logout(
    app: Flask, portal: Portal, erika: Citizen, browser: Browser
) -> None:
    sp = onelogin_logged_in(app, browser)
    answer = browser.get(path_of(sp.logout_url()))
    sent = hub_says(answer)
    assert sent.binding == BINDING_HTTP_REDIRECT
    assert sent.url.startswith("https://sp.example.org/sls?")
    auth, _ = sp.sls(sent.url)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert dict(parse_qsl(urlsplit(sent.url).query))["RelayState"] == "/tschuess"
    assert dict(parse_qsl(urlsplit(sent.url).query))["SigAlg"].endswith("rsa-sha256")
    assert not portal.is_logged_in(browser)
    assert portal.sso_ids(portal.citizen_id(erika.email) or "") == set()
    assert saml_logouts(portal, erika) == [{"sp": sp.entity_id, "sessions": 1}]


@pytest.mark.parametrize("binding", [BINDING_HTTP_POST, BINDING_HTTP_REDIRECT])
def test_pysaml2_logout(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path, binding: str
) -> None:
    sp = pysaml2_logged_in(app, browser, tmp_path)
    assert sp.stock_backend
    sent = hub_says(deliver(browser, sp.logout(binding)))
    assert sent.binding == binding  # answered by the binding the request came by
    response = sp.logout_done(sent)
    assert response is not None and response.status_ok()
    assert status_of(message_of(sent, "SAMLResponse")) == [SUCCESS]
    assert not portal.is_logged_in(browser)


def test_logout_ends_only_the_named_session(
    app: Flask, portal: Portal, erika: Citizen, browser: Browser
) -> None:
    elsewhere = portal.new_browser("203.0.113.5")
    assert elsewhere.login(erika.email, erika.password).status_code == 303
    sp = onelogin_logged_in(app, browser)
    hub_says(browser.get(path_of(sp.logout_url())))
    assert not portal.is_logged_in(browser)
    assert portal.is_logged_in(elsewhere)


# --- the other SPs of the session --------------------------------------------------------------


def test_chain_informs_every_other_sp(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path
) -> None:
    """pysaml2 (stock) starts by POST; python3-saml (Redirect only) and a second pysaml2 SP
    (POST, like the initiator) are told; the initiator gets Success by POST."""
    onelogin = onelogin_logged_in(app, browser)
    other = pysaml2_logged_in(
        app, browser, tmp_path / "other", host="https://other.example.org", in_process=True
    )
    initiator = pysaml2_logged_in(app, browser, tmp_path / "initiator")
    step = hub_says(deliver(browser, initiator.logout(BINDING_HTTP_POST)))
    told: list[str] = []
    while not step.url.startswith(initiator.slo_url) and len(told) < 3:
        request = message_of(step, "SAMLRequest")
        if step.url.startswith("https://sp.example.org/sls"):
            assert step.binding == BINDING_HTTP_REDIRECT  # the only one it has
            assert request.findtext(f"{{{SAML}}}NameID") == onelogin.logged_in.get_nameid()
            index = onelogin.logged_in.get_session_index()
            assert request.findtext(f"{{{SAMLP}}}SessionIndex") == index
            auth, back = onelogin.sls(step.url)
            assert auth.get_errors() == [], auth.get_last_error_reason()
            told.append("python3-saml")
            step = hub_says(browser.get(path_of(back or "")))
        else:
            assert step.binding == BINDING_HTTP_POST  # the initiator's binding
            assert request.findtext(f"{{{SAML}}}NameID") == other.name_id.text
            told.append("pysaml2")
            step = hub_says(deliver(browser, other.answer_logout_request(step)))
    assert sorted(told) == ["pysaml2", "python3-saml"]
    assert step.binding == BINDING_HTTP_POST
    assert status_of(message_of(step, "SAMLResponse")) == [SUCCESS]
    assert initiator.logout_done(step).status_ok()
    assert not portal.is_logged_in(browser)


def test_partial_logout_when_an_sp_cannot_be_told(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path
) -> None:
    silent = OneLoginSp(hub_metadata(browser), entity_id="https://silent.example.org/metadata")
    del silent.settings_data["sp"]["singleLogoutService"]
    register_sp(app, silent.metadata(), release=("email",))
    assert silent.acs(posted_form(follow(browser, browser.get(path_of(silent.login_url())))))
    sp = onelogin_logged_in(app, browser)
    sent = hub_says(browser.get(path_of(sp.logout_url())))
    assert sent.url.startswith("https://sp.example.org/sls?")
    assert status_of(message_of(sent, "SAMLResponse")) == [SUCCESS, PARTIAL]
    auth, _ = sp.sls(sent.url)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert not portal.is_logged_in(browser)


# --- the answer goes to the registered endpoint -------------------------------------------------


def test_answer_goes_to_the_registered_response_location(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    sp = OneLoginSp(hub_metadata(browser))
    metadata = sp.metadata().replace(
        'Location="https://sp.example.org/sls"',
        'Location="https://sp.example.org/sls" ResponseLocation="https://sp.example.org/bye"',
    )
    assert "ResponseLocation" in metadata
    register_sp(app, metadata, release=("email",))
    assert sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    sp.settings_data["sp"]["singleLogoutService"]["url"] = "https://evil.example/sls"
    sent = hub_says(browser.get(path_of(sp.logout_url())))
    assert sent.url.startswith("https://sp.example.org/bye?")
    assert message_of(sent, "SAMLResponse").get("Destination") == "https://sp.example.org/bye"


# --- refused: an error page, the session stays ---------------------------------------------------


Refusals = Callable[[], list[str]]


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Refusals:
    """The reasons the hub logged for refused messages, in order."""
    caplog.set_level(logging.INFO, logger="portal.saml")
    return lambda: [
        str(r.args[0]) if isinstance(r.args, tuple) else ""
        for r in caplog.records
        if r.name == "portal.saml" and r.msg == "saml request refused: %s"
    ]


def _refused(response: TestResponse, refusals: Refusals, reason: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "Location" not in response.headers
    assert "X-Error-Id" in response.headers
    assert refusals()[-1:] == [reason]


def _redirect_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_unsigned_logout_request_refused(
    app: Flask, portal: Portal, browser: Browser, refusals: Refusals
) -> None:
    sp = onelogin_logged_in(app, browser)
    sp.settings_data["security"]["logoutRequestSigned"] = False
    _refused(browser.get(path_of(sp.logout_url())), refusals, "unsigned")
    assert portal.is_logged_in(browser)


def test_forged_logout_request_signature_refused(
    app: Flask, portal: Portal, browser: Browser, refusals: Refusals
) -> None:
    sp = onelogin_logged_in(app, browser)
    params = _redirect_params(sp.logout_url())
    signature = bytearray(base64.b64decode(params["Signature"]))
    signature[7] ^= 0x01
    params["Signature"] = base64.b64encode(bytes(signature)).decode()
    _refused(browser.get("/saml/slo?" + urlencode(params)), refusals, "bad-signature")
    assert portal.is_logged_in(browser)


def test_logout_request_signed_by_another_key_refused(
    app: Flask, portal: Portal, browser: Browser, refusals: Refusals
) -> None:
    from tests.saml_support import make_key_pair

    sp = onelogin_logged_in(app, browser)
    impostor = make_key_pair("impostor")
    sp.settings_data["sp"]["privateKey"] = impostor.key_pem
    sp.settings_data["sp"]["x509cert"] = impostor.cert_b64
    _refused(browser.get(path_of(sp.logout_url())), refusals, "bad-signature")
    assert portal.is_logged_in(browser)


def test_forged_post_logout_request_refused(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path, refusals: Refusals
) -> None:
    sp = pysaml2_logged_in(app, browser, tmp_path, in_process=True)
    sent = sp.logout(BINDING_HTTP_POST)
    xml = base64.b64decode(sent.fields["SAMLRequest"]).replace(
        b"SessionIndex>_", b"SessionIndex>_0"
    )
    assert b"SessionIndex>_0" in xml
    fields = dict(sent.fields, SAMLRequest=base64.b64encode(xml).decode())
    _refused(deliver(browser, Sent(sent.binding, sent.url, fields)), refusals, "bad-signature")
    assert portal.is_logged_in(browser)


def test_unknown_sp_refused(
    app: Flask, portal: Portal, browser: Browser, refusals: Refusals
) -> None:
    sp = onelogin_logged_in(app, browser)
    stranger = OneLoginSp(hub_metadata(browser), entity_id="https://stranger.example/metadata")
    stranger.logged_in = sp.logged_in
    _refused(browser.get(path_of(stranger.logout_url())), refusals, "unknown-sp")
    assert portal.is_logged_in(browser)


def test_sp_without_registered_slo_endpoint_refused(
    app: Flask, portal: Portal, browser: Browser, refusals: Refusals
) -> None:
    sp = OneLoginSp(hub_metadata(browser))
    metadata = etree.fromstring(sp.metadata().encode())
    for element in list(metadata.iter(f"{{{MD}}}SingleLogoutService")):
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    register_sp(app, etree.tostring(metadata).decode(), release=("email",))
    assert sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    response = browser.get(path_of(sp.logout_url()))
    _refused(response, refusals, "no-slo-endpoint")
    assert "sp.example.org/sls" not in response.text
    assert portal.is_logged_in(browser)


def test_replayed_logout_request_refused(
    app: Flask, portal: Portal, erika: Citizen, browser: Browser, refusals: Refusals
) -> None:
    sp = onelogin_logged_in(app, browser)
    url = path_of(sp.logout_url())
    assert hub_says(browser.get(url)).url.startswith("https://sp.example.org/sls")
    assert browser.login(erika.email, erika.password).status_code == 303
    _refused(browser.get(url), refusals, "replayed")
    assert portal.is_logged_in(browser)


def test_stale_logout_request_refused(
    app: Flask, portal: Portal, browser: Browser, clock: FrozenClock, refusals: Refusals
) -> None:
    sp = onelogin_logged_in(app, browser)
    url = path_of(sp.logout_url())
    clock.advance(3600)
    _refused(browser.get(url), refusals, "too-old")


def test_another_sps_name_id_logs_nobody_out(app: Flask, portal: Portal, browser: Browser) -> None:
    """An SP naming a NameID qualified for another SP gets UnknownPrincipal, nothing ends."""
    sp = onelogin_logged_in(app, browser)
    other = onelogin_logged_in(app, browser, entity_id="https://other.example.org/metadata")
    sp.logged_in = other.logged_in  # sp tries to log out what the other SP knows
    sent = hub_says(browser.get(path_of(sp.logout_url())))
    assert sent.url.startswith("https://sp.example.org/sls?")
    assert status_of(message_of(sent, "SAMLResponse")) == [
        "urn:oasis:names:tc:SAML:2.0:status:Requester",
        "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal",
    ]
    assert portal.is_logged_in(browser)


def test_unsolicited_logout_response_refused(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path, refusals: Refusals
) -> None:
    """A LogoutResponse, properly signed by a registered SP, that answers nothing we sent."""
    from certs.xmlsig import XmlSecurity
    from idp.saml import assemble, messages
    from tests.saml_pysaml2 import SpKeySource

    sp = pysaml2_logged_in(app, browser, tmp_path, in_process=True)
    root = messages.logout_response(
        sp.entity_id, "http://portal.test/saml/slo", "_nope", time.time()
    )
    signature = assemble.signature_template(root, root.get("ID") or "")
    signature.remove(signature[-1])
    XmlSecurity(SpKeySource(sp.keys)).sign("sp", root, root.get("ID") or "")
    posted = {"SAMLResponse": base64.b64encode(etree.tostring(root)).decode()}
    _refused(browser.post("/saml/slo", posted), refusals, "unexpected-logout-response")
    assert portal.is_logged_in(browser)
