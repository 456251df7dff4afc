"""The registry's admin pages: admins only, fresh login, CSRF, secrets shown once."""

from __future__ import annotations

import re

from flask import Flask

from core.audit import AuditRecord
from core.db import db
from idp.oidc import registry
from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.test_certs_admin import grant_admin

ADMIN = "/verwaltung/oidc"


def _admin(app: Flask, portal: Portal, erika: Citizen) -> Browser:
    grant_admin(app, erika.email)
    browser = portal.new_browser("192.0.2.60")
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser


def _new(browser: Browser, **fields: str) -> object:
    page = browser.get(ADMIN + "/neu")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_token(page.text),
        "name": "Ferienspiele",
        "redirect_uris": "https://ferien.example/cb\nhttps://ferien.example/cb2",
        "auth_method": "client_secret_basic",
        "min_level": "low",
        "consent": "required",
        "id_token_alg": "RS256",
        **fields,
    }
    return browser.client.post(
        ADMIN + "/neu",
        data={**form, "scopes": ["profile", "email"], "release": ["given_names", "email"]},
    )


def test_only_admins_with_a_fresh_login(app: Flask, portal: Portal, erika: Citizen) -> None:
    citizen = portal.new_browser()
    assert citizen.get(ADMIN).status_code == 303  # to the login
    citizen.login(erika.email, erika.password)
    assert citizen.get(ADMIN).status_code == 403
    admin = _admin(app, portal, erika)
    assert admin.get("/verwaltung").status_code == 200
    assert "OpenID-Connect-Dienste" in admin.get("/verwaltung").text
    portal.clock.advance(16 * 60)
    assert "erneut=1" in admin.get(ADMIN).headers["Location"]


def test_register_edit_rotate_disable(app: Flask, portal: Portal, erika: Citizen) -> None:
    admin = _admin(app, portal, erika)
    created = _new(admin, client_id="ferien")
    assert created.status_code == 200  # type: ignore[attr-defined]
    secret = re.search(r'id="client-secret">([^<]+)<', created.text).group(1)  # type: ignore[attr-defined,union-attr]
    with app.app_context():
        client = registry.get("ferien")
        assert client is not None and registry.secret_matches(client, secret)
        assert client.scopes == ["openid", "profile", "email"]
        assert client.redirect_uris == ["https://ferien.example/cb", "https://ferien.example/cb2"]
        events = {r.event: r.actor_id for r in db.session.query(AuditRecord)}
        assert events["oidc.client_registered"]
    listing = admin.get(ADMIN)
    assert "Ferienspiele" in listing.text and secret not in listing.text
    edit = admin.get(ADMIN + "/ferien")
    assert secret not in edit.text and "https://ferien.example/cb2" in edit.text
    saved = admin.post(
        ADMIN + "/ferien",
        {
            "csrf_token": csrf_token(edit.text),
            "name": "Ferienspiele 2027",
            "redirect_uris": "https://ferien.example/cb",
            "auth_method": "client_secret_basic",
            "min_level": "substantial",
            "consent": "skip",
            "id_token_alg": "ES256",
        },
    )
    assert saved.status_code == 303
    with app.app_context():
        client = registry.get("ferien")
        assert client is not None and client.min_level == "substantial" and client.consent == "skip"
        assert registry.secret_matches(client, secret)  # unchanged method keeps the secret
    rotated = admin.post(ADMIN + "/ferien/geheimnis", {"csrf_token": csrf_token(listing.text)})
    new_secret = re.search(r'id="client-secret">([^<]+)<', rotated.text).group(1)  # type: ignore[union-attr]
    assert new_secret != secret
    assert admin.post(ADMIN + "/ferien/status", {}).status_code == 400  # CSRF
    admin.post(ADMIN + "/ferien/status", {"csrf_token": csrf_token(listing.text)})
    with app.app_context():
        client = registry.get("ferien")
        assert client is not None and not client.enabled


def test_bad_input_changes_nothing(app: Flask, portal: Portal, erika: Citizen) -> None:
    admin = _admin(app, portal, erika)
    bad = _new(admin, redirect_uris="https://ferien.example/cb#frag", client_id="x y")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "Fragment" in bad.text  # type: ignore[attr-defined]
    jwks = _new(admin, auth_method="private_key_jwt", jwks="{not json")
    assert jwks.status_code == 400  # type: ignore[attr-defined]
    forged = admin.client.post(
        ADMIN + "/neu", data={"name": "X", "redirect_uris": "https://x.example/"}
    )
    assert forged.status_code == 400
    with app.app_context():
        assert registry.all_clients() == []
    assert admin.get(ADMIN + "/no-such-client").status_code == 404
