"""Logout started at the hub and IdP-initiated SSO in a real browser (Debian's chromium), across
two sites: the hub on ``127.0.0.1``, the services on ``localhost`` — so the hub's
``SameSite=Lax`` cookie really stays behind on every cross-site POST.

The services site serves three independent relying parties: a python3-saml SP (SLO by
HTTP-Redirect), a pysaml2 SP (stock ``xmlsec1`` backend, SLO by HTTP-POST only) and an Authlib
OpenID Connect RP. Each keeps a local session of its own behind its own cookie; the SAML SPs end
it only when the hub's LogoutRequest (verified by the SP library) names that local session's
subject (python3-saml: NameID and SessionIndex; pysaml2: NameID), and answer with a signed
LogoutResponse, an error status otherwise — so a cookie that does not travel shows up as a
partial logout.

What it proves: "Abmelden" at the hub (without JavaScript, by the visible buttons) and OpenID
Connect RP-initiated logout (with id_token_hint, and by the hub's confirmation form) walk both
SPs and land on the hub's logged-out page or the RP's
post_logout_redirect_uri, with the hub session and both SP sessions gone; an SP that no longer
knows the citizen makes the hub say so on its own page; a link to ``/saml/unsolicited`` logs the
citizen in at an SP with the RelayState intact. axe-core checks the hub's pages on the way.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import threading
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from playwright.sync_api import Page, Request, Route, expect
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from tests.flows.conftest import AccessibilityAudit, LivePortal, PageFactory, Problems
from tests.integration.oidc.support import Rp
from tests.integration.oidc.support import register as register_rp
from tests.saml_pysaml2 import PySaml2Sp, Sent
from tests.saml_support import OneLoginSp, PostedForm, register_sp

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.browser
EMAIL = "jonas.beispiel@example.org"
PASSWORD = "Im Stadtpark blühen die Linden"
LOGGED_OUT = "Sie sind abgemeldet."
PARTIAL = "Nicht jeder Dienst hat die Abmeldung bestätigt."
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
#: A RelayState with characters that must survive both bindings (≤ 80 bytes, Bindings §3.5.3).
TARGET = "/onelogin/antrag?nr=7&art=Sperrmüll"

Handler = Callable[[WsgiRequest], WsgiResponse]


@dataclass
class Local:
    """One relying party's own sessions: cookie name and the data behind each cookie value."""

    cookie: str
    samesite: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, request: WsgiRequest) -> dict[str, Any] | None:
        return self.sessions.get(request.cookies.get(self.cookie, ""))

    def open(self, response: WsgiResponse, data: dict[str, Any]) -> None:
        sid = secrets.token_urlsafe(16)
        self.sessions[sid] = data
        response.set_cookie(
            self.cookie, sid, httponly=True, secure=True, samesite=self.samesite, path="/"
        )

    def close(self, request: WsgiRequest) -> None:
        self.sessions.pop(request.cookies.get(self.cookie, ""), None)


def page_of(title: str, body: str) -> WsgiResponse:
    page = f'<!doctype html><html lang="de"><title>{title}</title><main>{body}</main></html>'
    return WsgiResponse(page, mimetype="text/html")


def form_page(sent: Sent, button: str) -> WsgiResponse:
    """The SP's HTTP-POST binding page: a form with a visible button (no script)."""
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in sent.fields.items()
    )
    action = html.escape(sent.url)
    return page_of(
        "Weiter", f'<form method="post" action="{action}">{inputs}<button>{button}</button></form>'
    )


def message_of(sent: Sent) -> bytes:
    """The XML of an HTTP-Redirect message (SAML Bindings §3.4.4.1: DEFLATE, base64)."""
    value = dict(parse_qsl(urlsplit(sent.url).query))["SAMLResponse"]
    return zlib.decompress(base64.b64decode(value), -15)


def redirect_to(url: str) -> WsgiResponse:
    return WsgiResponse("", status=303, headers={"Location": url})


def status_of(xml: bytes | str) -> str:
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    code = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    return "" if code is None else code.get("Value") or ""


@dataclass
class Services:
    """The services site on http://localhost:<port>: /onelogin, /pysaml2; and /rp, served on
    a second port (another origin than the SPs', so no SP's origin admits its URLs)."""

    base_url: str
    hub_url: str
    rp_url: str = ""
    onelogin: OneLoginSp | None = None
    pysaml2: PySaml2Sp | None = None
    rp: Rp | None = None
    onelogin_local: Local = field(default_factory=lambda: Local("onelogin_sid", "Lax"))
    #: the POST binding brings the hub's LogoutRequest cross-site: only None+Secure travels
    pysaml2_local: Local = field(default_factory=lambda: Local("pysaml2_sid", "None"))
    rp_local: Local = field(default_factory=lambda: Local("rp_sid", "Lax"))
    idp_metadata: str = ""
    rp_pending: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = WsgiRequest(environ)
        self.seen.append(f"{request.method} {request.path}")
        routes: dict[tuple[str, str], Handler] = {
            ("GET", "/"): self._links,
            ("GET", "/onelogin/"): self._onelogin_home,
            ("GET", "/onelogin/login"): self._onelogin_login,
            ("POST", "/onelogin/acs"): self._onelogin_acs,
            ("GET", "/onelogin/sls"): self._onelogin_sls,
            ("GET", "/pysaml2/"): self._pysaml2_home,
            ("GET", "/pysaml2/login"): self._pysaml2_login,
            ("POST", "/pysaml2/acs"): self._pysaml2_acs,
            ("POST", "/pysaml2/slo"): self._pysaml2_slo,
            ("GET", "/rp/login"): self._rp_login,
            ("GET", "/rp/callback"): self._rp_callback,
            ("GET", "/rp/logout"): self._rp_logout,
            ("GET", "/rp/bye"): self._rp_bye,
        }
        handler = routes.get((request.method, request.path))
        response = handler(request) if handler else WsgiResponse("not found", status=404)
        return response(environ, start_response)

    # --- a page that links to the hub's IdP-initiated SSO -----------------------------------

    def _links(self, request: WsgiRequest) -> WsgiResponse:
        assert self.onelogin is not None
        query = urlencode({"providerId": self.onelogin.entity_id, "target": TARGET})
        link = html.escape(f"{self.hub_url}/saml/unsolicited?{query}")
        return page_of("Dienste", f'<h1>Dienste</h1><p><a href="{link}">Sperrmüll anmelden</a></p>')

    # --- python3-saml, SLO by HTTP-Redirect ----------------------------------------------

    def _onelogin_home(self, request: WsgiRequest) -> WsgiResponse:
        local = self.onelogin_local.of(request)
        said = f"Angemeldet als {local['mail']}" if local else "Nicht angemeldet"
        return page_of("python3-saml", f"<h1>{html.escape(said)}</h1>")

    def _onelogin_login(self, request: WsgiRequest) -> WsgiResponse:
        assert self.onelogin is not None
        response = redirect_to(self.onelogin.login_url(relay_state="/onelogin/"))
        response.set_cookie(
            "onelogin_request",
            self.onelogin.last_request_id or "",
            httponly=True,
            secure=True,
            samesite="None",
            path="/onelogin",
        )
        return response

    def _onelogin_acs(self, request: WsgiRequest) -> WsgiResponse:
        """Solicited when the request-state cookie came back (InResponseTo checked), else an
        unsolicited Response (python3-saml then insists on no InResponseTo of its own)."""
        sp = self.onelogin
        assert sp is not None
        sp.last_request_id = request.cookies.get("onelogin_request") or None
        auth = sp.acs(PostedForm(request.url, request.form.to_dict()))
        if auth.get_errors():
            reason = html.escape(str(auth.get_last_error_reason()))
            return page_of("Fehler", f"<h1>Abgelehnt</h1><p>{reason}</p>")
        root = etree.fromstring(auth.get_last_response_xml().encode())
        mail = auth.get_attribute(MAIL)[0]
        relay = request.form.get("RelayState", "")
        response = page_of(
            "Angemeldet",
            f"<h1>Angemeldet</h1><p id='mail'>{html.escape(mail)}</p>"
            f"<p id='answered'>{html.escape(root.get('InResponseTo') or '-')}</p>"
            f"<p id='relay'>{html.escape(relay)}</p>",
        )
        data = {
            "nameid": auth.get_nameid(),
            "session_index": auth.get_session_index(),
            "mail": mail,
        }
        self.onelogin_local.open(response, data)
        response.delete_cookie("onelogin_request", path="/onelogin")
        return response

    def _onelogin_sls(self, request: WsgiRequest) -> WsgiResponse:
        """python3-saml verifies the hub's LogoutRequest; the local session it names ends."""
        sp = self.onelogin
        assert sp is not None
        auth, success = sp.sls(request.url)
        if auth.get_errors() or not success:
            reason = html.escape(str(auth.get_last_error_reason()))
            return page_of("Fehler", f"<h1>Abgelehnt</h1><p>{reason}</p>")
        xml = auth.get_last_request_xml()
        local = self.onelogin_local.of(request)
        named = (
            OneLogin_Saml2_Logout_Request.get_nameid(xml),
            OneLogin_Saml2_Logout_Request.get_session_indexes(xml),
        )
        if local is None or named != (local["nameid"], [local["session_index"]]):
            request_id = OneLogin_Saml2_Logout_Request.get_id(xml)
            return redirect_to(sp.logout_response_url(request_id, C.STATUS_RESPONDER))
        self.onelogin_local.close(request)
        return redirect_to(success)

    # --- pysaml2, SLO by HTTP-POST -------------------------------------------------------

    def _pysaml2_home(self, request: WsgiRequest) -> WsgiResponse:
        local = self.pysaml2_local.of(request)
        said = f"Angemeldet als {local['mail']}" if local else "Nicht angemeldet"
        return page_of("pysaml2", f"<h1>{html.escape(said)}</h1>")

    def _pysaml2_login(self, request: WsgiRequest) -> WsgiResponse:
        assert self.pysaml2 is not None
        sent = self.pysaml2.login(BINDING_HTTP_REDIRECT, relay_state="/pysaml2/")
        request_id = next(iter(self.pysaml2.outstanding))
        self.pysaml2.outstanding.clear()  # only the cookie remembers the request
        response = redirect_to(sent.url)
        response.set_cookie(
            "pysaml2_request", request_id, httponly=True, secure=True, samesite="None", path="/"
        )
        return response

    def _pysaml2_acs(self, request: WsgiRequest) -> WsgiResponse:
        sp = self.pysaml2
        assert sp is not None
        request_id = request.cookies.get("pysaml2_request", "")
        sp.outstanding = {request_id: "/pysaml2/"} if request_id else {}
        try:
            answer = sp.acs(PostedForm(request.url, request.form.to_dict()))
        except Exception as exc:  # pysaml2 refuses by raising
            return page_of("Fehler", f"<h1>Abgelehnt</h1><p>{html.escape(repr(exc))}</p>")
        mail = answer.get_identity()["mail"][0]
        response = page_of("Angemeldet", f"<h1>Angemeldet</h1><p id='mail'>{html.escape(mail)}</p>")
        self.pysaml2_local.open(response, {"name_id": answer.name_id, "mail": mail})
        response.delete_cookie("pysaml2_request", path="/")
        return response

    def _pysaml2_slo(self, request: WsgiRequest) -> WsgiResponse:
        """pysaml2 verifies the hub's LogoutRequest and answers Success only for the NameID of
        the local session this browser's cookie points to (UnknownPrincipal otherwise)."""
        sp = self.pysaml2
        assert sp is not None
        local = self.pysaml2_local.of(request)
        sp.name_id = local["name_id"] if local else None
        sent = Sent(BINDING_HTTP_POST, request.url, request.form.to_dict())
        try:
            answer = sp.answer_logout_request(sent, knows_the_user=local is not None)
        except Exception as exc:  # pysaml2 refuses by raising
            return page_of("Fehler", f"<h1>Abgelehnt</h1><p>{html.escape(repr(exc))}</p>")
        if answer.binding == BINDING_HTTP_REDIRECT:  # it knows only the hub's Redirect SLO
            said = message_of(answer)
            if status_of(said) == C.STATUS_SUCCESS:
                self.pysaml2_local.close(request)
            return redirect_to(answer.url)
        if status_of(base64.b64decode(answer.fields["SAMLResponse"])) == C.STATUS_SUCCESS:
            self.pysaml2_local.close(request)
        return form_page(answer, "Weiter zum Bürgerportal")

    # --- an OpenID Connect RP (Authlib) ----------------------------------------------------

    def _rp_client(self) -> OAuth2Client:
        assert self.rp is not None
        return OAuth2Client(
            client_id=self.rp.client_id,
            client_secret=self.rp.secret,
            scope="openid email",
            redirect_uri=self.rp.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def _rp_login(self, request: WsgiRequest) -> WsgiResponse:
        verifier = secrets.token_urlsafe(48)
        url, state = self._rp_client().create_authorization_url(
            self.hub_url + "/oidc/authorize",
            code_verifier=verifier,
            nonce=secrets.token_urlsafe(16),
        )
        self.rp_pending[state] = verifier
        return redirect_to(url)

    def _rp_callback(self, request: WsgiRequest) -> WsgiResponse:
        verifier = self.rp_pending.pop(request.args.get("state", ""), None)
        if verifier is None:
            return page_of("Fehler", "<h1>Unbekannter state</h1>")
        with self._rp_client() as client:
            token = client.fetch_token(
                self.hub_url + "/oidc/token",
                authorization_response=request.url,
                code_verifier=verifier,
            )
        response = page_of(
            "Angemeldet",
            '<h1>Angemeldet</h1><p><a href="/rp/logout">Abmelden</a></p>'
            '<p><a href="/rp/logout?hint=no">Abmelden ohne Nachweis</a></p>',
        )
        self.rp_local.open(response, {"id_token": token["id_token"]})
        return response

    def _rp_logout(self, request: WsgiRequest) -> WsgiResponse:
        """RP-Initiated Logout 1.0 §2: end the local session, then ask the hub."""
        local = self.rp_local.of(request)
        if local is None:
            return page_of("Fehler", "<h1>Nicht angemeldet</h1>")
        assert self.rp is not None
        self.rp_local.close(request)
        who = (
            {"client_id": self.rp.client_id}  # the hub then asks the citizen
            if request.args.get("hint") == "no"
            else {"id_token_hint": local["id_token"]}
        )
        query = urlencode(
            who | {"post_logout_redirect_uri": self.rp_url + "/rp/bye", "state": "rp-state-42"}
        )
        return redirect_to(f"{self.hub_url}/oidc/logout?{query}")

    def _rp_bye(self, request: WsgiRequest) -> WsgiResponse:
        state = html.escape(request.args.get("state", ""))
        return page_of("Abgemeldet", f'<h1>Abgemeldet</h1><p id="state">{state}</p>')


@pytest.fixture
def services(live_portal: LivePortal, tmp_path: Path) -> Iterator[Services]:
    site = Services("", live_portal.base_url)
    server = make_server("127.0.0.1", 0, site, threaded=True)
    rp_server = make_server("127.0.0.1", 0, site, threaded=True)
    site.base_url = f"http://localhost:{server.server_port}"  # another site than 127.0.0.1
    site.rp_url = f"http://localhost:{rp_server.server_port}"
    with urllib.request.urlopen(live_portal.url("/saml/metadata")) as answer:  # noqa: S310
        idp_metadata = answer.read().decode()
    site.idp_metadata = idp_metadata
    site.onelogin = OneLoginSp(
        idp_metadata,
        entity_id=site.base_url + "/onelogin/metadata",
        base_url=site.base_url + "/onelogin",
    )
    register_sp(
        live_portal.app, site.onelogin.metadata(), release=("email",), allow_idp_initiated=True
    )
    site.pysaml2 = PySaml2Sp(
        idp_metadata,
        tmp_path / "pysaml2",
        host=site.base_url + "/pysaml2",
        slo_bindings=(BINDING_HTTP_POST,),
    )
    assert site.pysaml2.stock_backend
    register_sp(
        live_portal.app,
        site.pysaml2.metadata(),
        release=("email",),
        name_id_formats=("transient",),
    )
    site.rp = register_rp(
        live_portal.app,
        name="Veranstaltungen",
        redirect_uris=[site.rp_url + "/rp/callback"],
        post_logout_redirect_uris=[site.rp_url + "/rp/bye"],
        scopes=["openid", "email"],
        release=["email"],
        consent="skip",  # a city service: no consent page on the way
    )
    threads = [
        threading.Thread(target=served.serve_forever, name="services", daemon=True)
        for served in (server, rp_server)
    ]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        for served, thread in zip((server, rp_server), threads, strict=True):
            served.shutdown()
            thread.join(timeout=10)
            served.server_close()


# --- steps ----------------------------------------------------------------------------------


def log_in_at_the_hub(page: Page) -> None:
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def log_in_at_both_sps(page: Page, services: Services) -> None:
    """python3-saml first (the hub asks for the password), then pysaml2 (SSO, no login)."""
    page.goto(services.base_url + "/onelogin/login")
    log_in_at_the_hub(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    page.get_by_role("button", name="Weiter").click()  # cross-site POST to the ACS
    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    page.goto(services.base_url + "/pysaml2/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    assert len(services.onelogin_local.sessions) == len(services.pysaml2_local.sessions) == 1


def log_in_at_the_rp(page: Page, services: Services) -> None:
    """Already logged in at the hub, and the RP is a city service (no consent asked)."""
    page.goto(services.rp_url + "/rp/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    assert len(services.rp_local.sessions) == 1


def without_refresh(route: Route) -> None:
    """A browser that does not follow the Refresh header (the citizen uses the link). Playwright
    routes no redirect, so this fetches the form's request with its redirects."""
    response = route.fetch()
    headers = {k: v for k, v in response.headers.items() if k.lower() != "refresh"}
    route.fulfill(response=response, headers=headers)


def walk_the_chain(page: Page, a11y: AccessibilityAudit | None = None) -> None:
    """From the hub's POST page towards pysaml2 on: the citizen presses the visible buttons
    (python3-saml's leg is all redirects)."""
    expect(page.get_by_role("button", name="Weiter", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abmeldung bei den Diensten")
    if a11y is not None:
        a11y.check(page, "SAML logout POST binding page")
    page.get_by_role("button", name="Weiter").click()  # to pysaml2's SLO endpoint
    page.get_by_role("button", name="Weiter zum Bürgerportal").click()  # its answer, cross-site


def logged_out_everywhere(page: Page, live_portal: LivePortal, services: Services) -> None:
    assert services.onelogin_local.sessions == {} and services.pysaml2_local.sessions == {}
    page.goto(services.base_url + "/onelogin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht angemeldet")
    page.goto(services.base_url + "/pysaml2/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht angemeldet")
    page.goto(live_portal.url("/konto/profil"))
    expect(page).to_have_url(re.compile(re.escape(live_portal.url("/anmelden"))))


def cookie_sent(requests: list[Request], url: str, name: str) -> bool:
    sent = [r for r in requests if r.url.split("?")[0] == url]
    assert sent, f"no request to {url}"
    return all(name + "=" in (r.all_headers().get("cookie") or "") for r in sent)


# --- the hub's "Abmelden" --------------------------------------------------------------------


def test_abmelden_walks_both_sps_without_javascript(
    new_page: PageFactory, live_portal: LivePortal, services: Services
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems, java_script_enabled=False)
    log_in_at_both_sps(page, services)
    page.goto(live_portal.url("/konto/profil"))
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url.split("?")[0]))
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))

    page.get_by_role("button", name="Abmelden").click()
    walk_the_chain(page)

    expect(page).to_have_url(live_portal.url("/"))
    notices = page.locator(".notice")
    expect(notices).to_have_count(1)
    expect(notices).to_have_text(LOGGED_OUT)
    assert [url for url in visited if url.startswith(services.base_url)] == [
        services.base_url + "/pysaml2/slo",
    ]  # python3-saml's leg is redirects only, never a page of its own
    slo_hits = [s for s in services.seen if "/sls" in s or "/slo" in s]
    assert slo_hits == ["GET /onelogin/sls", "POST /pysaml2/slo"]
    # the POST binding brings the SP's None+Secure cookie along; the hub's Lax cookies stay
    # behind on pysaml2's answer, and the hub matches it all the same
    assert cookie_sent(requests, services.base_url + "/pysaml2/slo", "pysaml2_sid")
    assert "bp_device" in {c["name"] for c in page.context.cookies(live_portal.base_url)}
    answer = [r for r in requests if r.method == "POST" and r.url == live_portal.url("/saml/slo")]
    assert len(answer) == 1 and not cookie_sent(answer, answer[0].url, "bp_device")
    logged_out_everywhere(page, live_portal, services)
    assert problems.seen == []


def test_an_sp_that_forgot_the_citizen_is_said_on_the_hubs_page(
    new_page: PageFactory,
    live_portal: LivePortal,
    services: Services,
    a11y: AccessibilityAudit,
) -> None:
    """pysaml2 ends its local session on its own (say it expired): its UnknownPrincipal answer
    comes back by a cross-site POST that carries no hub cookie, and still the hub's page says
    the logout was partial. This browser ignores Refresh: the citizen follows the link."""
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems)
    log_in_at_both_sps(page, services)
    services.pysaml2_local.sessions.clear()
    page.goto(live_portal.url("/konto/profil"))
    page.route(live_portal.url("/abmelden"), without_refresh)
    page.get_by_role("button", name="Abmelden").click()
    onward = page.get_by_role("link", name="Weiter", exact=True)
    expect(onward).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abmeldung bei den Diensten")
    a11y.check(page, "the page that leaves the hub for an SP's SLO endpoint")
    onward.click()
    walk_the_chain(page)

    expect(page).to_have_url(live_portal.url("/"))
    expect(page.locator(".notice-error")).to_contain_text(PARTIAL)
    expect(page.locator(".notice-success")).to_have_text(LOGGED_OUT)
    a11y.check(page, "hub home page after a partial logout")
    logged_out_everywhere(page, live_portal, services)
    assert problems.seen == []
    a11y.assert_clean()


# --- OpenID Connect RP-initiated logout -------------------------------------------------------


def test_rp_initiated_logout_walks_both_sps_to_the_post_logout_redirect_uri(
    new_page: PageFactory,
    live_portal: LivePortal,
    services: Services,
    a11y: AccessibilityAudit,
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems)
    log_in_at_both_sps(page, services)
    log_in_at_the_rp(page, services)

    page.get_by_role("link", name="Abmelden", exact=True).click()
    walk_the_chain(page, a11y)

    expect(page).to_have_url(services.rp_url + "/rp/bye?state=rp-state-42")
    expect(page.locator("#state")).to_have_text("rp-state-42")
    assert services.rp_local.sessions == {}
    logged_out_everywhere(page, live_portal, services)
    page.goto(live_portal.url("/"))
    expect(page.locator(".notice")).to_have_count(0)  # nothing partial was kept for later
    a11y.check(page, "hub home page after the logout")
    assert problems.seen == []
    a11y.assert_clean()


def test_rp_logout_without_hint_asks_and_its_form_walks_both_sps(
    new_page: PageFactory,
    live_portal: LivePortal,
    services: Services,
    a11y: AccessibilityAudit,
) -> None:
    """Without id_token_hint the hub asks; its confirmation form starts the chain (the form's
    redirects are held to that page's form-action 'self')."""
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems)
    log_in_at_both_sps(page, services)
    log_in_at_the_rp(page, services)

    page.get_by_role("link", name="Abmelden ohne Nachweis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abmelden")
    a11y.check(page, "OIDC logout confirmation")
    page.get_by_role("main").get_by_role("button", name="Abmelden").click()
    walk_the_chain(page)

    expect(page).to_have_url(services.rp_url + "/rp/bye?state=rp-state-42")
    logged_out_everywhere(page, live_portal, services)
    assert problems.seen == []
    a11y.assert_clean()


def test_an_sp_answering_the_post_by_redirect_is_walked_to_the_rp_too(
    new_page: PageFactory, live_portal: LivePortal, services: Services, tmp_path: Path
) -> None:
    """pysaml2 configured with only the hub's HTTP-Redirect SLO endpoint gets the LogoutRequest
    by the hub's POST form and answers by a redirect to the hub (Profiles §4.4.3.4 lets it):
    that redirect, and the hub's own on to the RP, belong to the hub form's submission."""
    only_redirect = re.sub(
        r"<md:SingleLogoutService Binding=\"[^\"]*HTTP-POST\"[^>]*/>", "", services.idp_metadata
    )
    assert only_redirect != services.idp_metadata
    services.pysaml2 = PySaml2Sp(
        only_redirect,
        tmp_path / "pysaml2-redirect",
        host=services.base_url + "/pysaml2",
        slo_bindings=(BINDING_HTTP_POST,),
    )  # the same entity, keys and registration as before
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems, java_script_enabled=False)
    log_in_at_both_sps(page, services)
    log_in_at_the_rp(page, services)

    page.get_by_role("link", name="Abmelden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abmeldung bei den Diensten")
    page.get_by_role("button", name="Weiter", exact=True).click()  # to pysaml2, back by redirect

    expect(page).to_have_url(services.rp_url + "/rp/bye?state=rp-state-42")
    assert [s for s in services.seen if "/sls" in s or "/slo" in s] == [
        "GET /onelogin/sls",
        "POST /pysaml2/slo",
    ]
    logged_out_everywhere(page, live_portal, services)
    assert problems.seen == []


# --- IdP-initiated SSO -----------------------------------------------------------------------


def test_a_link_to_unsolicited_sso_logs_in_at_the_sp_with_the_relay_state(
    new_page: PageFactory,
    live_portal: LivePortal,
    services: Services,
    a11y: AccessibilityAudit,
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems)
    page.goto(services.base_url + "/")
    page.get_by_role("link", name="Sperrmüll anmelden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    a11y.check(page, "login page on the way of IdP-initiated SSO")
    log_in_at_the_hub(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    a11y.check(page, "SAML POST binding page of IdP-initiated SSO")
    page.get_by_role("button", name="Weiter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    expect(page.locator("#mail")).to_have_text(EMAIL)
    expect(page.locator("#relay")).to_have_text(TARGET)
    expect(page.locator("#answered")).to_have_text("-")  # no InResponseTo: nobody asked
    assert len(services.onelogin_local.sessions) == 1
    assert problems.seen == []
    a11y.assert_clean()


def test_a_link_to_unsolicited_sso_works_without_javascript(
    new_page: PageFactory, live_portal: LivePortal, services: Services
) -> None:
    """Already logged in at the hub: straight to the POST page, one button, at the SP."""
    live_portal.verified_citizen(EMAIL, PASSWORD)
    page = new_page(java_script_enabled=False)
    page.goto(live_portal.url("/anmelden"))
    log_in_at_the_hub(page)
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    page.goto(services.base_url + "/")
    page.get_by_role("link", name="Sperrmüll anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#relay")).to_have_text(TARGET)
    expect(page.locator("#answered")).to_have_text("-")


# --- OpenID Connect login in a real browser ----------------------------------------------------
# Chromium holds every redirect after a form submission to the form page's CSP form-action
# (w3c/webappsec-csp#8): the hub's login, second-factor and consent forms end in a redirect to
# the RP's redirect_uri on another origin, so the hub's pages must not say form-action 'self'.


def test_oidc_login_with_the_password_form_lands_at_the_rp(
    new_page: PageFactory, live_portal: LivePortal, services: Services
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page = new_page(problems=problems)
    page.goto(services.rp_url + "/rp/login")
    log_in_at_the_hub(page)  # POST /anmelden → 303 /oidc/authorize → 302 the RP's callback
    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    assert page.url.startswith(services.rp_url + "/rp/callback")
    assert len(services.rp_local.sessions) == 1
    assert problems.seen == []


def test_oidc_consent_form_lands_at_the_rp(
    new_page: PageFactory,
    live_portal: LivePortal,
    services: Services,
    a11y: AccessibilityAudit,
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    services.rp = register_rp(  # a service of another provider: the citizen is asked
        live_portal.app,
        name="Theaterkasse",
        redirect_uris=[services.rp_url + "/rp/callback"],
        post_logout_redirect_uris=[services.rp_url + "/rp/bye"],
        scopes=["openid", "email"],
        release=["email"],
    )
    problems = Problems()
    page = new_page(problems=problems)
    page.goto(services.rp_url + "/rp/login")
    log_in_at_the_hub(page)
    expect(page.get_by_role("button", name="Zulassen")).to_be_visible()
    a11y.check(page, "consent page")
    page.get_by_role("button", name="Zulassen").click()  # POST → 302 the RP's callback
    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    assert len(services.rp_local.sessions) == 1
    assert problems.seen == []
    a11y.assert_clean()
