"""Start-up with the Online-Ausweis: the hub refuses production pointed at the simulator (its
certificate), and with eID on, the eID keys are required like the SAML and OIDC keys."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from certs import KeyPurpose, keyring
from connectors.eid.simulator.keys import self_signed
from connectors.eid.wiring import SIMULATOR_MARK
from core.clock import FrozenClock
from core.settings import Environment, Settings, SettingsError
from core.store.base import KeyValueStore


def _with_eid(settings: Settings, tmp_path: Path, cert_name: str) -> Settings:
    (tmp_path / "eid-server.pem").write_bytes(self_signed(cert_name, key_size=2048).cert_pem)
    return replace(
        settings,
        eid_enabled=True,
        eid_server_url="https://eid.provider.example/eID",
        eid_server_cert=str(tmp_path / "eid-server.pem"),
    )


def test_production_pointed_at_the_simulator_does_not_start(
    settings: Settings, tmp_path: Path, clock: FrozenClock, store: KeyValueStore
) -> None:
    import wsgi

    production = replace(
        _with_eid(settings, tmp_path, SIMULATOR_MARK),
        environment=Environment.PRODUCTION,
        base_url="https://buergerportal.example",
        certs_kek="Y2VydHMta2V5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
    )
    with pytest.raises(SettingsError) as caught:
        wsgi.create_app(production, clock=clock, store=store)
    assert "simulator" in str(caught.value)


def test_with_eid_on_the_eid_keys_are_made_in_development(
    settings: Settings, tmp_path: Path, clock: FrozenClock, store: KeyValueStore
) -> None:
    import wsgi

    app: Flask = wsgi.create_app(
        _with_eid(settings, tmp_path, "eID-Server Autent"), clock=clock, store=store
    )
    with app.app_context():
        assert keyring().active(KeyPurpose.EID_WSSEC).certificate is not None
        assert keyring().active(KeyPurpose.EID_TLS).certificate is not None
    assert "eid" in app.extensions
    assert any(r.rule == "/eid/tctoken" for r in app.url_map.iter_rules())


def test_without_eid_there_are_no_eid_endpoints(app: Flask) -> None:
    assert "eid" not in app.extensions
    assert not any(r.rule.startswith("/eid/") for r in app.url_map.iter_rules())
    client = app.test_client()
    assert client.get("/anmelden/ausweis").status_code == 404
    assert "Online-Ausweis" not in client.get("/anmelden").text
