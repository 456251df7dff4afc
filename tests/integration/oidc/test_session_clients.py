"""Services logging in through one SSO session at the same moment are all recorded: the
session list shows each of them, and the logout tells each of them (account/sso.py keeps the
session's relying parties in a store set; both backends)."""

from __future__ import annotations

import threading

from flask import Flask

from tests.helpers import Browser, Portal
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp, register
from tests.integration.oidc.test_logout import Receiver, delivered

NAMES = ("Hundesteuer", "Sperrmüll", "Kita", "Ferienspiele", "Fundbüro", "Tickets")


def _same_session(portal: Portal, browser: Browser) -> Browser:
    """Another tab of the same browser: its own connection, the same session cookie."""
    tab = portal.new_browser()
    tab.client.set_cookie("bp_session", browser.cookie("bp_session") or "", domain="localhost")
    return tab


def _log_in_at_once(app: Flask, tabs: list[Browser], rps: list[Rp]) -> None:
    barrier = threading.Barrier(len(rps))
    failures: list[BaseException] = []

    def log_in(tab: Browser, rp: Rp) -> None:
        try:
            client = flow.oauth_client(app, rp)
            barrier.wait()
            login = flow.authorize(client, tab)
            client.fetch_token(
                flow.ISSUER + "/oidc/token",
                authorization_response=login.callback,
                code_verifier=login.verifier,
            )
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=log_in, args=pair) for pair in zip(tabs, rps, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def test_concurrent_logins_through_one_session_are_all_listed_and_told(
    app: Flask, portal: Portal, citizen_browser: Browser
) -> None:
    receiver = Receiver()
    try:
        rps = [
            register(app, name=name, consent="skip", backchannel_logout_uri=receiver.url)
            for name in NAMES
        ]
        tabs = [_same_session(portal, citizen_browser) for _ in rps]
        _log_in_at_once(app, tabs, rps)

        page = citizen_browser.get("/konto/sicherheit")
        assert page.status_code == 200
        assert ", ".join(sorted(NAMES)) in page.text  # every service, by name

        citizen_browser.logout()
        delivered(app)
        assert len(receiver.tokens) == len(NAMES)
    finally:
        receiver.close()
