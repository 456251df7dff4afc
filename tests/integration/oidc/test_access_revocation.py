"""Access tokens end with their grant, not only at their ``exp``: after logout of their SSO
session, after the citizen withdraws consent, and when their refresh token is revoked
(RFC 7009 §2.1) — at userinfo and at introspection, driven by Authlib's client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Flask

from tests.helpers import Browser, Citizen, Portal, csrf_token
from tests.integration.oidc import flow
from tests.integration.oidc.support import Rp, register

TOKEN = flow.ISSUER + "/oidc/token"
USERINFO = flow.ISSUER + "/oidc/userinfo"
INTROSPECT = flow.ISSUER + "/oidc/introspect"
REVOKE = flow.ISSUER + "/oidc/revoke"


def _signed_in(app: Flask, browser: Browser, rp: Rp) -> tuple[OAuth2Client, dict[str, Any]]:
    """An Authlib client holding tokens from a full code flow through ``browser``."""
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, browser)
    token: dict[str, Any] = client.fetch_token(
        TOKEN, authorization_response=login.callback, code_verifier=login.verifier
    )
    return client, token


def _holding(app: Flask, rp: Rp, access_token: str) -> OAuth2Client:
    """An Authlib client that presents exactly ``access_token``."""
    return flow.oauth_client(app, rp, token={"access_token": access_token, "token_type": "Bearer"})


def _userinfo_status(app: Flask, rp: Rp, access_token: str) -> int:
    answer = _holding(app, rp, access_token).get(USERINFO)
    if answer.status_code == 401:
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    return int(answer.status_code)


def _active(app: Flask, rp: Rp, access_token: str) -> bool:
    answer = flow.oauth_client(app, rp).introspect_token(
        INTROSPECT, token=access_token, token_type_hint="access_token"
    )
    assert answer.status_code == 200
    return bool(answer.json()["active"])


def _live(app: Flask, rp: Rp, access_token: str) -> bool:
    """Userinfo and introspection agree on whether the token still works."""
    status = _userinfo_status(app, rp, access_token)
    assert status in {200, 401}
    assert _active(app, rp, access_token) is (status == 200)
    return status == 200


def _second_session(portal: Portal, erika: Citizen) -> Browser:
    browser = portal.new_browser(address="192.0.2.20")
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser


def _rp_initiated_logout(browser: Browser, token: dict[str, Any]) -> None:
    query = urlencode({"id_token_hint": token["id_token"]})
    assert browser.get("/oidc/logout?" + query).status_code == 200  # "logged out" page


def _hub_logout(browser: Browser, token: dict[str, Any]) -> None:
    assert browser.logout().status_code in {302, 303}


@pytest.mark.parametrize("logout", [_rp_initiated_logout, _hub_logout], ids=["rp", "hub"])
def test_logout_ends_the_sessions_access_tokens_at_once(
    app: Flask, portal: Portal, erika: Citizen, citizen_browser: Browser, rp: Rp, logout: Any
) -> None:
    client, token = _signed_in(app, citizen_browser, rp)
    assert client.get(USERINFO).json()["email"] == "erika@example.org"
    _other_client, elsewhere = _signed_in(app, _second_session(portal, erika), rp)
    assert _live(app, rp, token["access_token"]) and _live(app, rp, elsewhere["access_token"])

    logout(citizen_browser, token)

    answer = client.get(USERINFO)  # well before the token's exp
    assert (
        answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    )
    assert not _live(app, rp, token["access_token"])
    # the same citizen's other session is not affected
    assert _live(app, rp, elsewhere["access_token"])


def test_a_code_redeemed_after_logout_buys_nothing(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    client = flow.oauth_client(app, rp)
    login = flow.authorize(client, citizen_browser)
    citizen_browser.logout()
    with pytest.raises((OAuthError, OAuth2Error)) as refused:
        client.fetch_token(
            TOKEN, authorization_response=login.callback, code_verifier=login.verifier
        )
    assert "invalid_grant" in str(refused.value)


def test_withdrawn_consent_ends_the_clients_access_tokens(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    other = register(app, name="Sperrmüll")
    client, token = _signed_in(app, citizen_browser, rp)
    _client, kept = _signed_in(app, citizen_browser, other)
    assert _live(app, rp, token["access_token"]) and _live(app, other, kept["access_token"])
    page = citizen_browser.get("/konto/dienste")
    citizen_browser.post(
        f"/konto/dienste/{rp.client_id}/widerrufen", {"csrf_token": csrf_token(page.text)}
    )
    assert client.get(USERINFO).status_code == 401
    assert not _live(app, rp, token["access_token"])
    assert _live(app, other, kept["access_token"])  # consent to another service stays
    # consenting again yields tokens that work
    _again, fresh = _signed_in(app, citizen_browser, rp)
    assert _live(app, rp, fresh["access_token"])


def test_revoking_a_refresh_token_ends_the_access_tokens_of_its_grant(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    client, token = _signed_in(app, citizen_browser, rp)
    renewed = client.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    _client, separate = _signed_in(app, citizen_browser, rp)  # a grant of its own
    for access in (token["access_token"], renewed["access_token"], separate["access_token"]):
        assert _live(app, rp, access)

    revoked = client.revoke_token(REVOKE, renewed["refresh_token"], token_type_hint="refresh_token")
    assert revoked.status_code == 200

    assert client.get(USERINFO).status_code == 401  # the renewed access token
    assert not _live(app, rp, token["access_token"])  # and the first one of the family
    assert not _live(app, rp, renewed["access_token"])
    assert _live(app, rp, separate["access_token"])


def test_refresh_reuse_ends_the_familys_access_tokens(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    client, token = _signed_in(app, citizen_browser, rp)
    renewed = client.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    assert _live(app, rp, renewed["access_token"])
    with pytest.raises((OAuthError, OAuth2Error)):
        client.refresh_token(TOKEN, refresh_token=token["refresh_token"])  # the old one again
    assert not _live(app, rp, renewed["access_token"])


def test_revoking_another_clients_refresh_token_changes_nothing(
    app: Flask, citizen_browser: Browser, rp: Rp
) -> None:
    other = register(app, name="Sperrmüll")
    _client, token = _signed_in(app, citizen_browser, rp)
    answer = flow.oauth_client(app, other).revoke_token(
        REVOKE, token["refresh_token"], token_type_hint="refresh_token"
    )
    assert answer.status_code == 200  # RFC 7009 §2.2: no hint whether the token exists
    assert _live(app, rp, token["access_token"])
