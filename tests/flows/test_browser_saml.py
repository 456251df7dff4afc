"""SP-initiated SAML SSO with the HTTP-POST binding in a real browser, across two sites: the hub on
``127.0.0.1``, a pysaml2 SP (stock ``xmlsec1`` backend) on ``localhost``.

What it proves (DESIGN.md field notes): the AuthnRequest arrives by a cross-site POST, which
does not carry the hub's ``SameSite=Lax`` session cookie — and still the citizen's SSO session
is recognised (the hub turns the POST into a same-site GET before it looks for the login), so no
login page appears; and the Response's cross-site POST back to the SP carries the SP's
request-state cookie (``SameSite=None; Secure``), so the SP can check InResponseTo.
"""

from __future__ import annotations

import html
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Request, expect
from saml2 import BINDING_HTTP_POST
from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from tests.flows.conftest import AccessibilityAudit, LivePortal, PageFactory, Problems
from tests.saml_pysaml2 import PySaml2Sp
from tests.saml_support import register_sp

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.browser
EMAIL = "lena.beispiel@example.org"
PASSWORD = "Ein Segelboot liegt im Hafen"
STATE_COOKIE = "sp_request"


@dataclass
class ServiceProvider:
    """A small web app around pysaml2's Saml2Client, served on http://localhost:<port>."""

    base_url: str
    sp: PySaml2Sp | None = None
    seen: list[str] = field(default_factory=list)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = WsgiRequest(environ)
        self.seen.append(f"{request.method} {request.path}")
        if request.path == "/" and request.method == "GET":
            response = self._page(
                "Dienst", '<form method="post" action="/login"><button>Anmelden</button></form>'
            )
        elif request.path == "/login" and request.method == "POST":
            response = self._login()
        elif request.path == "/acs" and request.method == "POST":
            response = self._acs(request)
        else:
            response = WsgiResponse("not found", status=404)
        return response(environ, start_response)

    def _page(self, title: str, body: str) -> WsgiResponse:
        page = f'<!doctype html><html lang="de"><title>{title}</title><main>{body}</main></html>'
        return WsgiResponse(page, mimetype="text/html")

    def _login(self) -> WsgiResponse:
        assert self.sp is not None
        sent = self.sp.login(BINDING_HTTP_POST, relay_state="/konto")
        inputs = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in sent.fields.items()
        )
        form = (
            f'<form method="post" action="{html.escape(sent.url)}">{inputs}'
            "<button>Weiter zum Bürgerportal</button></form>"
        )
        response = self._page("Weiter", form)
        request_id = next(iter(self.sp.outstanding))
        self.sp.outstanding.clear()  # only the cookie remembers the request
        response.set_cookie(
            STATE_COOKIE, request_id, httponly=True, secure=True, samesite="None", path="/"
        )
        return response

    def _acs(self, request: WsgiRequest) -> WsgiResponse:
        assert self.sp is not None
        request_id = request.cookies.get(STATE_COOKIE)
        if not request_id:
            return self._page("Fehler", "<h1>Anfrage-Zustand verloren</h1>")
        self.sp.outstanding = {request_id: "/konto"}
        try:
            response = self.sp.client.parse_authn_request_response(
                request.form["SAMLResponse"], BINDING_HTTP_POST, outstanding=self.sp.outstanding
            )
        except Exception as exc:  # pysaml2 refuses by raising
            return self._page("Fehler", f"<h1>Abgelehnt</h1><p>{html.escape(repr(exc))}</p>")
        mail = ", ".join(response.get_identity().get("mail", []))
        return self._page(
            "Angemeldet",
            f'<h1>Angemeldet</h1><p id="mail">{html.escape(mail)}</p>'
            f'<p id="answered">{html.escape(response.in_response_to)}</p>'
            f'<p id="relay">{html.escape(request.form.get("RelayState", ""))}</p>',
        )


@pytest.fixture
def service_provider(live_portal: LivePortal, tmp_path: Path) -> Iterator[ServiceProvider]:
    served = ServiceProvider("")
    server = make_server("127.0.0.1", 0, served, threaded=True)
    served.base_url = f"http://localhost:{server.server_port}"  # another site than 127.0.0.1
    with urllib.request.urlopen(live_portal.url("/saml/metadata")) as answer:  # noqa: S310
        idp_metadata = answer.read().decode()
    served.sp = PySaml2Sp(idp_metadata, tmp_path / "sp", host=served.base_url)
    assert served.sp.stock_backend
    register_sp(live_portal.app, served.sp.metadata(), release=("email",))
    thread = threading.Thread(target=server.serve_forever, name="saml-sp", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_sso_by_post_binding_across_sites_keeps_the_hub_session(
    new_page: PageFactory,
    live_portal: LivePortal,
    service_provider: ServiceProvider,
) -> None:
    live_portal.verified_citizen(EMAIL, PASSWORD)
    problems = Problems()
    page: Page = new_page(problems=problems, java_script_enabled=False)
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)

    # the citizen is logged in at the hub
    page.goto(live_portal.url("/anmelden"))
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    hub_cookies = {c["name"]: c for c in page.context.cookies(live_portal.base_url)}
    assert hub_cookies["bp_session"]["sameSite"] == "Lax"

    # … then starts at the service on another site
    page.goto(service_provider.base_url + "/")
    visited.clear()
    page.get_by_role("button", name="Anmelden").click()
    sp_cookie = {c["name"]: c for c in page.context.cookies(service_provider.base_url)}
    assert sp_cookie[STATE_COOKIE]["sameSite"] == "None" and sp_cookie[STATE_COOKIE]["secure"]
    page.get_by_role("button", name="Weiter zum Bürgerportal").click()  # cross-site POST

    # the hub answers without a login: its POST form back to the service
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    assert not any("/anmelden" in url for url in visited), visited
    page.get_by_role("button", name="Weiter").click()  # cross-site POST back

    expect(page.get_by_role("heading", level=1)).to_have_text("Angemeldet")
    expect(page.locator("#mail")).to_have_text(EMAIL)
    expect(page.locator("#relay")).to_have_text("/konto")
    assert page.locator("#answered").inner_text().startswith("id-")  # InResponseTo checked

    sso_post = next(r for r in posts if r.url == live_portal.url("/saml/sso"))
    assert "bp_session" not in (sso_post.all_headers().get("cookie") or "")  # Lax: not sent
    acs_post = next(r for r in posts if r.url == service_provider.base_url + "/acs")
    assert STATE_COOKIE in (acs_post.all_headers().get("cookie") or "")  # None+Secure: sent
    assert problems.seen == []


def test_the_hubs_saml_pages_are_accessible(
    new_page: PageFactory,
    live_portal: LivePortal,
    service_provider: ServiceProvider,
    a11y: AccessibilityAudit,
) -> None:
    """axe-core on the hub's SAML pages (it needs JavaScript; the pages themselves have none)."""
    live_portal.verified_citizen(EMAIL, PASSWORD)
    page = new_page()
    page.goto(live_portal.url("/anmelden"))
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(live_portal.url("/konto/profil"))
    page.goto(service_provider.base_url + "/")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Weiter zum Bürgerportal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weiter zum Dienst")
    assert page.locator("script").count() == 0
    a11y.check(page, "SAML POST binding page")
    a11y.assert_clean()
