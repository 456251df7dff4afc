"""The SAML administration under /verwaltung/saml: only admins with a recent login, CSRF on
every change, a refusal shows its reason at the field and changes nothing, every change is
audited with the admin as actor, and what is set there is what the SSO flow does."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from core.clock import FrozenClock
from idp.saml.models import PairwiseNameId, ServiceProvider, all_sps, sp_by_entity_id
from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.saml.test_sp_registry import metadata_server  # noqa: F401 (fixture)
from tests.integration.test_certs_admin import grant_admin
from tests.saml_support import (
    OneLoginSp,
    follow,
    hub_metadata,
    make_key_pair,
    path_of,
    posted_form,
)

pytestmark = pytest.mark.storage
BASE = "/verwaltung/saml"
ENTITY = "https://sp.example.org/metadata"
FRESH = 15 * 60


@dataclass
class Admin:
    browser: Browser
    citizen_id: str


@pytest.fixture
def admin(app: Flask, portal: Portal, erika: Citizen) -> Admin:
    citizen_id = grant_admin(app, erika.email)
    browser = portal.new_browser("192.0.2.60")
    assert browser.login(erika.email, erika.password).status_code == 303
    return Admin(browser, citizen_id)


def snapshot(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {"entity": s.entity_id, "enabled": s.enabled, "xml": s.metadata_xml} | s.settings_dict()
            for s in all_sps()
        ]


def saml_events(portal: Portal) -> list[tuple[str, str | None]]:
    return [(e.event, e.actor_id) for e in portal.audit_events() if e.event.startswith("saml.sp")]


def the_sp(app: Flask) -> ServiceProvider:
    with app.app_context():
        found = sp_by_entity_id(ENTITY)
        assert found is not None
        from core.db import db

        db.session.expunge(found)
        return found


def upload(
    browser: Browser, path: str, metadata: str | None, with_csrf: bool = True, **fields: Any
) -> TestResponse:
    page = browser.get(path)
    assert page.status_code == 200, page.status_code
    data: dict[str, Any] = dict(fields)
    if with_csrf:
        data["csrf_token"] = csrf_token(page.text)
    if metadata is not None:
        data["metadata_file"] = (BytesIO(metadata.encode()), "sp-metadata.xml")
    return browser.client.post(
        path, data=data, content_type="multipart/form-data", environ_base=browser._environ()
    )


SETTINGS: dict[str, Any] = {
    "release": ["email", "given_names"],
    "name_id_formats": ["persistent", "transient"],
    "min_level": "low",
    "sign_response": "y",
    "sign_assertion": "y",
    "require_signed_requests": "y",
}


def add_sp(admin: Admin, sp: OneLoginSp, **changes: Any) -> TestResponse:
    return upload(admin.browser, BASE + "/neu", sp.metadata(), **(SETTINGS | changes))


# --- access -------------------------------------------------------------------------------------


def test_without_login_every_page_redirects_to_the_login(app: Flask, portal: Portal) -> None:
    browser = portal.new_browser()
    for path in (BASE, BASE + "/neu", BASE + "/some-id"):
        response = browser.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/anmelden?next=")


def test_a_citizen_without_the_admin_role_gets_403(
    app: Flask, portal: Portal, erika: Citizen, admin: Admin
) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    before = snapshot(app)
    other = portal.registered_citizen("max@example.org", "Noch ein langer Satz als Passwort")
    browser = portal.new_browser("192.0.2.61")
    assert browser.login(other.email, other.password).status_code == 303
    sp_id = the_sp(app).id
    for path in (BASE, BASE + "/neu", f"{BASE}/{sp_id}"):
        assert browser.get(path).status_code == 403
    token = csrf_token(browser.get("/").text)
    for path in (f"{BASE}/{sp_id}/status", f"{BASE}/{sp_id}/entfernen"):
        assert browser.post(path, {"csrf_token": token, "confirm": "y"}).status_code == 403
    assert snapshot(app) == before


def test_a_stale_login_must_be_renewed(admin: Admin, clock: FrozenClock, erika: Citizen) -> None:
    assert admin.browser.get(BASE).status_code == 200
    clock.advance(FRESH + 1)
    response = admin.browser.get(BASE)
    assert response.status_code == 303 and "erneut=1" in response.headers["Location"]


def test_the_admin_home_links_the_saml_pages(admin: Admin) -> None:
    page = admin.browser.get("/verwaltung")
    assert page.status_code == 200
    assert f'href="{BASE}"' in page.text and "SAML-Dienste" in page.text


# --- adding -------------------------------------------------------------------------------------


def test_add_from_an_upload(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser), want_encrypted=True)
    response = add_sp(admin, sp, name="Hundesteuer", encrypt_assertion="y", min_level="substantial")
    assert response.status_code == 303
    found = the_sp(app)
    assert response.headers["Location"] == f"{BASE}/{found.id}"
    assert (found.name, found.min_level, found.encrypt_assertion) == (
        "Hundesteuer",
        "substantial",
        True,
    )
    assert found.release == ["email", "given_names"]
    assert found.name_id_formats == ["persistent", "transient"]
    assert saml_events(portal) == [("saml.sp_registered", admin.citizen_id)]
    page = admin.browser.get(response.headers["Location"])
    assert "https://sp.example.org/acs" in page.text and "RSA 3072" in page.text
    assert "Hundesteuer" in admin.browser.get(BASE).text


def test_add_from_a_url(
    app: Flask,
    admin: Admin,
    metadata_server: tuple[str, dict[str, bytes]],  # noqa: F811
) -> None:
    base, documents = metadata_server
    sp = OneLoginSp(hub_metadata(admin.browser))
    documents["/metadata.xml"] = sp.metadata().encode()
    response = upload(
        admin.browser, BASE + "/neu", None, metadata_url=base + "/metadata.xml", **SETTINGS
    )
    assert response.status_code == 303
    assert the_sp(app).metadata_url == base + "/metadata.xml"


def _refused_at(response: TestResponse, field: str, message: str) -> None:
    assert response.status_code == 400, response.status_code
    assert message in response.text
    assert f'id="{field}-error"' in response.text  # tied to its field (aria-describedby)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"encrypt_assertion": "y"}, "encrypt_assertion", "Verschlüsselung verlangt"),
        ({"sign_response": "", "sign_assertion": ""}, "sign_response", "muss signiert sein"),
        ({"roles": "admin"}, "roles", "Rollen: nur clerk:"),
        ({"name_id_formats": []}, "name_id_formats", "NameID-Formate"),
        ({"release": ["shoe_size"]}, "release", "shoe_size"),
    ],
)
def test_add_refused_for_settings_the_metadata_cannot_carry(
    app: Flask,
    portal: Portal,
    admin: Admin,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    settings = {k: v for k, v in (SETTINGS | changes).items() if v != ""}
    response = upload(admin.browser, BASE + "/neu", sp.metadata(), **settings)
    _refused_at(response, field, message)
    assert snapshot(app) == [] and saml_events(portal) == []


def test_add_refused_for_weak_metadata(app: Flask, portal: Portal, admin: Admin) -> None:
    weak = OneLoginSp(hub_metadata(admin.browser), keys=make_key_pair("weak", bits=2048))
    _refused_at(add_sp(admin, weak), "metadata_file", "Schwacher Schlüssel: RSA mit 2048 Bit")
    _refused_at(
        upload(admin.browser, BASE + "/neu", "<!DOCTYPE x><x/>", **SETTINGS),
        "metadata_file",
        "document type declarations are not accepted",
    )
    _refused_at(
        upload(admin.browser, BASE + "/neu", None, **SETTINGS),
        "metadata_file",
        "Datei hoch oder geben Sie eine Adresse an",
    )
    _refused_at(
        upload(admin.browser, BASE + "/neu", None, metadata_url="file:///etc/passwd", **SETTINGS),
        "metadata_url",
        "Nur https-Adressen",
    )
    assert snapshot(app) == [] and saml_events(portal) == []


def test_add_refused_twice(app: Flask, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    before = snapshot(app)
    _refused_at(add_sp(admin, sp), "metadata_file", "schon registriert")
    assert snapshot(app) == before


# --- changing ----------------------------------------------------------------------------------


def _sso_attributes(sp: OneLoginSp, browser: Browser) -> dict[str, list[str]]:
    auth = sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    assert auth.get_errors() == [], auth.get_last_error_reason()
    attributes: dict[str, list[str]] = auth.get_attributes()
    return attributes


def test_settings_changed_take_effect(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser), want_encrypted=True)
    assert add_sp(admin, sp).status_code == 303
    sp.settings_data["security"]["wantAssertionsEncrypted"] = False
    assert "urn:oid:0.9.2342.19200300.100.1.3" in _sso_attributes(sp, admin.browser)
    sp.settings_data["security"]["wantAssertionsEncrypted"] = True
    path = f"{BASE}/{the_sp(app).id}"
    changed = upload(
        admin.browser,
        path,
        None,
        **(SETTINGS | {"release": ["family_names"], "encrypt_assertion": "y", "name": "Neu"}),
    )
    assert changed.status_code == 303, changed.text[:500]
    found = the_sp(app)
    assert (found.release, found.encrypt_assertion, found.name) == (["family_names"], True, "Neu")
    attributes = _sso_attributes(sp, admin.browser)
    assert "urn:oid:0.9.2342.19200300.100.1.3" not in attributes  # e-mail no longer released
    assert attributes == {"urn:oid:1.2.40.0.10.2.1.1.261.94": ["STORK-QAA-Level-1"]}
    assert saml_events(portal) == [
        ("saml.sp_registered", admin.citizen_id),
        ("saml.sp_changed", admin.citizen_id),
    ]


def test_idp_initiated_sso_is_set_on_the_page(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp, allow_idp_initiated="y").status_code == 303
    assert the_sp(app).allow_idp_initiated
    path = f"{BASE}/{the_sp(app).id}"
    page = admin.browser.get(path)
    assert 'name="allow_idp_initiated"' in page.text
    assert "/saml/unsolicited?providerId=https://sp.example.org/metadata" in page.text
    start = "/saml/unsolicited?providerId=" + ENTITY
    assert admin.browser.get(start).status_code == 303
    assert upload(admin.browser, path, None, **SETTINGS).status_code == 303  # unchecked
    assert not the_sp(app).allow_idp_initiated
    assert admin.browser.get(start).status_code == 403
    assert [e for e, _ in saml_events(portal)] == ["saml.sp_registered", "saml.sp_changed"]


def test_a_refused_change_changes_nothing(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    before = snapshot(app)
    path = f"{BASE}/{the_sp(app).id}"
    response = upload(
        admin.browser,
        path,
        None,
        **(SETTINGS | {"release": ["family_names"], "encrypt_assertion": "y"}),
    )
    _refused_at(response, "encrypt_assertion", "Verschlüsselung verlangt")
    other = OneLoginSp(hub_metadata(admin.browser), entity_id="https://other.example/metadata")
    response = upload(admin.browser, path, other.metadata(), **SETTINGS)
    _refused_at(response, "metadata_file", "anderen entityID")
    assert snapshot(app) == before
    assert [e for e, _ in saml_events(portal)] == ["saml.sp_registered"]


def test_new_metadata_for_the_same_entity(app: Flask, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    moved = sp.metadata().replace("https://sp.example.org/acs", "https://sp.example.org/acs2")
    response = upload(admin.browser, f"{BASE}/{the_sp(app).id}", moved, **SETTINGS)
    assert response.status_code == 303
    assert "https://sp.example.org/acs2" in the_sp(app).metadata_xml


# --- enable/disable, remove ---------------------------------------------------------------------


def test_disable_and_enable(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    path = f"{BASE}/{the_sp(app).id}/status"
    token = csrf_token(admin.browser.get(BASE).text)
    assert admin.browser.post(path, {"csrf_token": token}).status_code == 303
    assert not the_sp(app).enabled
    refused = admin.browser.get(path_of(sp.login_url()))
    assert refused.status_code == 400
    assert admin.browser.post(path, {"csrf_token": token}).status_code == 303
    assert the_sp(app).enabled
    assert [e for e, _ in saml_events(portal)] == [
        "saml.sp_registered",
        "saml.sp_disabled",
        "saml.sp_enabled",
    ]


def test_remove_needs_confirmation_and_takes_the_pseudonyms(
    app: Flask, portal: Portal, admin: Admin
) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    _sso_attributes(sp, admin.browser)
    sp_id = the_sp(app).id
    token = csrf_token(admin.browser.get(f"{BASE}/{sp_id}").text)
    unconfirmed = admin.browser.post(f"{BASE}/{sp_id}/entfernen", {"csrf_token": token})
    _refused_at(unconfirmed, "confirm", "Bitte bestätigen Sie das Löschen.")
    assert len(snapshot(app)) == 1
    done = admin.browser.post(f"{BASE}/{sp_id}/entfernen", {"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303 and done.headers["Location"] == BASE
    assert snapshot(app) == []
    with app.app_context():
        from core.db import db

        assert db.session.query(PairwiseNameId).count() == 0
    assert admin.browser.get(f"{BASE}/{sp_id}").status_code == 404


# --- CSRF ---------------------------------------------------------------------------------------


def test_without_csrf_token_nothing_changes(app: Flask, portal: Portal, admin: Admin) -> None:
    sp = OneLoginSp(hub_metadata(admin.browser))
    refused = upload(admin.browser, BASE + "/neu", sp.metadata(), with_csrf=False, **SETTINGS)
    assert refused.status_code == 400 and snapshot(app) == []
    assert add_sp(admin, sp).status_code == 303
    before, events = snapshot(app), saml_events(portal)
    sp_id = the_sp(app).id
    changed = upload(
        admin.browser, f"{BASE}/{sp_id}", None, with_csrf=False, **(SETTINGS | {"name": "X"})
    )
    assert changed.status_code == 400
    for path, data in (
        (f"{BASE}/{sp_id}/status", {}),
        (f"{BASE}/{sp_id}/entfernen", {"confirm": "y"}),
    ):
        assert admin.browser.post(path, data).status_code == 400
    assert snapshot(app) == before and saml_events(portal) == events


def test_saving_keeps_the_default_name_id_format(app: Flask, admin: Admin) -> None:
    """Checkboxes arrive in page order; the SP's first (default) format stays first."""
    from idp.saml import registry

    sp = OneLoginSp(hub_metadata(admin.browser))
    assert add_sp(admin, sp).status_code == 303
    with app.test_request_context():
        found = sp_by_entity_id(ENTITY)
        assert found is not None
        settings = registry.settings_of(found)
        from dataclasses import replace

        registry.change(found, replace(settings, name_id_formats=("transient", "persistent")))
    response = upload(admin.browser, f"{BASE}/{the_sp(app).id}", None, **SETTINGS)
    assert response.status_code == 303
    assert the_sp(app).name_id_formats == ["transient", "persistent"]
