"""Levels of assurance through the whole flow (python3-saml as the SP): RequestedAuthnContext
minimum/exact/maximum/better with STORK-QAA and eIDAS URIs, the SP's own minimum, the step-up
page, ForceAuthn, IsPassive; the assertion never names a level that was not performed."""

from __future__ import annotations

import base64
import calendar
import re
import time
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
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
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
LEVEL_ATTRIBUTE = "urn:oid:1.2.40.0.10.2.1.1.261.94"
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
QAA = {n: f"STORK-QAA-Level-{n}" for n in (1, 2, 3, 4)}
EIDAS_LOW = "http://eidas.europa.eu/LoA/low"
EIDAS_HIGH = "http://eidas.europa.eu/LoA/high"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def sp_asking(
    app: Flask, browser: Browser, refs: list[str], comparison: str = "minimum", **settings: Any
) -> OneLoginSp:
    sp = OneLoginSp(hub_metadata(browser), authn_context=refs, comparison=comparison)
    register_sp(app, sp.metadata(), release=("email",), **settings)
    return sp


def start(sp: OneLoginSp, browser: Browser, **login: Any) -> TestResponse:
    return follow(browser, browser.get(path_of(sp.login_url(**login))))


def root_of(form: PostedForm) -> etree._Element:
    return etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))


def statuses(form: PostedForm) -> list[str]:
    codes = root_of(form).iter(f"{{{SAMLP}}}StatusCode")
    return [(c.get("Value") or "").removeprefix(STATUS) for c in codes]


def asserted_level(sp: OneLoginSp, form: PostedForm) -> str:
    """The AuthnContextClassRef, after python3-saml accepted the response; the level attribute
    must say the same."""
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    refs = root_of(form).findall(f".//{{{SAML}}}AuthnContextClassRef")
    assert len(refs) == 1
    assert auth.get_attributes()[LEVEL_ATTRIBUTE] == [refs[0].text]
    return str(refs[0].text)


def is_step_up_page(page: TestResponse) -> bool:
    return page.status_code == 403 and "noch nicht verfügbar" in page.text


# --- what is asserted ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "refs", "expected"),
    [
        ("minimum", [QAA[1]], QAA[1]),
        ("minimum", [EIDAS_LOW], EIDAS_LOW),  # answered in the family asked in
        ("minimum", [QAA[3], QAA[1]], QAA[1]),  # at least one of them: the performed one
        ("exact", [QAA[1], QAA[4]], QAA[1]),
        ("maximum", [QAA[4]], QAA[1]),  # up to QAA 4 allowed, QAA 1 performed
        ("maximum", [EIDAS_HIGH], EIDAS_LOW),
        (
            "exact",
            ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"],
            QAA[1],  # a class we do not know asks for nothing beyond the SP's minimum
        ),
    ],
)
def test_the_performed_level_is_asserted(
    app: Flask, browser: Browser, comparison: str, refs: list[str], expected: str
) -> None:
    sp = sp_asking(app, browser, refs, comparison)
    assert asserted_level(sp, posted_form(start(sp, browser))) == expected


# --- step-up: the session is below what is needed ------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "refs", "needed"),
    [
        ("minimum", [QAA[3]], "substanziell"),
        ("minimum", [QAA[2]], "substanziell"),  # the lowest of our levels above QAA 2
        ("minimum", [EIDAS_HIGH], "hoch"),
        ("exact", [QAA[4]], "hoch"),
        ("better", [QAA[1]], "substanziell"),
    ],
)
def test_a_level_above_the_session_gets_the_step_up_page(
    app: Flask, browser: Browser, comparison: str, refs: list[str], needed: str
) -> None:
    sp = sp_asking(app, browser, refs, comparison)
    page = start(sp, browser)
    assert is_step_up_page(page), (page.status_code, page.text[:300])
    assert f"„{needed}“" in page.text and "„niedrig“" in page.text
    assert not FORM_RE.search(page.text)  # nothing goes to the SP from here


def test_cancelling_the_step_up_answers_no_authn_context_once(app: Flask, browser: Browser) -> None:
    sp = sp_asking(app, browser, [QAA[4]])
    page = start(sp, browser)
    assert is_step_up_page(page)
    found = re.search(r'href="(/saml/sso/abbrechen/[^"]+)"', page.text)
    assert found, page.text
    cancel = found.group(1)
    form = posted_form(browser.get(cancel))
    assert form.action == "https://sp.example.org/acs"
    assert statuses(form) == ["Responder", "NoAuthnContext"]
    assert sp.acs(form).get_errors() != []
    assert browser.get(cancel).status_code == 400  # consumed


def test_the_sp_minimum_cannot_be_lowered_by_the_request(app: Flask, browser: Browser) -> None:
    sp = sp_asking(app, browser, [QAA[1]], min_level="substantial")
    page = start(sp, browser)
    assert is_step_up_page(page)
    assert "„substanziell“" in page.text


def test_the_sp_minimum_applies_without_a_requested_context(app: Flask, browser: Browser) -> None:
    sp = OneLoginSp(hub_metadata(browser))
    sp.settings_data["security"]["requestedAuthnContext"] = False
    register_sp(app, sp.metadata(), release=("email",), min_level="high")
    assert is_step_up_page(start(sp, browser))


# --- no level of ours fits: NoAuthnContext at once -----------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "refs", "minimum"),
    [
        ("exact", [QAA[2]], "low"),  # no level of ours is QAA 2
        ("maximum", [QAA[1]], "substantial"),  # at most QAA 1, but the SP needs more
        ("exact", [QAA[1]], "high"),
        ("better", [QAA[4]], "low"),
    ],
)
def test_an_unsatisfiable_request_gets_no_authn_context(
    app: Flask, browser: Browser, comparison: str, refs: list[str], minimum: str
) -> None:
    sp = sp_asking(app, browser, refs, comparison, min_level=minimum)
    form = posted_form(start(sp, browser))
    assert statuses(form) == ["Responder", "NoAuthnContext"]
    assert root_of(form).find(f"{{{SAML}}}Assertion") is None
    assert sp.acs(form).get_errors() != []


# --- ForceAuthn and IsPassive --------------------------------------------------------------


def test_force_authn_asks_for_the_password_again(
    app: Flask, erika: Citizen, browser: Browser, clock: FrozenClock
) -> None:
    sp = sp_asking(app, browser, [QAA[1]])
    clock.advance(120)
    started = clock.now()
    continue_path = path_of(
        browser.get(path_of(sp.login_url(force_authn=True))).headers["Location"]
    )
    to_login = browser.get(continue_path)
    assert to_login.status_code == 303 and "erneut=1" in to_login.headers["Location"]
    login_path = path_of(to_login.headers["Location"])
    assert 'name="password"' in browser.get(login_path).text  # although logged in
    assert browser.get(continue_path).status_code == 303  # no answer without the password
    clock.advance(20)  # the citizen types the password
    done = browser.submit(login_path, email=erika.email, password=erika.password)
    form = posted_form(follow(browser, done))
    statement = root_of(form).find(f".//{{{SAML}}}AuthnStatement")
    assert statement is not None
    instant = calendar.timegm(time.strptime(statement.get("AuthnInstant") or "", TIME_FORMAT))
    assert instant >= started
    assert asserted_level(sp, form) == QAA[1]


def test_without_force_authn_the_session_is_used(
    app: Flask, browser: Browser, clock: FrozenClock
) -> None:
    logged_in_at = clock.now()
    sp = sp_asking(app, browser, [QAA[1]])
    clock.advance(120)
    form = posted_form(start(sp, browser))
    statement = root_of(form).find(f".//{{{SAML}}}AuthnStatement")
    assert statement is not None
    instant = calendar.timegm(time.strptime(statement.get("AuthnInstant") or "", TIME_FORMAT))
    assert instant == int(logged_in_at)


def test_is_passive_without_a_session_answers_no_passive(app: Flask, portal: Portal) -> None:
    browser = portal.new_browser()
    sp = sp_asking(app, browser, [QAA[1]])
    form = posted_form(start(sp, browser, is_passive=True))
    assert statuses(form) == ["Responder", "NoPassive"]
    assert sp.acs(form).get_errors() != []
    assert not portal.is_logged_in(browser)


def test_is_passive_with_a_session_answers_silently(app: Flask, browser: Browser) -> None:
    sp = sp_asking(app, browser, [QAA[1]])
    assert asserted_level(sp, posted_form(start(sp, browser, is_passive=True))) == QAA[1]


def test_is_passive_below_the_level_answers_no_passive(app: Flask, browser: Browser) -> None:
    sp = sp_asking(app, browser, [QAA[3]])
    form = posted_form(start(sp, browser, is_passive=True))
    assert statuses(form) == ["Responder", "NoPassive"]


def test_is_passive_with_force_authn_answers_no_passive(app: Flask, browser: Browser) -> None:
    sp = sp_asking(app, browser, [QAA[1]])
    form = posted_form(start(sp, browser, is_passive=True, force_authn=True))
    assert statuses(form) == ["Responder", "NoPassive"]
