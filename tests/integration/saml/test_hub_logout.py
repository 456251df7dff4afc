"""A logout that starts at the hub tells the session's SAML SPs over the front channel: the
"Abmelden" button and OpenID Connect RP-initiated logout (Authlib as the RP) with python3-saml
(HTTP-Redirect) and pysaml2 (stock ``xmlsec1`` backend, HTTP-POST only) in the session. Each SP
gets a signed LogoutRequest with exactly the NameID and SessionIndex it received, at its
registered SLO endpoint, and answers; then the browser lands where that logout lands. An SP's
error answer makes the logout partial; forged, unsolicited and replayed LogoutResponses are
refused; a session without SAML SPs logs out exactly as before."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from werkzeug.test import TestResponse

from tests.helpers import Browser, Portal, csrf_token
from tests.integration.oidc import flow
from tests.integration.oidc.support import redirect_params
from tests.integration.oidc.support import register as register_rp
from tests.integration.saml.test_slo import (
    SAML,
    SAMLP,
    SUCCESS,
    Refusals,
    deliver,
    hub_says,
    message_of,
    onelogin_logged_in,
    pysaml2_logged_in,
    refusals,  # noqa: F401 (fixture)
)
from tests.saml_pysaml2 import PySaml2Sp, Sent, path_and_query
from tests.saml_support import (
    OneLoginSp,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
DS = "http://www.w3.org/2000/09/xmldsig#"
BYE = "https://rp.example/bye"
LOGGED_OUT = "Sie sind abgemeldet."
PARTIAL = "Nicht jeder Dienst hat die Abmeldung bestätigt."


@dataclass
class Session:
    """A hub session with python3-saml (Redirect SLO) and pysaml2 (POST SLO only) logged in."""

    onelogin: OneLoginSp
    pysaml2: PySaml2Sp
    told: list[str] = field(default_factory=list)


@pytest.fixture
def both(app: Flask, browser: Browser, tmp_path: Path) -> Session:
    onelogin = onelogin_logged_in(app, browser)
    pysaml2 = pysaml2_logged_in(app, browser, tmp_path, slo_bindings=(BINDING_HTTP_POST,))
    assert pysaml2.stock_backend
    return Session(onelogin, pysaml2)


def hub_logout(browser: Browser) -> TestResponse:
    """The "Abmelden" button; the hub answers with the way on."""
    answer = browser.logout()
    assert answer.status_code == 303
    return answer


def _onelogin_answers(session: Session, browser: Browser, step: Sent) -> TestResponse:
    sp = session.onelogin
    assert step.binding == BINDING_HTTP_REDIRECT  # the only SLO binding it registered
    params = dict(parse_qsl(urlsplit(step.url).query))
    assert params["SigAlg"].endswith("rsa-sha256") and params["Signature"]
    request = message_of(step, "SAMLRequest")
    assert request.findtext(f"{{{SAML}}}NameID") == sp.logged_in.get_nameid()
    assert request.findtext(f"{{{SAMLP}}}SessionIndex") == sp.logged_in.get_session_index()
    assert request.get("Destination") == "https://sp.example.org/sls"
    auth, back = sp.sls(step.url)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    session.told.append("python3-saml")
    return browser.get(path_of(back or ""))


def _pysaml2_answers(
    session: Session, browser: Browser, step: Sent, knows_the_user: bool = True
) -> TestResponse:
    sp = session.pysaml2
    assert step.binding == BINDING_HTTP_POST  # the only SLO binding it registered
    request = message_of(step, "SAMLRequest")
    assert request.find(f"{{{DS}}}Signature") is not None
    assert request.findtext(f"{{{SAML}}}NameID") == sp.name_id.text
    assert request.get("Destination") == sp.slo_url
    session.told.append("pysaml2")
    return deliver(browser, sp.answer_logout_request(step, knows_the_user))


Answer = Callable[[Session, Browser, Sent], TestResponse]


def walk(
    session: Session, browser: Browser, answer: TestResponse, pysaml2: Answer = _pysaml2_answers
) -> TestResponse:
    """Follow the chain like a browser, each SP library answering, until the hub sends the
    browser somewhere that is not an SP's SLO endpoint (the landing)."""
    answer = browser.get(path_of(answer.headers["Location"]))  # /saml/slo/abmelden/<handle>
    for _ in range(4):
        if answer.status_code == 303 and not answer.headers["Location"].startswith(
            ("https://sp.example.org/sls", session.pysaml2.slo_url)
        ):
            return answer
        step = hub_says(answer)
        if step.url.startswith("https://sp.example.org/sls"):
            answer = _onelogin_answers(session, browser, step)
        else:
            answer = pysaml2(session, browser, step)
    raise AssertionError("the chain does not end")


def landed_at_home(browser: Browser, answer: TestResponse) -> str:
    assert answer.status_code == 303 and answer.headers["Location"] == "/abgemeldet"
    home = browser.get("/abgemeldet")
    assert home.status_code == 303 and home.headers["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200
    return page.text


# --- the "Abmelden" button -------------------------------------------------------------------


def test_hub_logout_tells_both_sps_and_lands_logged_out(
    portal: Portal, browser: Browser, both: Session
) -> None:
    start = hub_logout(browser)
    assert start.headers["Location"].startswith("/saml/slo/abmelden/")
    assert not portal.is_logged_in(browser)  # the hub's session ended at once
    page = landed_at_home(browser, walk(both, browser, start))
    assert sorted(both.told) == ["pysaml2", "python3-saml"]
    assert LOGGED_OUT in page and PARTIAL not in page
    assert not portal.is_logged_in(browser)


def test_an_sp_answering_with_an_error_makes_it_partial(
    portal: Portal, browser: Browser, both: Session
) -> None:
    def refuses(session: Session, browser: Browser, step: Sent) -> TestResponse:
        return _pysaml2_answers(session, browser, step, knows_the_user=False)

    page = landed_at_home(browser, walk(both, browser, hub_logout(browser), refuses))
    assert sorted(both.told) == ["pysaml2", "python3-saml"]
    assert PARTIAL in page and LOGGED_OUT in page
    assert 'class="notice notice-error"' in page


def test_an_sp_without_slo_endpoint_makes_it_partial(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    silent = OneLoginSp(hub_metadata(browser), entity_id="https://silent.example.org/metadata")
    del silent.settings_data["sp"]["singleLogoutService"]
    register_sp(app, silent.metadata(), release=("email",))
    assert silent.acs(posted_form(follow(browser, browser.get(path_of(silent.login_url())))))
    start = hub_logout(browser)
    landing = browser.get(start.headers["Location"])  # nobody to walk to
    page = landed_at_home(browser, landing)
    assert PARTIAL in page and LOGGED_OUT in page


def onward_of(answer: TestResponse) -> str:
    """The hub's own page that leaves the hub (a redirect off it would be held to a stricter
    form-action of the form's page in Chromium): Refresh at once, and a link to the same URL."""
    assert answer.status_code == 200 and "Location" not in answer.headers, answer.status_code
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    refresh = answer.headers["Refresh"]
    assert refresh.startswith("0; url=")
    url = refresh.removeprefix("0; url=")
    assert f'href="{html.escape(url)}"' in answer.text
    return url


def test_the_chain_leaves_the_hub_by_a_page_not_by_a_redirect(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    """python3-saml alone (HTTP-Redirect): its LogoutRequest is reached from a hub page."""
    sp = onelogin_logged_in(app, browser)
    start = hub_logout(browser)
    url = onward_of(browser.get(path_of(start.headers["Location"])))
    assert url.startswith("https://sp.example.org/sls?SAMLRequest=")
    auth, back = sp.sls(url)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    page = landed_at_home(browser, browser.get(path_of(back or "")))
    assert LOGGED_OUT in page and PARTIAL not in page


def test_a_landing_off_the_hub_is_reached_by_a_page_too(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    """Nobody to walk to (an SP without SLO endpoint): straight to the RP's
    post_logout_redirect_uri, by the hub's page; a landing on the hub stays a redirect."""
    silent = OneLoginSp(hub_metadata(browser), entity_id="https://silent.example.org/metadata")
    del silent.settings_data["sp"]["singleLogoutService"]
    register_sp(app, silent.metadata(), release=("email",))
    assert silent.acs(posted_form(follow(browser, browser.get(path_of(silent.login_url())))))
    token = _oidc_login(app, browser)
    query = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": BYE, "state": "s-2"}
    start = browser.get("/oidc/logout?" + urlencode(query))
    assert onward_of(browser.get(path_of(start.headers["Location"]))) == BYE + "?state=s-2"
    assert not portal.is_logged_in(browser)


def _pysaml2_answering_by_redirect(app: Flask, browser: Browser, tmp_path: Path) -> PySaml2Sp:
    """pysaml2 (SLO by HTTP-POST only) that knows only the hub's HTTP-Redirect SLO endpoint, so
    it answers the hub's POSTed LogoutRequest by a redirect (Profiles §4.4.3.4 lets it)."""
    metadata = re.sub(r"<md:SingleLogoutService [^>]*HTTP-POST[^>]*/>", "", hub_metadata(browser))
    sp = PySaml2Sp(metadata, tmp_path / "redirect-answer", slo_bindings=(BINDING_HTTP_POST,))
    register_sp(app, sp.metadata(), release=("email",), name_id_formats=("transient",))
    first = browser.get(path_and_query(sp.login(BINDING_HTTP_REDIRECT).url))
    assert sp.acs(posted_form(follow(browser, first))) is not None
    return sp


def test_a_redirect_answer_to_our_post_form_leaves_the_hub_by_a_page(
    app: Flask, portal: Portal, browser: Browser, tmp_path: Path
) -> None:
    """The hub's POST page admits the SP and the hub; the SP's redirect answer and the hub's
    next step off the hub belong to that form's submission: python3-saml is reached by a page.
    Its own redirect answer then is an ordinary navigation again: on by a redirect."""
    onelogin = onelogin_logged_in(app, browser)
    pysaml2 = _pysaml2_answering_by_redirect(app, browser, tmp_path)
    token = _oidc_login(app, browser)
    query = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": BYE, "state": "s-3"}
    start = browser.get("/oidc/logout?" + urlencode(query))
    page = browser.get(path_of(start.headers["Location"]))
    step = hub_says(page)  # pysaml2 first, by the hub's POST form
    csp = page.headers["Content-Security-Policy"]
    assert (
        step.binding == BINDING_HTTP_POST
        and "form-action https://pysaml2.example.org 'self';" in csp
    )
    answer = pysaml2.answer_logout_request(step)
    assert answer.binding == BINDING_HTTP_REDIRECT
    url = onward_of(deliver(browser, answer))
    assert url.startswith("https://sp.example.org/sls?SAMLRequest=")
    auth, back = onelogin.sls(url)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert redirect_params(browser.get(path_of(back or ""))) == (BYE, {"state": "s-3"})
    assert not portal.is_logged_in(browser)


def test_the_sso_post_page_admits_only_the_acs(app: Flask, browser: Browser) -> None:
    """Only a logout's POST page admits the hub too; a Response goes to the ACS alone."""
    sp = OneLoginSp(hub_metadata(browser))
    register_sp(app, sp.metadata(), release=("email",))
    page = follow(browser, browser.get(path_of(sp.login_url())))
    assert posted_form(page).action == "https://sp.example.org/acs"
    assert "form-action https://sp.example.org; " in page.headers["Content-Security-Policy"]


def test_without_saml_sps_the_logout_is_as_before(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    """No SAML SP in the session (an OIDC client is): straight home, as it always was."""
    rp = register_rp(app)
    flow.authorize(flow.oauth_client(app, rp), browser)
    answer = browser.logout()
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert LOGGED_OUT in browser.get("/").text
    assert not portal.is_logged_in(browser)


def test_the_landing_page_says_nothing_to_who_is_logged_in(browser: Browser) -> None:
    assert browser.get("/abgemeldet").headers["Location"] == "/"
    assert LOGGED_OUT not in browser.get("/").text


# --- OpenID Connect RP-initiated logout --------------------------------------------------------


def _oidc_login(app: Flask, browser: Browser) -> dict[str, Any]:
    rp = register_rp(app)
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, browser)
    token: dict[str, Any] = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    return token


def test_oidc_logout_goes_round_the_saml_sps_to_the_post_logout_redirect_uri(
    app: Flask, portal: Portal, browser: Browser, both: Session
) -> None:
    token = _oidc_login(app, browser)
    query = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": BYE, "state": "s-1"}
    start = browser.get("/oidc/logout?" + urlencode(query))
    assert start.status_code == 303
    assert start.headers["Location"].startswith("/saml/slo/abmelden/")
    landing = walk(both, browser, start)
    assert sorted(both.told) == ["pysaml2", "python3-saml"]
    assert redirect_params(landing) == (BYE, {"state": "s-1"})
    assert not portal.is_logged_in(browser)


def test_oidc_logout_after_confirmation_without_redirect_uri(
    app: Flask, portal: Portal, browser: Browser, both: Session
) -> None:
    _oidc_login(app, browser)
    page = browser.get("/oidc/logout")
    assert "Möchten Sie sich jetzt abmelden?" in page.text
    start = browser.post("/oidc/abmelden", {"csrf_token": csrf_token(page.text)})
    landing = walk(both, browser, start)
    assert landing.headers["Location"] == "/oidc/abgemeldet"
    assert "Sie sind vom Bürgerportal abgemeldet." in browser.get("/oidc/abgemeldet").text
    assert sorted(both.told) == ["pysaml2", "python3-saml"]


def test_oidc_logout_without_saml_sps_is_as_before(
    app: Flask, portal: Portal, browser: Browser
) -> None:
    token = _oidc_login(app, browser)
    query = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": BYE, "state": "x"}
    answer = browser.get("/oidc/logout?" + urlencode(query))
    assert redirect_params(answer) == (BYE, {"state": "x"})
    assert not portal.is_logged_in(browser)


# --- refused: the chain goes nowhere else -------------------------------------------------------


@pytest.fixture
def refused(refusals: Refusals) -> Callable[[TestResponse, str], None]:  # noqa: F811
    """Check: the error page, no redirect, and the reason the hub logged."""

    def check(answer: TestResponse, reason: str) -> None:
        assert answer.status_code == 400, (answer.status_code, answer.text[:300])
        assert "Location" not in answer.headers and "X-Error-Id" in answer.headers
        assert refusals()[-1:] == [reason]

    return check


Refused = Callable[[TestResponse, str], None]


def _first_step(browser: Browser, session: Session) -> Sent:
    """Log out at the hub, take the first step: pysaml2's (a session lists its relying parties
    by id, and ``saml:https://pysaml2…`` comes first)."""
    step = hub_says(browser.get(path_of(hub_logout(browser).headers["Location"])))
    assert step.url.startswith(session.pysaml2.slo_url)
    return step


def test_the_way_on_belongs_to_the_browser_that_logged_out(
    portal: Portal, browser: Browser, both: Session, refused: Refused
) -> None:
    start = hub_logout(browser).headers["Location"]
    refused(portal.new_browser("203.0.113.7").get(start), "no-pending-logout")  # elsewhere
    refused(browser.get(start + "x"), "no-pending-logout")  # not its handle: now spent
    refused(browser.get(start), "no-pending-logout")


def test_forged_logout_responses_are_refused_and_the_real_ones_go_on(
    portal: Portal, browser: Browser, both: Session, refused: Refused
) -> None:
    step = _first_step(browser, both)
    sent = both.pysaml2.answer_logout_request(step)
    xml = base64.b64decode(sent.fields["SAMLResponse"]).replace(SUCCESS.encode(), b"x:Bad")
    forged = dict(sent.fields, SAMLResponse=base64.b64encode(xml).decode())
    refused(deliver(browser, Sent(sent.binding, sent.url, forged)), "bad-signature")
    next_step = hub_says(deliver(browser, sent))  # the genuine answer still counts
    assert next_step.url.startswith("https://sp.example.org/sls")
    _, back = both.onelogin.sls(next_step.url)
    params = dict(parse_qsl(urlsplit(back or "").query))
    signature = bytearray(base64.b64decode(params["Signature"]))
    signature[5] ^= 0x01
    params["Signature"] = base64.b64encode(bytes(signature)).decode()
    refused(browser.get("/saml/slo?" + urlencode(params)), "bad-signature")
    landing = browser.get(path_of(back or ""))
    assert LOGGED_OUT in landed_at_home(browser, landing)
    assert not portal.is_logged_in(browser)


def test_unsolicited_misdirected_and_replayed_logout_responses_are_refused(
    portal: Portal, browser: Browser, both: Session, refused: Refused
) -> None:
    step = _first_step(browser, both)
    request_id = message_of(step, "SAMLRequest").get("ID") or ""
    unsolicited = both.onelogin.logout_response_url("_never-sent")
    refused(browser.get(path_of(unsolicited)), "unexpected-logout-response")
    # python3-saml answers the request the hub sent to pysaml2: not the SP it waits for
    misdirected = both.onelogin.logout_response_url(request_id)
    refused(browser.get(path_of(misdirected)), "unexpected-logout-response")
    answer = both.pysaml2.answer_logout_request(step)
    assert hub_says(deliver(browser, answer)).url.startswith("https://sp.example.org/sls")
    refused(deliver(browser, answer), "replayed")
    assert not portal.is_logged_in(browser)


def test_an_error_status_from_python3_saml_makes_it_partial(
    portal: Portal, browser: Browser, both: Session
) -> None:
    step = _first_step(browser, both)
    next_step = hub_says(deliver(browser, both.pysaml2.answer_logout_request(step)))
    request_id = message_of(next_step, "SAMLRequest").get("ID") or ""
    answer = both.onelogin.logout_response_url(request_id, C.STATUS_RESPONDER)
    landing = browser.get(path_of(answer))
    page = landed_at_home(browser, landing)
    assert PARTIAL in page and LOGGED_OUT in page
