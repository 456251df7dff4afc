"""The key administration pages: only admins, only after a recent login, CSRF on every change,
a clear refusal that changes nothing, and an audit event with the admin as actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

import pytest
from flask import Flask

from account.models import citizen_by_email
from certs import KeyAlgorithm, KeyPurpose
from certs.models import ManagedKey
from core.clock import FrozenClock
from core.db import db
from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.test_certs_lifecycle import key_events
from tests.unit.test_certs_imports import PASSWORD, city_pki, p12, rsa_key

KEYS = "/verwaltung/schluessel"
FRESH = 15 * 60


@dataclass
class Admin:
    browser: Browser
    citizen_id: str


def grant_admin(app: Flask, email: str) -> str:
    with app.app_context():  # ``flask`` itself pushes it; the test runner does not
        result = app.test_cli_runner().invoke(args=["accounts", "grant", email, "admin"])
        assert result.exit_code == 0, result.output
        citizen = citizen_by_email(email)
        assert citizen is not None
        return citizen.id


@pytest.fixture
def admin(app: Flask, portal: Portal, erika: Citizen) -> Admin:
    citizen_id = grant_admin(app, erika.email)
    browser = portal.new_browser("192.0.2.50")
    assert browser.login(erika.email, erika.password).status_code == 303
    return Admin(browser, citizen_id)


def rows(app: Flask) -> list[ManagedKey]:
    with app.app_context():
        found: list[ManagedKey] = app.extensions["certs"].rows()
        for row in found:
            db.session.expunge(row)
        return found


def row_of(app: Flask, purpose: KeyPurpose, algorithm: KeyAlgorithm, state: str) -> ManagedKey:
    matches = [
        r
        for r in rows(app)
        if (r.purpose, r.algorithm, r.state) == (purpose.value, algorithm.value, state)
    ]
    assert len(matches) == 1
    return matches[0]


def snapshot(app: Flask) -> tuple[list[tuple[str, str]], int]:
    with app.app_context():
        return sorted((r.id, r.state) for r in rows(app)), len(key_events())


# --- access -------------------------------------------------------------------------------


def test_without_login_the_pages_redirect_to_the_login(portal: Portal) -> None:
    browser = portal.new_browser()
    for path in (KEYS, f"{KEYS}/import", f"{KEYS}/notfall"):
        response = browser.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/anmelden?next=")


def test_a_citizen_without_the_admin_role_gets_403(
    app: Flask, portal: Portal, erika: Citizen
) -> None:
    browser = portal.new_browser()
    browser.login(erika.email, erika.password)
    assert browser.get(KEYS).status_code == 403
    before = snapshot(app)
    page = browser.get("/")
    response = browser.post(
        f"{KEYS}/neu",
        {"csrf_token": csrf_token(page.text), "purpose": "oidc-signing", "algorithm": "ec-p256"},
    )
    assert response.status_code == 403
    assert snapshot(app) == before


def test_a_stale_login_must_be_renewed(admin: Admin, clock: FrozenClock, erika: Citizen) -> None:
    assert admin.browser.get(KEYS).status_code == 200
    clock.advance(FRESH + 1)
    response = admin.browser.get(KEYS)
    assert response.status_code == 303
    relogin = response.headers["Location"]
    assert "erneut=1" in relogin
    renewed = admin.browser.submit(relogin, email=erika.email, password=erika.password)
    assert renewed.headers["Location"] == KEYS
    assert admin.browser.get(KEYS).status_code == 200


def test_the_admin_home_links_the_key_pages(admin: Admin) -> None:
    home = admin.browser.get("/verwaltung")
    assert home.status_code == 200
    assert f'href="{KEYS}"' in home.text and "Schlüssel und Zertifikate" in home.text


# --- the overview ---------------------------------------------------------------------------


def test_overview_shows_purpose_algorithm_state_validity_fingerprint(
    app: Flask, admin: Admin, clock: FrozenClock, erika: Citizen
) -> None:
    page = admin.browser.get(KEYS)
    assert page.status_code == 200
    for label in ("SAML-Signatur", "SAML-Verschlüsselung", "OpenID-Connect-Signatur", "Aktiv"):
        assert label in page.text
    for row in rows(app):
        pairs = [row.fingerprint[i : i + 2].upper() for i in range(0, 64, 2)]
        lines = [":".join(pairs[i : i + 8]) for i in range(0, 32, 8)]  # 4 lines of 8 bytes
        assert "<br>".join(lines) in page.text
        assert f"{KEYS}/{row.id}" in page.text
    assert "Kein aktiver Schlüssel läuft in nächster Zeit ab." in page.text
    saml = row_of(app, KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, "active")
    clock.advance(saml.not_after.timestamp() - clock.now() - 5 * 86400)
    admin.browser.login(erika.email, erika.password)  # months later: log in afresh
    soon = admin.browser.get(KEYS).text
    section = soon.split("Läuft bald ab", 1)[1].split("Alle Schlüssel", 1)[0]
    assert "SAML-Signatur" in section and "gültig bis" in section


def test_detail_page_shows_the_certificate(app: Flask, admin: Admin) -> None:
    row = row_of(app, KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, "active")
    page = admin.browser.get(f"{KEYS}/{row.id}")
    assert page.status_code == 200
    assert "BEGIN CERTIFICATE" in page.text and "PRIVATE" not in page.text
    assert row.kid in page.text
    download = admin.browser.get(f"{KEYS}/{row.id}/oeffentlich.pem")
    assert download.status_code == 200 and download.text.startswith("-----BEGIN CERTIFICATE")
    assert admin.browser.get(f"{KEYS}/no-such-key").status_code == 404


# --- changes ------------------------------------------------------------------------------


def test_create_activate_retire_remove_through_the_pages(
    app: Flask, admin: Admin, clock: FrozenClock, erika: Citizen
) -> None:
    created = admin.browser.submit(f"{KEYS}/neu", KEYS, purpose="eid-tls", algorithm="ec-p256")
    assert created.status_code == 303
    first = row_of(app, KeyPurpose.EID_TLS, KeyAlgorithm.EC_P256, "next")
    detail = f"{KEYS}/{first.id}"
    assert admin.browser.submit(f"{detail}/aktivieren", detail).status_code == 303
    assert (
        admin.browser.submit(
            f"{KEYS}/neu", KEYS, purpose="eid-tls", algorithm="ec-p256"
        ).status_code
        == 303
    )
    second = row_of(app, KeyPurpose.EID_TLS, KeyAlgorithm.EC_P256, "next")

    before = snapshot(app)
    early = admin.browser.submit(f"{KEYS}/{second.id}/aktivieren", f"{KEYS}/{second.id}")
    assert early.status_code == 409 and "frühestens" in early.text
    assert snapshot(app) == before
    forced = admin.browser.submit(
        f"{KEYS}/{second.id}/aktivieren", f"{KEYS}/{second.id}", force="y", reason="Test"
    )
    assert forced.status_code == 303
    assert row_of(app, KeyPurpose.EID_TLS, KeyAlgorithm.EC_P256, "retired").id == first.id

    early_removal = admin.browser.submit(f"{detail}/entfernen", detail)
    assert early_removal.status_code == 409 and "frühestens" in early_removal.text
    clock.advance(2 * 86400)
    admin.browser.login(erika.email, erika.password)  # a fresh login after two days
    assert admin.browser.submit(f"{detail}/entfernen", detail).status_code == 303
    assert first.id not in {r.id for r in rows(app)}
    retire = admin.browser.submit(
        f"{KEYS}/{second.id}/ausser-dienst", f"{KEYS}/{second.id}", force="y"
    )
    assert retire.status_code == 303
    with app.app_context():
        mine = [e for e in key_events() if e.actor_id == admin.citizen_id]
        assert [e.event for e in mine] == [
            "key.created",
            "key.activated",
            "key.created",
            "key.retired",
            "key.activated",
            "key.removed",
            "key.retired",
        ]
        assert all(e.details["via"] == "web" and e.client_address == "192.0.2.50" for e in mine)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/neu", {"purpose": "oidc-signing", "algorithm": "ec-p256"}),
        (
            "/notfall",
            {"purpose": "oidc-signing", "algorithm": "ec-p256", "reason": "x", "confirm": "y"},
        ),
        ("/{key}/aktivieren", {"force": "y", "reason": "x"}),
        ("/{key}/entfernen", {"force": "y"}),
        ("/{active}/ausser-dienst", {"force": "y"}),
    ],
)
def test_without_csrf_token_400_and_nothing_changed(
    app: Flask, admin: Admin, path: str, fields: dict[str, str]
) -> None:
    with app.app_context():
        nxt = app.extensions["certs"].create(KeyPurpose.OIDC_SIGNING, KeyAlgorithm.EC_P256)
        key_id = nxt.id
    active = row_of(app, KeyPurpose.OIDC_SIGNING, KeyAlgorithm.EC_P256, "active")
    before = snapshot(app)
    target = KEYS + path.format(key=key_id, active=active.id)
    response = admin.browser.post(target, fields)
    assert response.status_code == 400
    assert snapshot(app) == before
    forged = admin.browser.post(target, {**fields, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert snapshot(app) == before


def test_import_through_the_upload(app: Flask, admin: Admin) -> None:
    pki, key = city_pki(), rsa_key(3072, "web")
    bundle = p12(key, pki.leaf(key), [pki.intermediate])
    page = admin.browser.get(f"{KEYS}/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text

    def upload(password: str) -> object:
        token = csrf_token(admin.browser.get(f"{KEYS}/import").text)
        return admin.browser.client.post(
            f"{KEYS}/import",
            data={
                "csrf_token": token,
                "purpose": "saml-signing",
                "password": password,
                "bundle": (BytesIO(bundle), "stadt.p12"),
            },
            content_type="multipart/form-data",
            environ_base={"REMOTE_ADDR": admin.browser.address},
        )

    before = snapshot(app)
    refused = upload("falsch")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "falsches Passwort" in refused.text  # type: ignore[attr-defined]
    assert snapshot(app) == before
    accepted = upload(PASSWORD)
    assert accepted.status_code == 303  # type: ignore[attr-defined]
    imported = row_of(app, KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, "next")
    assert imported.origin == "imported" and "Issuing CA" in (imported.issuer or "")


def test_forced_rollover_needs_reason_and_confirmation(app: Flask, admin: Admin) -> None:
    old = row_of(app, KeyPurpose.OIDC_SIGNING, KeyAlgorithm.RSA_3072, "active")
    before = snapshot(app)
    unconfirmed = admin.browser.submit(
        f"{KEYS}/notfall", purpose="oidc-signing", algorithm="rsa-3072", reason="Leak"
    )
    assert unconfirmed.status_code == 400 and "bestätigen" in unconfirmed.text
    assert re.search(
        r'aria-invalid="true"[^>]*id="confirm"|id="confirm"[^>]*aria-invalid', unconfirmed.text
    )
    assert snapshot(app) == before
    done = admin.browser.submit(
        f"{KEYS}/notfall",
        purpose="oidc-signing",
        algorithm="rsa-3072",
        reason="Leak",
        confirm="y",
        remove_old="y",
    )
    assert done.status_code == 303
    assert old.id not in {r.id for r in rows(app)}
    new = row_of(app, KeyPurpose.OIDC_SIGNING, KeyAlgorithm.RSA_3072, "active")
    assert done.headers["Location"] == f"{KEYS}/{new.id}"
