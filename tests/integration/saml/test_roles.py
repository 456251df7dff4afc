"""The roles attribute (eduPersonEntitlement, urn:oid:1.3.6.1.4.1.5923.1.1.1.7): an SP learns a
clerk's role only when the role is on its own registry entry (``roles``, the release list for
roles), and only the roles the citizen holds — never another service's, never ``admin``; with
python3-saml and pysaml2 (stock ``xmlsec1`` backend) as the SPs, SP-initiated and unsolicited."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from saml2 import BINDING_HTTP_REDIRECT

from tests.helpers import Browser, Citizen, Portal
from tests.saml_pysaml2 import PySaml2Sp, path_and_query
from tests.saml_support import OneLoginSp, follow, hub_metadata, path_of, posted_form, register_sp

pytestmark = pytest.mark.storage
ROLES = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"
EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"


def grant(app: Flask, email: str, role: str) -> None:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["accounts", "grant", email, role])
        assert result.exit_code == 0, result.output


@pytest.fixture
def clerk(app: Flask, portal: Portal, erika: Citizen) -> Browser:
    """Erika holds the clerk roles of two services and is an administrator, logged in."""
    for role in ("clerk:hundesteuer", "clerk:sperrmuell", "admin"):
        grant(app, erika.email, role)
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    return browser


def onelogin_attributes(
    app: Flask, browser: Browser, entity_id: str, **settings: Any
) -> tuple[dict[str, list[str]], str]:
    sp = OneLoginSp(hub_metadata(browser), entity_id=entity_id)
    register_sp(app, sp.metadata(), release=("email",), **settings)
    form = posted_form(follow(browser, browser.get(path_of(sp.login_url()))))
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    attributes: dict[str, list[str]] = auth.get_attributes()
    return attributes, base64.b64decode(form.fields["SAMLResponse"]).decode()


def test_only_the_roles_on_the_sps_entry(app: Flask, clerk: Browser) -> None:
    back_office, xml = onelogin_attributes(
        app, clerk, "https://hundesteuer.example/md", roles=("clerk:hundesteuer",)
    )
    assert back_office[ROLES] == ["clerk:hundesteuer"]
    assert "clerk:sperrmuell" not in xml and "admin" not in back_office[ROLES]
    both, _ = onelogin_attributes(
        app,
        clerk,
        "https://zwei.example/md",
        roles=("clerk:sperrmuell", "clerk:hundesteuer", "clerk:kita"),
    )
    assert both[ROLES] == ["clerk:hundesteuer", "clerk:sperrmuell"]  # held ∩ allowed


@pytest.mark.parametrize(
    "roles",
    [(), ("clerk:kita",)],
    ids=["no-roles-on-entry", "roles-the-citizen-does-not-hold"],
)
def test_no_roles_attribute_otherwise(app: Flask, clerk: Browser, roles: tuple[str, ...]) -> None:
    attributes, xml = onelogin_attributes(app, clerk, "https://buerger.example/md", roles=roles)
    assert ROLES not in attributes and "eduPersonEntitlement" not in xml
    assert "clerk:" not in xml
    assert attributes[EMAIL] == ["erika@example.org"]  # the release list still applies


def test_a_citizen_without_roles_gets_none(app: Flask, portal: Portal, erika: Citizen) -> None:
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    attributes, xml = onelogin_attributes(
        app, browser, "https://hundesteuer.example/md", roles=("clerk:hundesteuer",)
    )
    assert ROLES not in attributes and "eduPersonEntitlement" not in xml


def test_pysaml2_reads_the_role(app: Flask, clerk: Browser, tmp_path: Path) -> None:
    sp = PySaml2Sp(hub_metadata(clerk), tmp_path)
    register_sp(app, sp.metadata(), release=("email",), roles=("clerk:sperrmuell",))
    sent = sp.login(BINDING_HTTP_REDIRECT)
    response = sp.acs(posted_form(follow(clerk, clerk.get(path_and_query(sent.url)))))
    assert response.get_identity()["eduPersonEntitlement"] == ["clerk:sperrmuell"]
    other = PySaml2Sp(hub_metadata(clerk), tmp_path / "o", host="https://other.example.org")
    register_sp(app, other.metadata(), release=("email",))
    sent = other.login(BINDING_HTTP_REDIRECT)
    identity = other.acs(
        posted_form(follow(clerk, clerk.get(path_and_query(sent.url))))
    ).get_identity()
    assert "eduPersonEntitlement" not in identity and ROLES not in identity


def test_unsolicited_responses_follow_the_same_rule(app: Flask, clerk: Browser) -> None:
    sp = OneLoginSp(hub_metadata(clerk))
    register_sp(
        app, sp.metadata(), roles=("clerk:hundesteuer",), allow_idp_initiated=True, release=()
    )
    start = clerk.get("/saml/unsolicited?" + urlencode({"providerId": sp.entity_id}))
    auth = sp.acs(posted_form(follow(clerk, start)))
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attributes()[ROLES] == ["clerk:hundesteuer"]
