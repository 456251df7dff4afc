"""The Bürgerkonto's JSON export holds the citizen's applications from the status inbox with
their whole timelines (oldest change first), only the citizen's own; the section comes through
``account.api.register_export_section`` (account does not import idp). Both backends."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp, register

pytestmark = pytest.mark.storage
API = "/api/status/v1/updates"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(start=float(int(time.time())))


def _service(app: Flask, name: str) -> Rp:
    return register(app, name=name, api_scopes=["status:write"], consent="skip")


def _subject(app: Flask, browser: Browser, rp: Rp) -> str:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, browser)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    return str(flow.validated_id_token(app, token["id_token"], rp, login.nonce)["sub"])


def _report(client: FlaskClient, rp: Rp, subject: str, **update: str) -> None:
    raw = f"{rp.client_id}:{rp.secret}".encode()
    granted = client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    token = (granted.json or {})["access_token"]
    body = {"subject": subject, "title": "Antrag", "note": "", **update}
    answer = client.post(API, json=body, headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 201, answer.json


def _export(browser: Browser) -> dict[str, Any]:
    response = browser.submit("/konto/daten")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data: dict[str, Any] = json.loads(response.text)
    return data


def test_the_export_holds_the_citizens_applications_with_their_timelines(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    bulky, dog = _service(app, "Sperrmüll"), _service(app, "Hundesteuer")
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    at_bulky, at_dog = _subject(app, browser, bulky), _subject(app, browser, dog)
    spm = {"reference": "SPM-2026-ABCD1234", "title": "Sperrmüllabholung"}
    # reported out of order: the export lists by occurred_at, as the services saw it
    _report(
        client,
        bulky,
        at_bulky,
        **spm,
        event_id="evt-spm-2",
        state="rueckfrage",
        note="Passt das Sofa durch die Tür?",
        occurred_at="2026-11-28T11:00:00+00:00",
    )
    _report(
        client,
        bulky,
        at_bulky,
        **spm,
        event_id="evt-spm-1",
        state="eingegangen",
        occurred_at="2026-11-28T10:00:00+00:00",
    )
    _report(
        client,
        dog,
        at_dog,
        reference="HST-2026-WXYZ5678",
        title="Hundesteuer",
        event_id="evt-hst-1",
        state="eingegangen",
        occurred_at="2026-11-30T09:00:00+00:00",
    )
    # someone else's application stays out of Erika's export
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    other = portal.new_browser("203.0.113.7")
    assert other.login(max_.email, max_.password).status_code == 303
    _report(
        client,
        bulky,
        _subject(app, other, bulky),
        reference="SPM-2026-MAXM0001",
        event_id="evt-max-1",
        state="eingegangen",
        occurred_at="2026-11-28T10:00:00+00:00",
    )

    applications = _export(browser)["applications"]
    assert [a["reference"] for a in applications] == ["SPM-2026-ABCD1234", "HST-2026-WXYZ5678"]
    first = applications[0]
    assert first["service"] == "Sperrmüll" and first["title"] == "Sperrmüllabholung"
    assert first["state"] == "rueckfrage" and first["state_label"] == "Rückfrage"
    assert [(e["state"], e["note"]) for e in first["timeline"]] == [
        ("eingegangen", ""),
        ("rueckfrage", "Passt das Sofa durch die Tür?"),
    ]
    assert first["timeline"][0]["occurred_at"] == "2026-11-28T10:00:00+00:00"
    assert all(e["kind"] == "status" and e["received_at"] for e in first["timeline"])
    assert applications[1]["service"] == "Hundesteuer" and len(applications[1]["timeline"]) == 1
    assert "SPM-2026-MAXM0001" not in json.dumps(applications)
    assert [a["reference"] for a in _export(other)["applications"]] == ["SPM-2026-MAXM0001"]


def test_without_applications_the_section_is_empty(portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    assert _export(browser)["applications"] == []


def test_a_section_cannot_take_a_name_already_taken(app: Flask) -> None:
    from account import api

    for name in ("applications", *api.EXPORT_OWN):
        with pytest.raises(ValueError, match="taken"):
            api.register_export_section(app, name, lambda citizen_id: None)


def test_the_exports_own_members_are_the_reserved_ones(portal: Portal, erika: Citizen) -> None:
    """A new member of the export's own: add it to ``account.api.EXPORT_OWN``."""
    from account import api

    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    assert set(_export(browser)) == api.EXPORT_OWN | {"applications"}
