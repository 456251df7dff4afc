"""NameIDs (SAML Core §8.3, §3.4.1.1): persistent pairwise (stored, the same after a restart),
transient (new each time), the e-mail address only where the SP is allowed it; a NameIDPolicy we
cannot honour gets InvalidNameIDPolicy, and SPNameQualifier never yields another SP's pseudonym."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from saml2 import BINDING_HTTP_POST
from saml2.samlp import NameIDPolicy

from core.clock import FrozenClock
from core.db import db
from core.settings import Settings
from core.store.base import KeyValueStore
from tests.helpers import Browser, Citizen, Portal
from tests.saml_pysaml2 import PySaml2Sp, path_and_query
from tests.saml_support import (
    OneLoginSp,
    PostedForm,
    follow,
    hub_metadata,
    path_of,
    posted_form,
    register_sp,
)

pytestmark = pytest.mark.storage
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
KERBEROS = "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"
SUBJECT = "urn:oid:1.3.6.1.4.1.25484.494450.3"
INVALID_POLICY = [
    "urn:oasis:names:tc:SAML:2.0:status:Requester",
    "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
]


def onelogin(
    app: Flask, browser: Browser, fmt: str, formats: tuple[str, ...], **kw: Any
) -> OneLoginSp:
    sp = OneLoginSp(hub_metadata(browser), name_id_format=fmt, **kw)
    register_sp(app, sp.metadata(), release=("subject",), name_id_formats=formats)
    return sp


def sso(sp: OneLoginSp, browser: Browser) -> PostedForm:
    return posted_form(follow(browser, browser.get(path_of(sp.login_url()))))


def name_id_of(form: PostedForm) -> etree._Element:
    root = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    found = root.find(f"{{{SAML}}}Assertion/{{{SAML}}}Subject/{{{SAML}}}NameID")
    assert found is not None
    return found


def statuses(form: PostedForm) -> list[str]:
    root = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    return [c.get("Value") or "" for c in root.iter(f"{{{SAMLP}}}StatusCode")]


def accepted(sp: OneLoginSp, form: PostedForm) -> Any:
    auth = sp.acs(form)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    return auth


# --- the formats ----------------------------------------------------------------------------


def test_transient_is_new_each_time_and_never_the_pseudonym(app: Flask, browser: Browser) -> None:
    sp = onelogin(app, browser, TRANSIENT, ("persistent", "transient"))
    first, second = accepted(sp, sso(sp, browser)), accepted(sp, sso(sp, browser))
    assert first.get_nameid_format() == second.get_nameid_format() == TRANSIENT
    assert first.get_nameid() != second.get_nameid()
    assert first.get_nameid_spnq() == sp.entity_id
    assert first.get_nameid_nq() == "http://portal.test/saml/metadata"
    pseudonym = first.get_attributes()[SUBJECT][0]
    assert pseudonym not in {first.get_nameid(), second.get_nameid()}
    assert second.get_attributes()[SUBJECT] == [pseudonym]


def test_unspecified_gets_the_first_allowed_format(app: Flask, browser: Browser) -> None:
    sp = onelogin(app, browser, UNSPECIFIED, ("transient", "persistent"))
    assert accepted(sp, sso(sp, browser)).get_nameid_format() == TRANSIENT


def test_email_where_the_sp_is_allowed_it(app: Flask, browser: Browser, erika: Citizen) -> None:
    sp = onelogin(app, browser, EMAIL, ("persistent", "email"))
    auth = accepted(sp, sso(sp, browser))
    assert auth.get_nameid_format() == EMAIL
    assert auth.get_nameid() == erika.email


@pytest.mark.parametrize(
    ("fmt", "formats"),
    [
        (EMAIL, ("persistent", "transient")),  # e-mail not allowed for this SP
        (PERSISTENT, ("transient",)),
        (TRANSIENT, ("email",)),
        (KERBEROS, ("persistent", "transient", "email")),  # a format we never issue
    ],
)
def test_a_format_the_sp_may_not_have_is_refused(
    app: Flask, browser: Browser, erika: Citizen, fmt: str, formats: tuple[str, ...]
) -> None:
    sp = onelogin(app, browser, fmt, formats)
    form = sso(sp, browser)
    assert form.action == "https://sp.example.org/acs"
    assert statuses(form) == INVALID_POLICY
    xml = base64.b64decode(form.fields["SAMLResponse"])
    assert b"Assertion" not in xml and erika.email.encode() not in xml
    assert sp.acs(form).get_errors() != []


# --- SPNameQualifier ------------------------------------------------------------------------


def _pysaml2_sso(sp: PySaml2Sp, browser: Browser, policy: NameIDPolicy) -> PostedForm:
    sent = sp.login(BINDING_HTTP_POST, name_id_policy=policy)
    return posted_form(follow(browser, browser.post(path_and_query(sent.url), sent.fields)))


def test_another_sps_name_qualifier_never_yields_its_pseudonym(
    app: Flask, browser: Browser, tmp_path: Path
) -> None:
    victim = onelogin(app, browser, PERSISTENT, ("persistent",))
    pseudonym = accepted(victim, sso(victim, browser)).get_nameid()
    sp = PySaml2Sp(hub_metadata(browser), tmp_path, in_process=True)
    register_sp(app, sp.metadata(), release=("email",), name_id_formats=("persistent",))
    for fmt in (PERSISTENT, None):
        policy = NameIDPolicy(format=fmt, sp_name_qualifier=victim.entity_id)
        form = _pysaml2_sso(sp, browser, policy)
        assert statuses(form) == INVALID_POLICY
        assert pseudonym.encode() not in base64.b64decode(form.fields["SAMLResponse"])


def test_its_own_name_qualifier_is_fine(app: Flask, browser: Browser, tmp_path: Path) -> None:
    sp = PySaml2Sp(hub_metadata(browser), tmp_path)
    assert sp.stock_backend
    register_sp(app, sp.metadata(), release=("email",), name_id_formats=("persistent",))
    policy = NameIDPolicy(format=PERSISTENT, sp_name_qualifier=sp.entity_id)
    form = _pysaml2_sso(sp, browser, policy)
    response = sp.acs(form)
    assert response.name_id.format == PERSISTENT
    assert response.name_id.sp_name_qualifier == sp.entity_id
    assert name_id_of(form).get("SPNameQualifier") == sp.entity_id


# --- persistent: stored, not per process ---------------------------------------------------


def test_persistent_name_id_survives_a_restart(
    app: Flask,
    settings: Settings,
    clock: FrozenClock,
    store: KeyValueStore,
    erika: Citizen,
    browser: Browser,
) -> None:
    """Another process on the same database (here: a second app, as after a restart or on a
    second worker) issues the same pairwise NameID; pysaml2's in-memory default would not."""
    import wsgi

    sp = onelogin(app, browser, PERSISTENT, ("persistent",))
    before = accepted(sp, sso(sp, browser)).get_nameid()
    restarted = wsgi.create_app(settings, clock=clock, store=store)
    restarted.config["TESTING"] = True
    other = Portal(restarted, clock).new_browser("192.0.2.77")
    assert other.login(erika.email, erika.password).status_code == 303
    sp_again = OneLoginSp(hub_metadata(other), name_id_format=PERSISTENT)
    try:
        assert accepted(sp_again, sso(sp_again, other)).get_nameid() == before
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()
