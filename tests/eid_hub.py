"""The whole hub with the Online-Ausweis, against the simulator, as production wires it.

``wsgi.create_app`` builds the hub with eID settings that point at the simulator: the SOAP leg
over TLS with client certificates (the eID-Server's TLS certificate from a test CA made at test
time; the hub's TLS client certificate and WS-Security key from ``certs``, trusted by the
simulator after the hub made them), the eID-Client stand-in on its own port. The hub is served
over real HTTP (the stand-in fetches the TC token from it); the citizen's browser is the Flask
test client. Every SOAP message exchanged is recorded and checked against the schema bundle.
"""

from __future__ import annotations

import html
import http.client
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from flask import Flask
from werkzeug.test import TestResponse

from account.eid.card import OPTIONAL, use_id_request
from certs import KeyPurpose
from certs.eid import EidSigningKey, EidTlsIdentity
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.app import Simulator, build
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.wiring import build_transactions
from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.eid_harness import Pki, Recorder, server_tls_context, serving
from tests.helpers import Browser

SECTOR = "https://buergerportal.example"
ACTIVATION_RE = re.compile(r'href="(http://127\.0\.0\.1:\d+/eID-Client\?tcTokenURL=[^"]+)"')


@dataclass
class EidHub:
    app: Flask
    base_url: str
    sim: Simulator
    client_url: str
    recorder: Recorder
    clock: FrozenClock
    settings: Settings

    def browser(self, address: str = "192.0.2.10") -> Browser:
        return Browser(self.app.test_client(), address, "Testbrowser/1.0")

    def eid_setting(self, **changes: Any) -> None:
        """Rebuild the connector with other settings (e.g. a dead eID-Server URL)."""
        settings = replace(self.settings, **changes)
        with self.app.app_context():
            self.app.extensions["eid"] = _transactions(self.app, settings, self.recorder)


def _transactions(app: Flask, settings: Settings, recorder: Recorder) -> Any:
    ring = app.extensions["keyring"]
    ca = Path(settings.eid_server_tls_ca).read_bytes()
    return build_transactions(
        settings,
        use_id_request(InterfaceVersion(settings.eid_interface_version)),
        app.extensions["store"],
        app.extensions["clock"],
        EidSigningKey(ring),
        EidTlsIdentity(ring, ca),
        observer=recorder,
    )


@contextmanager
def eid_hub(
    pki: Pki,
    tmp: Path,
    settings: Settings,
    clock: FrozenClock,
    store: KeyValueStore,
    version: InterfaceVersion = InterfaceVersion.V2_4_0,
    **sim_config: Any,
) -> Iterator[EidHub]:
    import wsgi

    soap_tls = server_tls_context(pki, tmp)
    with serving(None, soap_tls) as soap, serving(None) as stand_in, serving(None) as served:
        client_url = f"http://127.0.0.1:{stand_in.server_port}/eID-Client"
        (tmp / "eid-server.pem").write_bytes(pki.sim_signing.cert_pem)
        (tmp / "eid-server-ca.pem").write_bytes(pki.ca.pem)
        hub_settings = replace(
            settings,
            base_url=f"http://127.0.0.1:{served.server_port}",
            eid_enabled=True,
            eid_server_url=f"https://127.0.0.1:{soap.server_port}/eID",
            eid_server_cert=str(tmp / "eid-server.pem"),
            eid_server_tls_ca=str(tmp / "eid-server-ca.pem"),
            eid_client_url=client_url,
            eid_interface_version=version.value,
            eid_service_sector=SECTOR,
            eid_poll_delay_ms=0,
            eid_poll_max_delay_ms=0,
        )
        app = wsgi.create_app(hub_settings, clock=clock, store=store)
        app.config["TESTING"] = True
        recorder = Recorder(version)
        with app.app_context():
            ring = app.extensions["keyring"]
            hub_signing = ring.active(KeyPurpose.EID_WSSEC).certificate_pem()
            hub_tls = ring.active(KeyPurpose.EID_TLS).certificate_pem()
            app.extensions["eid"] = _transactions(app, hub_settings, recorder)
        assert hub_signing is not None and hub_tls is not None
        soap_tls.load_verify_locations(cadata=hub_tls.decode())  # trust the hub's own cert
        sim = build(
            SimulatorConfig(
                var_dir=tmp / "sim",
                server_url=f"https://127.0.0.1:{soap.server_port}",
                client_url=client_url,
                version=version,
                sector=SECTOR,
                service_cert_pem=hub_signing,
                **sim_config,
            ),
            signing=pki.sim_signing,
        )
        soap.app, stand_in.app, served.app = sim.server_app, sim.client_app, app
        try:
            yield EidHub(app, hub_settings.base_url, sim, client_url, recorder, clock, hub_settings)
            assert recorder.problems() == []
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


# --- the citizen's way with the card --------------------------------------------------------


def over_http(
    method: str, url: str, body: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], str]:
    """What the eID-Client stand-in page and the AusweisApp see: real HTTP."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, body=urlencode(body) if body else None, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode()
    finally:
        connection.close()


def activation_link(page: TestResponse) -> str:
    assert page.status_code == 200, page.text[:500]
    found = ACTIVATION_RE.search(page.text)
    assert found, "no activation link on the page"
    return html.unescape(found.group(1))


def local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


class Places(Protocol):
    """Where the hub and the eID-Client stand-in answer (an :class:`EidHub`, or devrun's)."""

    base_url: str
    client_url: str


def card_dialogue(
    hub: Places,
    link: str,
    card: str = "erika",
    *,
    pin: str = "123456",
    action: str = "ausweisen",
    keep: list[str] | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """The AusweisApp's part: TC token, the card, the PIN; returns the 303's Location."""
    status, _, page = over_http("GET", link)
    assert status == 200, page[:500]
    key = re.search(r'name="vorgang" value="([^"]+)"', page)
    assert key, page[:500]
    fields = [("vorgang", key.group(1)), ("karte", card), ("pin", pin), ("aktion", action)]
    fields += [("freigabe", name) for name in (list(OPTIONAL) if keep is None else keep)]
    status, headers, _ = over_http("POST", hub.client_url + "/vorgang", fields + (extra or []))
    assert status == 303
    location = headers["Location"]
    assert location.startswith(hub.base_url), location
    return location


def present_card(
    hub: EidHub, browser: Browser, start: str = "/anmelden/ausweis", card: str = "erika", **how: Any
) -> TestResponse:
    """Start at ``start``, read the card, arrive at the RefreshAddress: the hub's answer."""
    location = card_dialogue(hub, activation_link(browser.get(start)), card, **how)
    return browser.get(local(location))


def follow(browser: Browser, response: TestResponse, limit: int = 8) -> TestResponse:
    for _ in range(limit):
        if response.status_code not in (302, 303):
            return response
        response = browser.get(local(response.headers["Location"]))
    raise AssertionError("too many redirects")
