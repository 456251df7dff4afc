"""The negative battery: every malformed, forged, replayed or stale message is refused with a
clear error page (never a 500, never a redirect), and wrapped or stripped responses built from
our own responses are rejected by the SP library and by our own verification."""

from __future__ import annotations

import base64
import copy
import zlib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from lxml import etree

from certs.xmlsig import XmlSecurityError
from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
from tests.saml_support import (
    OneLoginSp,
    PostedForm,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def setup(app: Flask, portal: Portal, erika: Citizen) -> tuple[OneLoginSp, Browser]:
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=("email",))
    return sp, browser


def _refused(response: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "Location" not in response.headers
    assert "X-Error-Id" in response.headers


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _deflate(xml: bytes) -> str:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(c.compress(xml) + c.flush()).decode()


def _inflate(value: str) -> bytes:
    return zlib.decompress(base64.b64decode(value), -15)


# --- the request side ----------------------------------------------------------------------


def test_unknown_sp(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    sp = OneLoginSp(hub_metadata(browser))  # not registered
    _refused(browser.get(path_of(sp.login_url())))


def test_disabled_sp(setup: tuple[OneLoginSp, Browser], app: Flask) -> None:
    from idp.saml import registry
    from idp.saml.models import sp_by_entity_id

    sp, browser = setup
    with app.test_request_context():
        found = sp_by_entity_id(sp.entity_id)
        assert found is not None
        registry.set_enabled(found, False)
    _refused(browser.get(path_of(sp.login_url())))


def test_forged_redirect_signature(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    params = _query(sp.login_url())
    sig = bytearray(base64.b64decode(params["Signature"]))
    sig[10] ^= 0xFF
    params["Signature"] = base64.b64encode(bytes(sig)).decode()
    _refused(browser.get("/saml/sso?" + urlencode(params)))


def test_tampered_request_under_valid_signature(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    params = _query(sp.login_url())
    xml = _inflate(params["SAMLRequest"]).replace(
        b"https://sp.example.org/acs", b"https://evil.example/acs"
    )
    params["SAMLRequest"] = _deflate(xml)
    _refused(browser.get("/saml/sso?" + urlencode(params)))


def test_signature_stripped_from_request(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    params = _query(sp.login_url())
    del params["Signature"], params["SigAlg"]
    _refused(browser.get("/saml/sso?" + urlencode(params)))


def test_sha1_redirect_signature_refused(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    params = _query(sp.login_url())
    params["SigAlg"] = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    _refused(browser.get("/saml/sso?" + urlencode(params)))


def test_replayed_request(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    url = path_of(sp.login_url())
    assert browser.get(url).status_code == 303
    _refused(browser.get(url))


def test_unregistered_acs(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    meta = hub_metadata(browser)
    registered = OneLoginSp(meta)
    register_sp(app, registered.metadata())
    evil = OneLoginSp(meta)
    evil.settings_data["sp"]["assertionConsumerService"]["url"] = "https://evil.example/acs"
    response = browser.get(path_of(evil.login_url()))
    _refused(response)
    assert "evil.example" not in response.text


@pytest.mark.parametrize("offset", [-3600, 3600])
def test_stale_and_future_requests(
    setup: tuple[OneLoginSp, Browser], clock: FrozenClock, offset: int
) -> None:
    sp, browser = setup
    url = path_of(sp.login_url())
    clock.advance(offset)  # +: the request is an hour old; -: issued an hour ahead
    _refused(browser.get(url))


def _post_request(browser: Browser, xml: bytes) -> Any:
    return browser.post("/saml/sso", {"SAMLRequest": base64.b64encode(xml).decode()})


SAMLP_NS = b'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<samlp:AuthnRequest " + SAMLP_NS + b' ID="_1" Version="2.0" '
    b'IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer '
    b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&x;</saml:Issuer></samlp:AuthnRequest>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">\n'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    b"<samlp:AuthnRequest " + SAMLP_NS + b">&lol3;</samlp:AuthnRequest>"
)


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_refused_in_both_bindings(
    setup: tuple[OneLoginSp, Browser], payload: bytes
) -> None:
    _, browser = setup
    _refused(_post_request(browser, payload))
    _refused(browser.get("/saml/sso?" + urlencode({"SAMLRequest": _deflate(payload)})))


def test_deflate_bomb(setup: tuple[OneLoginSp, Browser]) -> None:
    _, browser = setup
    bomb = _deflate(b"<a>" + b" " * 50_000_000 + b"</a>")
    assert len(bomb) < 200_000
    _refused(browser.get("/saml/sso?" + urlencode({"SAMLRequest": bomb})))


def test_garbage_and_oversize(setup: tuple[OneLoginSp, Browser]) -> None:
    _, browser = setup
    _refused(browser.get("/saml/sso?SAMLRequest=%%%"))
    _refused(browser.get("/saml/sso"))
    _refused(browser.post("/saml/sso", {"SAMLRequest": "bm90IHhtbA=="}))
    _refused(_post_request(browser, b"<a>" + b"x" * 200_000 + b"</a>"))


def test_relay_state_too_long(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    _refused(browser.get(path_of(sp.login_url(relay_state="/" + "x" * 100))))


def test_comment_in_request_issuer_does_not_confuse(setup: tuple[OneLoginSp, Browser]) -> None:
    sp, browser = setup
    params = _query(sp.login_url())
    xml = _inflate(params["SAMLRequest"]).replace(
        b"https://sp.example.org/metadata</saml:Issuer>",
        b"https://sp.example.org/meta<!-- x -->data</saml:Issuer>",
    )
    params["SAMLRequest"] = _deflate(xml)
    _refused(browser.get("/saml/sso?" + urlencode(params)))


# --- the response side: XSW and stripping against the SP library and our verification ----


def _our_response(sp: OneLoginSp, browser: Browser) -> tuple[PostedForm, etree._Element]:
    form = posted_form(follow(browser, browser.get(path_of(sp.login_url()))))
    root = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    return form, root


def _with(form: PostedForm, root: etree._Element) -> PostedForm:
    fields = dict(form.fields)
    fields["SAMLResponse"] = base64.b64encode(etree.tostring(root)).decode()
    return PostedForm(form.action, fields)


def _evil_copy(assertion: etree._Element) -> etree._Element:
    evil = copy.deepcopy(assertion)
    for sig in evil.findall(f"{{{DS}}}Signature"):
        evil.remove(sig)
    name_id = evil.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    name_id.text = "attacker"
    return evil


def _xsw_variants(root: etree._Element) -> dict[str, etree._Element]:
    variants = {}
    # XSW: evil assertion (same ID) before the signed one
    r = copy.deepcopy(root)
    a = r.find(f"{{{SAML}}}Assertion")
    assert a is not None
    r.insert(list(r).index(a), _evil_copy(a))
    variants["evil-before"] = r
    # XSW: evil assertion after the signed one
    r = copy.deepcopy(root)
    a = r.find(f"{{{SAML}}}Assertion")
    assert a is not None
    r.append(_evil_copy(a))
    variants["evil-after"] = r
    # XSW: signed assertion moved into the evil one's signature Object / extensions
    r = copy.deepcopy(root)
    a = r.find(f"{{{SAML}}}Assertion")
    assert a is not None
    evil = _evil_copy(a)
    evil.set("ID", "_evil")
    r.replace(a, evil)
    evil.append(a)
    variants["wrapped-inside"] = r
    # signature stripped from response and assertion, content changed
    r = copy.deepcopy(root)
    for sig in list(r.iter(f"{{{DS}}}Signature")):
        parent = sig.getparent()
        assert parent is not None
        parent.remove(sig)
    name_id = r.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    name_id.text = "attacker"
    variants["stripped"] = r
    # comment injected into the NameID under the signature
    r = copy.deepcopy(root)
    name_id = r.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    name_id.text = (name_id.text or "") + "x"
    variants["nameid-changed"] = r
    return variants


def test_wrapped_and_stripped_responses_are_rejected(
    setup: tuple[OneLoginSp, Browser], app: Flask
) -> None:
    sp, browser = setup
    form, root = _our_response(sp, browser)
    assert sp.acs(form).get_errors() == []
    xs = app.extensions["saml"].xml
    cert = app.extensions["saml"].signing_certificate()
    for name, variant in _xsw_variants(root).items():
        auth = sp.acs(_with(form, variant))
        assert auth.get_errors() != [], name
        assert auth.get_nameid() != "attacker", name
        reparsed = etree.fromstring(etree.tostring(variant))
        with pytest.raises(XmlSecurityError):
            xs.verify(reparsed, reparsed.get("ID"), cert)
        used = reparsed.find(f"{{{SAML}}}Assertion")  # the assertion a consumer would read
        assert used is not None
        with pytest.raises(XmlSecurityError):
            xs.verify(reparsed, used.get("ID"), cert)


def test_comment_injection_in_name_id_is_not_honoured(
    setup: tuple[OneLoginSp, Browser], app: Flask
) -> None:
    sp, browser = setup
    form, root = _our_response(sp, browser)
    name_id = root.find(f".//{{{SAML}}}NameID")
    assert name_id is not None
    original = name_id.text or ""
    name_id.text = original[:5]
    name_id.append(etree.Comment("x"))
    name_id[-1].tail = original[5:]
    auth = sp.acs(_with(form, root))
    assert auth.get_errors() == [] or auth.get_nameid() != original[:5]
    if not auth.get_errors():
        assert auth.get_nameid() == original
