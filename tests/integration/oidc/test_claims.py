"""Claims: release list, pairwise subjects per sector, verified_claims for ID-card values."""

from __future__ import annotations

from datetime import date

from flask import Flask

from account.attributes import Provenance
from account.models import ProfileValue, citizen_by_email
from core.clock import to_datetime
from core.db import db
from tests.helpers import Browser, Citizen
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp, register


def _userinfo(app: Flask, browser: Browser, rp: Rp, scope: str, **params: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    client = flow.oauth_client(app, rp, scope=scope)
    login = flow.authorize(client, browser, **params)
    token = client.fetch_token(
        flow.ISSUER + "/oidc/token",
        authorization_response=login.callback,
        code_verifier=login.verifier,
    )
    id_claims = flow.validated_id_token(app, token["id_token"], rp, login.nonce)
    return id_claims, client.get(flow.ISSUER + "/oidc/userinfo").json()


def _set_profile(app: Flask, email: str) -> str:
    with app.app_context():
        citizen = citizen_by_email(email)
        assert citizen is not None
        now = to_datetime(app.extensions["clock"].now())
        citizen.profile_values = [
            ProfileValue(
                attribute="given_names",
                value="Erika",
                provenance=Provenance.EID.value,
                verified_on=date(2026, 3, 1),
                updated_at=now,
            ),
            ProfileValue(
                attribute="family_names",
                value="Mustermann",
                provenance=Provenance.EID.value,
                verified_on=date(2026, 3, 1),
                updated_at=now,
            ),
            ProfileValue(
                attribute="street_address",
                value="Heidestraße 17",
                provenance=Provenance.SELF.value,
                updated_at=now,
            ),
            ProfileValue(
                attribute="locality", value="Köln", provenance=Provenance.SELF.value, updated_at=now
            ),
            ProfileValue(
                attribute="phone",
                value="+49 221 1",
                provenance=Provenance.SELF.value,
                updated_at=now,
            ),
        ]
        db.session.commit()
        return citizen.id


def test_release_list_and_verified_claims(
    app: Flask, citizen_browser: Browser, erika: Citizen, rp: Rp
) -> None:
    _set_profile(app, erika.email)
    _id, info = _userinfo(app, citizen_browser, rp, "openid profile email address phone")
    assert info["email"] == erika.email
    assert info["address"] == {"street_address": "Heidestraße 17", "locality": "Köln"}
    assert "phone_number" not in info  # phone is not in the client's scopes nor release list
    assert "given_name" not in info  # ID-card values only inside verified_claims
    [verified] = info["verified_claims"]
    assert verified["verification"]["trust_framework"] == "eidas"
    assert verified["verification"]["time"] == "2026-03-01"
    assert verified["claims"] == {"given_name": "Erika", "family_name": "Mustermann"}


def test_claims_parameter_puts_claims_into_the_id_token(
    app: Flask, citizen_browser: Browser, erika: Citizen, rp: Rp
) -> None:
    _set_profile(app, erika.email)
    claims = (
        '{"id_token": {"email": null, "given_name": {"essential": true}},'
        ' "userinfo": {"address": null}}'
    )
    id_claims, info = _userinfo(app, citizen_browser, rp, "openid", claims=claims)
    assert id_claims["email"] == erika.email
    assert id_claims["verified_claims"][0]["claims"] == {"given_name": "Erika"}
    assert "address" not in id_claims
    assert info["address"] == {"street_address": "Heidestraße 17", "locality": "Köln"}


def test_pairwise_subjects(app: Flask, citizen_browser: Browser, erika: Citizen) -> None:
    citizen_id = _set_profile(app, erika.email)
    a = register(app, name="A", scopes=["openid"], release=[])
    b = register(app, name="B", scopes=["openid"], release=[])
    c = register(app, name="C", scopes=["openid"], release=[], sector_identifier="sector-ab")
    d = register(app, name="D", scopes=["openid"], release=[], sector_identifier="sector-ab")
    subs = {
        rp.client_id: _userinfo(app, citizen_browser, rp, "openid")[1]["sub"] for rp in (a, b, c, d)
    }
    assert subs[a.client_id] != subs[b.client_id]
    assert subs[c.client_id] == subs[d.client_id] != subs[a.client_id]
    assert citizen_id not in subs.values()
    # stable: a second login gives the same pseudonym
    assert _userinfo(app, citizen_browser, a, "openid")[1]["sub"] == subs[a.client_id]
