"""The status inbox: client_credentials tokens, status updates by pairwise subject (OIDC) and
persistent NameID (SAML), validation, idempotency, rate limit, "Meine Anträge", the mail, and
the ``roles`` claim limited to the client's own clerk role. Both storage backends."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.clock import FrozenClock
from tests.helpers import Browser, Citizen, Portal
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp, register
from tests.saml_support import OneLoginSp, follow, hub_metadata, path_of, posted_form, register_sp

pytestmark = pytest.mark.storage
API = "/api/status/v1/updates"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(start=float(int(time.time())))


def _basic(rp: Rp) -> dict[str, str]:
    raw = f"{rp.client_id}:{rp.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _token(client: FlaskClient, rp: Rp, **form: str) -> Any:
    return client.post(
        "/oidc/token", data={"grant_type": "client_credentials", **form}, headers=_basic(rp)
    )


def _bearer(client: FlaskClient, rp: Rp) -> dict[str, str]:
    answer = _token(client, rp)
    assert answer.status_code == 200, answer.json
    return {"Authorization": "Bearer " + answer.json["access_token"]}


def _update(subject: str, **changes: str) -> dict[str, str]:
    body = {
        "event_id": "evt-00000001",
        "subject": subject,
        "reference": "SPM-2026-ABCD1234",
        "title": "Sperrmüllabholung",
        "state": "eingegangen",
        "note": "",
        "occurred_at": "2026-12-01T10:00:00+00:00",
    }
    body.update(changes)
    return body


def _oidc_subject(app: Flask, browser: Browser, rp: Rp) -> str:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, browser)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    claims = flow.validated_id_token(app, token["id_token"], rp, login.nonce)
    return str(claims["sub"])


def _status_rp(app: Flask, **changes: Any) -> Rp:
    return register(app, api_scopes=["status:write"], consent="skip", **changes)


def test_client_credentials_only_for_clients_allowed_it(app: Flask, client: FlaskClient) -> None:
    allowed, plain = _status_rp(app), register(app)
    granted = _token(client, allowed)
    assert granted.status_code == 200 and granted.json["scope"] == "status:write"
    assert "refresh_token" not in granted.json and "id_token" not in granted.json
    assert _token(client, plain).json["error"] == "unauthorized_client"
    assert _token(client, allowed, scope="status:write openid").json["error"] == "invalid_scope"
    bad = Rp(allowed.client_id, "wrong-secret", allowed.redirect_uri)
    assert _token(client, bad).status_code == 401
    # a machine token is no citizen's token
    headers = {"Authorization": "Bearer " + granted.json["access_token"]}
    assert client.get("/oidc/userinfo", headers=headers).status_code == 401


def test_api_scope_needs_a_confidential_client(app: Flask) -> None:
    from idp.oidc import registry
    from idp.oidc.registry import ClientSpec

    spec = ClientSpec(name="x", redirect_uris=[], auth_method="none", api_scopes=["status:write"])
    with app.test_request_context():
        fields = {name for name, _ in registry.problems(spec, production=False)}
    assert "api_scopes" in fields
    ok = ClientSpec(name="Status only", redirect_uris=[], api_scopes=["status:write"])
    with app.test_request_context():
        assert registry.problems(ok, production=False) == []  # API-only: no redirect needed


def test_update_by_pairwise_subject_reaches_meine_antraege_and_mail(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    rp = _status_rp(app, name="Sperrmüll")
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    subject = _oidc_subject(app, browser, rp)
    headers = _bearer(client, rp)
    first = client.post(API, json=_update(subject), headers=headers)
    assert first.status_code == 201, first.json
    again = client.post(API, json=_update(subject), headers=headers)
    assert again.status_code == 200 and (again.json or {})["status"] == "duplicate"
    later = _update(
        subject,
        event_id="evt-00000002",
        state="rueckfrage",
        note="Bitte Anzahl der Möbelstücke nennen.",
        occurred_at="2026-12-01T11:00:00Z",
    )
    assert client.post(API, json=later, headers=headers).status_code == 201
    page = browser.get("/konto/antraege")
    assert page.status_code == 200
    text = page.text
    assert "SPM-2026-ABCD1234" in text and "Sperrmüll" in text
    assert text.index("Rückfrage") < text.index("Eingegangen"), "newest first"
    assert "Bitte Anzahl der Möbelstücke nennen." in text
    mails = portal.mails_to(erika.email)
    subjects = [m.subject for m in mails]
    assert sum("SPM-2026-ABCD1234" in s for s in subjects) == 2, subjects  # not three
    assert any("Rückfrage" in s for s in subjects)


def test_invalid_updates_change_nothing(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    rp = _status_rp(app)
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    subject = _oidc_subject(app, browser, rp)
    headers = _bearer(client, rp)
    cases = {
        "state": _update(subject, state="erledigt"),
        "reference": _update(subject, reference="../etc"),
        "occurred_at": _update(subject, occurred_at="gestern"),
        "event_id": _update(subject, event_id="x"),
        "note": _update(subject, note="x" * 2001),
    }
    for field, body in cases.items():
        answer = client.post(API, json=body, headers=headers)
        assert answer.status_code == 400 and field in (answer.json or {})["problems"], field
    future = _update(subject, occurred_at="2999-01-01T00:00:00Z")
    assert client.post(API, json=future, headers=headers).status_code == 400
    assert client.post(API, data="kein json", headers=headers).status_code == 400
    extra = {**_update(subject), "citizen_id": "someone"}
    assert client.post(API, json=extra, headers=headers).status_code == 400
    unknown = client.post(API, json=_update("not-a-subject-we-issued"), headers=headers)
    assert unknown.status_code == 404
    assert client.post(API, json=_update(subject)).status_code == 401
    assert browser.get("/konto/antraege").text.count("SPM-2026-ABCD1234") == 0
    assert not any("SPM-2026" in m.subject for m in portal.mails_to(erika.email))


def test_scope_reference_ownership_archive_and_rate_limit(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    rp = _status_rp(app)
    erika_browser = portal.new_browser()
    assert erika_browser.login(erika.email, erika.password).status_code == 303
    erika_sub = _oidc_subject(app, erika_browser, rp)
    max_ = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    max_browser = portal.new_browser("192.0.2.11")
    assert max_browser.login(max_.email, max_.password).status_code == 303
    max_sub = _oidc_subject(app, max_browser, rp)
    assert max_sub != erika_sub
    headers = _bearer(client, rp)
    assert client.post(API, json=_update(erika_sub), headers=headers).status_code == 201
    stolen = _update(max_sub, event_id="evt-00000009")
    assert client.post(API, json=stolen, headers=headers).status_code == 409
    archived = _update(erika_sub, event_id="evt-00000003", state="archiviert")
    assert client.post(API, json=archived, headers=headers).status_code == 201
    after = _update(erika_sub, event_id="evt-00000004", state="in_bearbeitung")
    assert client.post(API, json=after, headers=headers).status_code == 409
    # other clients of the same citizen cannot post with their tokens without the scope
    plain = register(app, consent="skip")
    plain_token = client.post(
        "/oidc/token", data={"grant_type": "client_credentials"}, headers=_basic(plain)
    )
    assert plain_token.status_code == 400
    statuses = [
        client.post(API, json=_update(erika_sub, event_id=f"evt-rate-{i:04d}"), headers=headers)
        for i in range(125)
    ]
    codes = {s.status_code for s in statuses}
    assert 429 in codes and statuses[-1].headers["Retry-After"] == "60"


def test_saml_service_addresses_its_persistent_name_id(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    sp = OneLoginSp(hub_metadata(browser), entity_id="https://hundesteuer.example/metadata")
    register_sp(app, sp.metadata(), release=("given_names",))
    auth = sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    assert auth.get_errors() == [], auth.get_last_error_reason()
    name_id = auth.get_nameid()
    from idp.oidc import registry
    from idp.oidc.registry import ClientSpec

    spec = ClientSpec(
        name="Hundesteuer",
        redirect_uris=[],
        api_scopes=["status:write"],
        saml_entity_id=sp.entity_id,
    )
    with app.test_request_context():
        assert registry.problems(spec, production=False) == []
        registered, secret = registry.register(spec)
        rp = Rp(registered.client_id, secret, "")
    headers = _bearer(client, rp)
    assert client.post(API, json=_update(name_id), headers=headers).status_code == 201
    # the OIDC-pairwise lookup is not used for a SAML service's client, nor the other way round
    other = _status_rp(app)
    assert (
        client.post(API, json=_update(name_id), headers=_bearer(client, other)).status_code == 404
    )
    assert "Hundesteuer" in browser.get("/konto/antraege").text


def test_roles_claim_only_the_clients_own_clerk_role(
    app: Flask, portal: Portal, erika: Citizen
) -> None:
    from account.models import CitizenRole, citizen_by_email
    from core.db import db

    with app.app_context():
        citizen = citizen_by_email(erika.email)
        assert citizen is not None
        citizen.roles += [CitizenRole(role="clerk:sperrmuell"), CitizenRole(role="clerk:hunde")]
        db.session.commit()
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    mine = register(app, consent="skip", roles=["clerk:sperrmuell"])
    client = flow.oauth_client(app, mine)
    login = flow.authorize(client, browser)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    claims = flow.validated_id_token(app, token["id_token"], mine, login.nonce)
    assert claims["roles"] == ["clerk:sperrmuell"]
    assert client.get(flow.ISSUER + "/oidc/userinfo").json()["roles"] == ["clerk:sperrmuell"]
    other = register(app, consent="skip")
    other_client = flow.oauth_client(app, other)
    login = flow.authorize(other_client, browser)
    token = other_client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    assert "roles" not in flow.validated_id_token(app, token["id_token"], other, login.nonce)


def test_answers_and_links_to_registered_origins_only(
    app: Flask, client: FlaskClient, portal: Portal, erika: Citizen
) -> None:
    """``kind`` answer: the citizen's own words, labelled as theirs and not repeated by mail;
    ``url``: linked from "Meine Anträge" only at an origin registered for the client."""
    rp = _status_rp(app, name="Sperrmüll")
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    subject = _oidc_subject(app, browser, rp)
    headers = _bearer(client, rp)
    link = "https://rp.example/antrag/0f6c2a8e-1111-4222-8333-944455556666"
    refused = {
        "kind": _update(subject, kind="frage"),
        "url": _update(subject, url="javascript:alert(1)"),
    }
    refused_urls = (
        "https://elsewhere.example/antrag/1",
        "http://rp.example/antrag/1",  # another scheme is another origin
        "https://rp.example:8443/antrag/1",
        "https://user:pw@rp.example/antrag/1",
        "https://rp.example:99999/antrag/1",
        "https://rp.example/antrag/1\nx",
        "/antrag/1",
        "https://rp.example/" + "a" * 500,
    )
    for i, url in enumerate(refused_urls):
        refused[f"url {i}"] = _update(subject, url=url)
    for case, body in refused.items():
        answer = client.post(API, json=body, headers=headers)
        assert answer.status_code == 400, case
        assert case.split()[0] in (answer.json or {})["problems"], case
    assert "SPM-2026-ABCD1234" not in browser.get("/konto/antraege").text
    asked = _update(subject, state="rueckfrage", note="Wie viele Stühle?", url=link)
    assert client.post(API, json=asked, headers=headers).status_code == 201
    page = browser.get("/konto/antraege").text
    assert f'href="{link}"' in page and "Rückfrage beim Dienst beantworten" in page
    answered = _update(
        subject,
        event_id="evt-00000002",
        state="in_bearbeitung",
        kind="answer",
        note="Vier Stühle.",
        occurred_at="2026-12-01T11:00:00Z",
        url=link,
    )
    assert client.post(API, json=answered, headers=headers).status_code == 201
    page = browser.get("/konto/antraege").text
    assert "Ihre Antwort</strong>: Vier Stühle." in page
    assert "Antrag beim Dienst ansehen" in page
    assert page.index("Vier Stühle.") < page.index("Wie viele Stühle?"), "newest first"
    bodies = [m.body for m in portal.mails_to(erika.email) if "SPM-2026-ABCD1234" in m.subject]
    assert len(bodies) == 2 and "Wie viele Stühle?" in bodies[0] + bodies[1]
    assert not any("Vier Stühle." in b for b in bodies)
    assert any("Ihre Antwort auf die Rückfrage ist beim Dienst eingegangen." in b for b in bodies)
