"""Steps the service stories share: log in through the hub, read the form, act as a clerk."""

from __future__ import annotations

import html
import re

import requests

from tests.flows.services.world import HttpBrowser, ServiceHandle, World

CLERK_PASSWORD = "Demo-Sachbearbeitung-2026"
REFERENCE_RE = re.compile(r'<strong class="reference">([A-Z]+-\d{4}-[0-9A-Z]{8})</strong>')


def log_in(
    browser: HttpBrowser, svc: ServiceHandle, email: str, password: str, path: str = "/anmelden"
) -> requests.Response:
    """From the service's login link through the hub's login page back into the service."""
    page = browser.go(svc.page(path))
    if not page.url.startswith(svc.url) and "/anmelden" in page.url:  # the hub's login page
        page = browser.hub_login(page, email, password)
    if 'id="saml-post"' in page.text:
        page = browser.post_saml_form(page)
    return page


def reference_of(page: requests.Response) -> str:
    match = REFERENCE_RE.search(page.text)
    assert match, page.text[:2000]
    return match.group(1)


def clerk_changes(
    browser: HttpBrowser, svc: ServiceHandle, application_url: str, state: str, note: str = ""
) -> requests.Response:
    page = browser.go(application_url)
    assert page.status_code == 200, page.text[:500]
    return browser.submit(page, state=state, note=note)


def clerk_application_url(list_page: requests.Response, reference: str) -> str:
    match = re.search(
        r'<a href="(/verwaltung/antrag/[^"]+)">' + re.escape(reference), list_page.text
    )
    assert match, list_page.text[:2000]
    return list_page.url.split("/verwaltung")[0] + match.group(1)


def hub_timeline(world: World, browser: HttpBrowser) -> str:
    """The citizen's "Meine Anträge" at the hub, once the services have pushed their events."""
    world.settle()
    page = browser.go(world.hub_url + "/konto/antraege")
    assert page.status_code == 200
    return page.text


def onward_of(page: requests.Response) -> str:
    """The logout page of the service that moves on to the hub (Refresh header and a link)."""
    assert page.status_code == 200 and page.headers["Refresh"].startswith("0; url=")
    url = page.headers["Refresh"].removeprefix("0; url=")
    assert f'href="{html.escape(url)}"' in page.text
    return url
