"""Single logout of the SAML services through the real hub (python3-saml SPs ↔ the hub's IdP
over HTTP, HTTP-Redirect binding): the citizen logs out at Sperrmüll, whose signed
LogoutRequest ends the hub's session; the hub sends the browser on to Hundesteuer with its own
LogoutRequest, which ends Hundesteuer's session there and is answered with a signed
LogoutResponse; Sperrmüll gets the hub's Success. Replayed, unsigned and tampered messages and
a stray LogoutResponse change nothing and get a 400, never a 500."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import requests
from lxml import etree

from core.store.base import KeyValueStore
from services import hundesteuer, sperrmuell
from tests.flows.services.steps import log_in, onward_of
from tests.flows.services.world import CSRF_RE, HttpBrowser, ServiceHandle, World, at_level, world

pytestmark = pytest.mark.storage
EMAIL, PASSWORD = "erika@example.org", "Ein langer Satz als Passwort"
PROFILE = {
    "given_names": ("Erika", "eid"),
    "family_names": ("Mustermann", "eid"),
    "date_of_birth": ("1964-08-12", "eid"),
    "street_address": ("Heidestraße 17", "eid"),
    "postal_code": ("51147", "eid"),
    "locality": ("Köln", "eid"),
    "phone": ("0221 123456", "self"),
}
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


@pytest.fixture
def town(backend: str, database_url: str, store: KeyValueStore, tmp_path: Path) -> Iterator[World]:
    services = {
        "sperrmuell": sperrmuell.SERVICE,
        "hundesteuer": at_level(hundesteuer.SERVICE, "low"),  # a password session at the hub
    }
    with world(backend, database_url, store, tmp_path, services) as w:
        w.citizen(EMAIL, PASSWORD, PROFILE)
        yield w


def _logged_in_at(browser: HttpBrowser, svc: ServiceHandle) -> bool:
    answer = browser.session.get(svc.page("/antrag"), allow_redirects=False, timeout=30)
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def _sso(browser: HttpBrowser, svc: ServiceHandle) -> None:
    """Into a second service on the hub's session (its POST binding page, no password)."""
    page = browser.go(svc.page("/anmelden"))
    assert 'id="saml-post"' in page.text, page.url
    assert browser.post_saml_form(page).url == svc.page("/antrag")


def _both(town: World) -> tuple[HttpBrowser, ServiceHandle, ServiceHandle]:
    a, b = town.service("sperrmuell"), town.service("hundesteuer")
    citizen = HttpBrowser()
    assert log_in(citizen, a, EMAIL, PASSWORD).url == a.page("/antrag")
    _sso(citizen, b)
    return citizen, a, b


def _log_out(browser: HttpBrowser, svc: ServiceHandle) -> requests.Response:
    page = browser.go(svc.page("/antrag"))
    match = CSRF_RE.search(page.text)
    assert match
    return browser.post(svc.page("/abmelden"), {"csrf_token": match.group(1)}, follow=False)


def _message(url: str, name: str) -> etree._Element:
    raw = parse_qs(urlsplit(url).query)[name][0]
    return etree.fromstring(zlib.decompress(base64.b64decode(raw), -15))


def test_logout_at_one_service_ends_the_hub_session_and_the_other_service(town: World) -> None:
    citizen, a, b = _both(town)
    leaving = _log_out(citizen, a)
    assert onward_of(leaving).startswith(town.hub_url + "/saml/slo?SAMLRequest=")
    query = parse_qs(urlsplit(onward_of(leaving)).query)
    assert "Signature" in query and query["SigAlg"] == [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    ]
    request = _message(onward_of(leaving), "SAMLRequest")
    assert request.find(f"{{{SAMLP}}}SessionIndex") is not None
    assert not _logged_in_at(citizen, a)  # ended here before the hub was even asked
    done = citizen.follow(leaving)
    assert done.status_code == 200 and "im Bürgerportal abgemeldet" in done.text, done.text[:800]
    at_b = [u for u in citizen.visited if u.startswith(b.page("/saml/slo?SAMLRequest="))]
    assert len(at_b) == 1  # the hub informed Hundesteuer on the front channel
    answered = [u for u in citizen.visited if u.startswith(town.hub_url + "/saml/slo?SAMLResp")]
    assert len(answered) == 1 and "Signature=" in answered[0]
    final = _message(citizen.visited[-1], "SAMLResponse")
    codes = [c.get("Value") for c in final.iter(f"{{{SAMLP}}}StatusCode")]
    assert codes == [SUCCESS]  # no PartialLogout: Hundesteuer answered Success
    assert not _logged_in_at(citizen, b)
    assert "/anmelden" in citizen.go(town.hub_url + "/konto/antraege").url


def test_bad_logout_messages_change_nothing(town: World) -> None:
    citizen, a, b = _both(town)
    leaving = _log_out(citizen, a)
    citizen.follow(leaving)
    (request_url,) = [u for u in citizen.visited if u.startswith(b.page("/saml/slo?SAMLRequest="))]
    response_url = citizen.visited[-1]
    # a fresh login at Hundesteuer (the hub asks for the password again)
    assert log_in(citizen, b, EMAIL, PASSWORD).url == b.page("/antrag")
    query = urlsplit(request_url).query
    params = dict(p.split("=", 1) for p in query.split("&"))
    signature = bytearray(base64.b64decode(unquote(params["Signature"])))
    signature[10] ^= 0x01
    tampered = dict(params, Signature=quote(base64.b64encode(bytes(signature)), safe=""))
    unsigned = {k: v for k, v in params.items() if k not in ("Signature", "SigAlg")}
    for name, raw in {
        "replayed": query,
        "tampered signature": "&".join(f"{k}={v}" for k, v in tampered.items()),
        "unsigned": "&".join(f"{k}={v}" for k, v in unsigned.items()),
        "not SAML": "SAMLRequest=bm90IHNhbWw%3D",
        "nothing": "",
    }.items():
        answer = citizen.session.get(b.page("/saml/slo?" + raw), allow_redirects=False, timeout=30)
        assert answer.status_code == 400, (name, answer.status_code)
        assert _logged_in_at(citizen, b), name
    stray = citizen.session.get(response_url, allow_redirects=False, timeout=30)  # at Sperrmüll
    assert stray.status_code == 400 and "nicht bestätigen" in stray.text
    clerk_side = b.page("/verwaltung/saml/slo?" + query)  # another SP's endpoint
    assert citizen.session.get(clerk_side, timeout=30).status_code == 400
    assert _logged_in_at(citizen, b)


def _hub_logout(town: World, browser: HttpBrowser) -> requests.Response:
    """The citizen's "Abmelden" at the hub itself."""
    page = browser.go(town.hub_url + "/konto/antraege")
    match = CSRF_RE.search(page.text)
    assert page.status_code == 200 and match and 'action="/abmelden"' in page.text
    return browser.post(town.hub_url + "/abmelden", {"csrf_token": match.group(1)})


def test_logout_at_the_hub_ends_both_services_sessions(town: World) -> None:
    citizen, a, b = _both(town)
    landed = _hub_logout(town, citizen)
    assert landed.status_code == 200 and landed.url.startswith(town.hub_url), landed.url
    for svc in (a, b):
        told = [u for u in citizen.visited if u.startswith(svc.page("/saml/slo?SAMLRequest="))]
        assert len(told) == 1, svc.url
        assert not _logged_in_at(citizen, svc)
