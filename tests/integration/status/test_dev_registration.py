"""devrun's registration of the service apps at the hub: the relying parties with their demo
secrets, the back-office registrations with the clerk role, the API clients with status:write,
and a demo clerk per service; a second run changes nothing but what changed."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from flask import Flask

import dev_services
from services import hundesteuer, meldebescheinigung
from services.kit import create_service_app
from services.kit.config import PaymentConfig
from services.kit.storage import upgrade

pytestmark = pytest.mark.storage


def _service_app(key: str, module: object, tmp_path: Path) -> Flask:
    database = f"sqlite:///{tmp_path / key / 'service.db'}"
    upgrade(database)
    config = dev_services.service_config(
        key,
        f"http://127.0.0.1:81{len(key)}",
        "http://portal.test",
        database,
        tmp_path / key,
        PaymentConfig(),
    )
    return create_service_app(module.SERVICE, config)  # type: ignore[attr-defined]


def test_registration_is_complete_and_idempotent(app: Flask, tmp_path: Path) -> None:
    from account.models import citizen_by_email
    from idp.oidc import registry
    from idp.saml.models import all_sps

    apps = {
        "meldebescheinigung": _service_app("meldebescheinigung", meldebescheinigung, tmp_path),
        "hundesteuer": _service_app("hundesteuer", hundesteuer, tmp_path),
    }
    for _round in range(2):
        for key, service_app in apps.items():
            module = dev_services.module(key)
            url = service_app.extensions["kit_config"].base_url
            with app.app_context():
                dev_services.register_service(app, module.SERVICE, service_app, url)
    with app.app_context():
        clients = {c.client_id: c for c in registry.all_clients()}
        assert set(clients) == {
            "svc-meldebescheinigung",
            "svc-meldebescheinigung-verwaltung",
            "svc-hundesteuer-status",
        }
        citizen = clients["svc-meldebescheinigung"]
        assert citizen.min_level == "high" and citizen.api_scopes == ["status:write"]
        assert registry.secret_matches(citizen, dev_services.secret("meldebescheinigung"))
        base = apps["meldebescheinigung"].extensions["kit_config"].base_url
        assert citizen.post_logout_redirect_uris == [base + "/abgemeldet"]
        assert citizen.backchannel_logout_uri == base + "/oidc/backchannel-logout/citizen"
        back_office = clients["svc-meldebescheinigung-verwaltung"]
        assert back_office.roles == ["clerk:meldebescheinigung"] and back_office.min_level == "low"
        status = clients["svc-hundesteuer-status"]
        assert (status.saml_entity_id or "").endswith("/saml/metadata")
        assert status.redirect_uris == []
        sps = {sp.entity_id: sp for sp in all_sps()}
        assert len(sps) == 2
        citizen_sp = next(sp for e, sp in sps.items() if "/verwaltung/" not in e)
        clerk_sp = next(sp for e, sp in sps.items() if "/verwaltung/" in e)
        assert citizen_sp.min_level == "substantial" and citizen_sp.roles == []
        assert clerk_sp.roles == ["clerk:hundesteuer"]
        assert all("SingleLogoutService" in sp.metadata_xml for sp in sps.values())
        clerk = citizen_by_email(dev_services.clerk_email("hundesteuer"))
        assert clerk is not None and clerk.role_names == {"clerk:hundesteuer"}
    # the status client gets its token with the demo secret
    raw = f"svc-hundesteuer-status:{dev_services.secret('hundesteuer', 'status')}".encode()
    answer = app.test_client().post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    assert answer.status_code == 200 and answer.json["scope"] == "status:write"  # type: ignore[index]
