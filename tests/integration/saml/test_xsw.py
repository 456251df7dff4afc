"""XSW1–XSW8 (tests/saml_xsw.py) built from the hub's own signed responses, against python3-saml
and pysaml2 (stock ``xmlsec1`` backend) as SPs and against the hub's own verification; and the
request-level counterparts against the hub's endpoints for signed POST AuthnRequests and
LogoutRequests. Every variant is refused; nobody becomes the attacker."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from saml2 import BINDING_HTTP_POST

from certs.xmlsig import XmlSecurity, XmlSecurityError
from core.clock import FrozenClock
from tests.helpers import Browser, Portal
from tests.integration.saml.test_sso_post import _signed_post_request
from tests.saml_pysaml2 import PySaml2Sp, SpKeySource, path_and_query
from tests.saml_support import (
    OneLoginSp,
    PostedForm,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
    sp_keys,
)
from tests.saml_xsw import ASSERTION_LEVEL, RESPONSE_LEVEL, SAML, request_variants

pytestmark = pytest.mark.storage
ATTACKER = "attacker"
ATTACKER_MAIL = "mallory@evil.example"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"


def evil(element: etree._Element) -> None:
    """What the attacker wants the SP to read: another subject and another e-mail address."""
    for name_id in element.iter(f"{{{SAML}}}NameID"):
        name_id.text = ATTACKER
    for attribute in element.iter(f"{{{SAML}}}Attribute"):
        if attribute.get("Name") == MAIL:
            for value in attribute.iter(f"{{{SAML}}}AttributeValue"):
                value.text = ATTACKER_MAIL


def with_response(form: PostedForm, root: etree._Element) -> PostedForm:
    fields = dict(form.fields, SAMLResponse=base64.b64encode(etree.tostring(root)).decode())
    return PostedForm(form.action, fields)


def root_of(form: PostedForm) -> etree._Element:
    return etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))


def hub_verifier_refuses(app: Flask, root: etree._Element, node_ids: set[str]) -> None:
    """Our own verification (certs.xmlsig, as for incoming messages) refuses every element a
    consumer could take for the signed one."""
    s = app.extensions["saml"]
    reparsed = etree.fromstring(etree.tostring(root))
    for node_id in node_ids:
        with pytest.raises(XmlSecurityError):
            s.xml.verify(reparsed, node_id, s.signing_certificate())


def consumer_candidates(root: etree._Element) -> set[str]:
    """The IDs of what a consumer might read: the message, its first assertion child, the
    first assertion anywhere in document order."""
    ids = {root.get("ID") or ""}
    child = root.find(f"{{{SAML}}}Assertion")
    first = next(root.iter(f"{{{SAML}}}Assertion"), None)
    ids |= {e.get("ID") or "" for e in (child, first) if e is not None}
    return ids


# --- the SPs, each with the one signature the variants attack ---------------------------------


Level = str  # "response" (only the Response signed) or "assertion" (only the Assertion)


def onelogin_response(
    app: Flask, browser: Browser, level: Level
) -> tuple[Callable[[PostedForm], str | None], PostedForm]:
    """The SP, its first (genuine) response, and a check that returns the NameID it accepted
    (None when it refused)."""
    sp = OneLoginSp(hub_metadata(browser))
    sp.settings_data["security"]["wantMessagesSigned"] = level == "response"
    sp.settings_data["security"]["wantAssertionsSigned"] = level == "assertion"
    register_sp(
        app,
        sp.metadata(),
        release=("email",),
        sign_response=level == "response",
        sign_assertion=level == "assertion",
    )
    form = posted_form(follow(browser, browser.get(path_of(sp.login_url()))))

    def accepted(candidate: PostedForm) -> str | None:
        auth = sp.acs(candidate)
        if auth.get_errors():
            return None
        assert auth.get_attributes()[MAIL] != [ATTACKER_MAIL]
        return str(auth.get_nameid())

    return accepted, form


def pysaml2_response(
    app: Flask, browser: Browser, level: Level, workdir: Path
) -> tuple[Callable[[PostedForm], str | None], PostedForm]:
    sp = PySaml2Sp(
        hub_metadata(browser),
        workdir,
        want_response_signed=level == "response",
        want_assertions_signed=level == "assertion",
    )
    assert sp.stock_backend
    register_sp(
        app,
        sp.metadata(),
        release=("email",),
        sign_response=level == "response",
        sign_assertion=level == "assertion",
    )
    sent = sp.login(BINDING_HTTP_POST)
    form = posted_form(follow(browser, browser.post(path_and_query(sent.url), sent.fields)))

    def accepted(candidate: PostedForm) -> str | None:
        try:
            response = sp.acs(candidate)
        except Exception as exc:  # pysaml2 refuses by raising (SignatureError, …)
            logging.getLogger("tests.xsw").info("pysaml2 refused: %r", exc)
            return None
        if response is None:
            return None
        assert response.get_identity().get("mail") != [ATTACKER_MAIL]
        return str(response.name_id.text)

    return accepted, form


Factory = Callable[..., tuple[Callable[[PostedForm], str | None], PostedForm]]
SPS: dict[str, Factory] = {"python3-saml": onelogin_response, "pysaml2": pysaml2_response}


def _run(
    app: Flask,
    browser: Browser,
    tmp_path: Path,
    sp_name: str,
    level: Level,
    variant: Callable[..., etree._Element],
) -> None:
    args: list[Any] = [app, browser, level] + ([tmp_path] if sp_name == "pysaml2" else [])
    accepted, form = SPS[sp_name](*args)
    genuine = accepted(form)
    assert genuine is not None and genuine != ATTACKER  # the unmodified response is fine
    wrapped = variant(root_of(form), evil)
    assert ATTACKER.encode() in etree.tostring(wrapped)
    assert accepted(with_response(form, wrapped)) is None
    hub_verifier_refuses(app, wrapped, consumer_candidates(wrapped))


@pytest.mark.parametrize("sp_name", list(SPS))
@pytest.mark.parametrize("name", list(RESPONSE_LEVEL))
def test_response_signature_wrapping(
    app: Flask, browser: Browser, tmp_path: Path, sp_name: str, name: str
) -> None:
    _run(app, browser, tmp_path, sp_name, "response", RESPONSE_LEVEL[name])


@pytest.mark.parametrize("sp_name", list(SPS))
@pytest.mark.parametrize("name", list(ASSERTION_LEVEL))
def test_assertion_signature_wrapping(
    app: Flask, browser: Browser, tmp_path: Path, sp_name: str, name: str
) -> None:
    _run(app, browser, tmp_path, sp_name, "assertion", ASSERTION_LEVEL[name])


# --- the hub's own endpoints: signed requests wrapped ------------------------------------------


def _refusal_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        str(r.args[0]) if isinstance(r.args, tuple) else ""
        for r in caplog.records
        if r.name == "portal.saml" and r.msg == "saml request refused: %s"
    ]


def _evil_request(root: etree._Element) -> None:
    root.set("AssertionConsumerServiceURL", "https://sp.example.org/acs")
    root.set("ForceAuthn", "false")
    root.set("ProviderName", "evil")


@pytest.mark.parametrize("name", list(request_variants()))
def test_wrapped_post_authn_request_refused(
    app: Flask,
    browser: Browser,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    caplog.set_level(logging.INFO, logger="portal.saml")
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=("email",))
    signed = _signed_post_request(sp, "http://portal.test/saml/sso", clock.now())
    wrapped = request_variants()[name](signed, _evil_request)
    value = base64.b64encode(etree.tostring(wrapped)).decode()
    answer = browser.post("/saml/sso", {"SAMLRequest": value})
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert _refusal_reasons(caplog)[-1:] in (["bad-signature"], ["unsigned"])
    with pytest.raises(XmlSecurityError):
        XmlSecurity(SpKeySource(sp_keys())).verify(
            etree.fromstring(etree.tostring(wrapped)),
            wrapped.get("ID") or "",
            sp_keys().cert_pem.encode(),
        )


@pytest.mark.parametrize("name", list(request_variants()))
def test_wrapped_post_logout_request_refused(
    app: Flask,
    portal: Portal,
    browser: Browser,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    caplog.set_level(logging.INFO, logger="portal.saml")
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, in_process=True)
    register_sp(app, sp.metadata(), release=("email",))
    sent = sp.login(BINDING_HTTP_POST)
    assert sp.acs(posted_form(follow(browser, browser.post(path_and_query(sent.url), sent.fields))))
    logout = sp.logout(BINDING_HTTP_POST)
    signed = etree.fromstring(base64.b64decode(logout.fields["SAMLRequest"]))
    wrapped = request_variants()[name](signed, evil)
    fields = dict(logout.fields, SAMLRequest=base64.b64encode(etree.tostring(wrapped)).decode())
    answer = browser.post(path_and_query(logout.url), fields)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert _refusal_reasons(caplog)[-1:] in (["bad-signature"], ["unsigned"])
    assert portal.is_logged_in(browser)
