"""``make run`` with the Online-Ausweis: devrun points the hub at the simulator and gives the
simulator the hub's WS-Security certificate, so both trust each other and a card login goes
through (before, the simulator had no hub certificate and answered internalError)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

import devrun
from core import migrate
from core.clock import SystemClock
from core.db import db
from core.settings import Settings
from core.store import MemoryStore
from tests.eid_harness import serving
from tests.eid_hub import activation_link, card_dialogue, local
from tests.helpers import Browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dev_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, str]]:
    for name in ("EID_ENABLED", "EID_SERVER_URL", "EID_SERVER_CERT", "EID_SERVICE_SECTOR"):
        monkeypatch.delenv(name, raising=False)
    with serving(None) as served:
        base_url = f"http://127.0.0.1:{served.server_port}"
        database = f"sqlite:///{tmp_path / 'dev.db'}"
        for name, value in {
            "PORTAL_ENV": "development",
            "PORTAL_VAR_DIR": str(tmp_path),
            "PORTAL_BASE_URL": base_url,
            "DATABASE_URL": database,
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "EID_SIMULATOR_PORT": str(_free_port()),
            "EID_CLIENT_URL": f"http://127.0.0.1:{_free_port()}/eID-Client",
        }.items():
            monkeypatch.setenv(name, value)
        assert devrun._configure_eid_simulator("127.0.0.1")
        settings = Settings.from_env()
        assert settings.eid_enabled and settings.eid_server_url.startswith("http://127.0.0.1:")
        migrate.upgrade(database)
        import wsgi

        clock = SystemClock()
        app = wsgi.create_app(settings, clock=clock, store=MemoryStore(clock))
        served.app = app
        lines, simulators = devrun._start_eid_simulator(app, "127.0.0.1")
        assert len(simulators) == 2, lines
        try:
            yield app, settings.eid_client_url
        finally:
            for server in simulators:
                server.shutdown()
                server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_a_card_reading_goes_through_with_the_devrun_simulator(
    dev_hub: tuple[Flask, str],
) -> None:
    app, client_url = dev_hub
    places = DevPlaces(app.extensions["settings"].base_url, client_url)
    browser = Browser(app.test_client())
    link = activation_link(browser.get("/anmelden/ausweis?registrieren=1"))
    answer = browser.get(local(card_dialogue(places, link)))
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["Location"].endswith("/registrieren/ausweis")
    assert "HEIDESTRAẞE 17" in browser.get("/registrieren/ausweis").text


@dataclass
class DevPlaces:
    base_url: str
    client_url: str
