"""The SP registry from the command line (``flask saml-sps …``): metadata validated before
anything is stored (weak keys, SHA-1, DOCTYPE, garbage, expiry; upload or URL from a local HTTP
server), a clear message and nothing written when refused; the parsed metadata cached once per
document, replaced when the registry changes, expiry still checked on every use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from core.clock import FrozenClock
from idp.saml import registry, spmeta
from idp.saml.models import all_sps, sp_by_entity_id
from tests.helpers import Browser, Citizen, Portal
from tests.saml_support import (
    OneLoginSp,
    follow,
    hub_metadata,
    make_key_pair,
    path_of,
    posted_form,
    register_sp,
    sha1_key_pair,
)

pytestmark = pytest.mark.storage
ENTITY = "https://sp.example.org/metadata"


@pytest.fixture
def sp(portal: Portal) -> OneLoginSp:
    return OneLoginSp(hub_metadata(portal.browser))


def cli(app: Flask, *args: str) -> Result:
    with app.app_context():  # ``flask`` pushes it itself; the test runner does not
        return app.test_cli_runner().invoke(args=["saml-sps", *args])


def registered(app: Flask) -> list[str]:
    with app.app_context():
        return [s.entity_id for s in all_sps()]


def sp_events(portal: Portal) -> list[str]:
    return [e.event for e in portal.audit_events() if e.event.startswith("saml.sp")]


def add_file(app: Flask, tmp_path: Path, metadata: str | bytes, *options: str) -> Result:
    path = tmp_path / "sp-metadata.xml"
    path.write_bytes(metadata.encode() if isinstance(metadata, str) else metadata)
    return cli(app, "add", "--file", str(path), *options)


def refused(app: Flask, portal: Portal, result: Result, message: str) -> None:
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert registered(app) == []
    assert sp_events(portal) == []


# --- validation: refused with a message, nothing stored ----------------------------------------


def test_a_valid_upload_is_registered(app: Flask, portal: Portal, tmp_path: Path) -> None:
    sp = OneLoginSp(hub_metadata(portal.browser))
    result = add_file(app, tmp_path, sp.metadata(), "--release", "email,given_names")
    assert result.exit_code == 0, result.output
    assert f"registered {ENTITY}" in result.output
    assert registered(app) == [ENTITY]
    assert sp_events(portal) == ["saml.sp_registered"]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            lambda: make_key_pair("weak", bits=2048),
            "Schwacher Schlüssel: RSA mit 2048 Bit (mindestens 3072).",
        ),
        (
            lambda: sha1_key_pair("sha1"),
            "Zertifikate mit SHA-1- oder MD5-Signatur werden abgelehnt.",
        ),
    ],
    ids=["rsa-2048", "sha1-certificate"],
)
def test_weak_certificates_are_refused(
    app: Flask, portal: Portal, tmp_path: Path, keys: Callable[[], Any], message: str
) -> None:
    sp = OneLoginSp(hub_metadata(portal.browser), keys=keys())
    refused(app, portal, add_file(app, tmp_path, sp.metadata()), message)


DOCTYPE = (
    '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://sp.example.org/metadata">&x;</md:EntityDescriptor>'
)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (DOCTYPE, "document type declarations are not accepted"),
        ("this is not XML at all", "Die Metadaten sind kein gültiges XML"),
        (b"\x00\xff\xfe garbage", "Die Metadaten sind kein gültiges XML"),
        (
            '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>',
            "Erwartet wird genau ein md:EntityDescriptor.",
        ),
        ("<a>" + "x" * (600 * 1024) + "</a>", "document larger than"),
    ],
    ids=["doctype", "text", "binary", "entities-descriptor", "oversize"],
)
def test_unsafe_or_garbage_documents_are_refused(
    app: Flask, portal: Portal, tmp_path: Path, document: str | bytes, message: str
) -> None:
    refused(app, portal, add_file(app, tmp_path, document), message)


def test_expired_metadata_refused(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp, clock: FrozenClock
) -> None:
    metadata = sp.metadata()
    assert "validUntil" in metadata  # python3-saml writes one two days ahead
    clock.advance(3 * 24 * 3600)
    refused(app, portal, add_file(app, tmp_path, metadata), "abgelaufen (validUntil)")


def test_sha1_only_algorithms_refused(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp
) -> None:
    alg = "urn:oasis:names:tc:SAML:metadata:algsupport"
    extensions = (
        f'<md:Extensions xmlns:alg="{alg}">'
        '<alg:SigningMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>'
        "</md:Extensions>"
    )
    metadata = sp.metadata().replace("<md:SPSSODescriptor", extensions + "<md:SPSSODescriptor", 1)
    assert "rsa-sha1" in metadata
    refused(app, portal, add_file(app, tmp_path, metadata), "Die Metadaten bieten nur SHA-1 an.")


def test_no_post_acs_refused(app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp) -> None:
    metadata = sp.metadata().replace("bindings:HTTP-POST", "bindings:HTTP-Artifact")
    refused(
        app, portal, add_file(app, tmp_path, metadata), "mindestens einen AssertionConsumerService"
    )


def test_settings_the_metadata_cannot_support_are_refused(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp
) -> None:
    refused(
        app,
        portal,
        add_file(app, tmp_path, sp.metadata(), "--release", "email,shoe_size"),
        "Unbekannte Attribute: shoe_size",
    )
    refused(
        app,
        portal,
        add_file(app, tmp_path, sp.metadata(), "--name-id-formats", "kerberos"),
        "NameID-Formate",
    )


def test_the_same_entity_cannot_be_registered_twice(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp
) -> None:
    assert add_file(app, tmp_path, sp.metadata()).exit_code == 0
    again = add_file(app, tmp_path, sp.metadata())
    assert again.exit_code != 0 and "schon registriert" in again.output
    assert registered(app) == [ENTITY]


# --- by URL, from a local HTTP server ------------------------------------------------------------


@pytest.fixture
def metadata_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A threaded HTTP server on 127.0.0.1 serving whatever the test puts into ``documents``."""
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", documents
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_registered_from_a_url(
    app: Flask,
    portal: Portal,
    sp: OneLoginSp,
    metadata_server: tuple[str, dict[str, bytes]],
) -> None:
    base, documents = metadata_server
    documents["/sp/metadata"] = sp.metadata().encode()
    result = cli(app, "add", "--url", base + "/sp/metadata", "--release", "email")
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = sp_by_entity_id(ENTITY)
        assert found is not None and found.metadata_url == base + "/sp/metadata"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/missing", None, "konnten nicht geladen werden: HTTPError"),
        ("/doctype", DOCTYPE.encode(), "document type declarations are not accepted"),
        ("/garbage", b"<<<>>>", "Die Metadaten sind kein gültiges XML"),
        ("/huge", b" " * (spmeta.MAX_METADATA_BYTES + 10), "Die Metadaten sind zu groß."),
        ("/weak", b"", "Schwacher Schlüssel: RSA mit 2048 Bit"),
    ],
)
def test_refused_from_a_url(
    app: Flask,
    portal: Portal,
    metadata_server: tuple[str, dict[str, bytes]],
    path: str,
    body: bytes | None,
    message: str,
) -> None:
    base, documents = metadata_server
    if path == "/weak":
        weak = OneLoginSp(hub_metadata(portal.browser), keys=make_key_pair("weak", bits=2048))
        body = weak.metadata().encode()
    if body is not None:
        documents[path] = body
    refused(app, portal, cli(app, "add", "--url", base + path), message)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://"])
def test_only_http_urls(app: Flask, portal: Portal, url: str) -> None:
    refused(app, portal, cli(app, "add", "--url", url), "Nur https-Adressen")


def test_file_and_url_are_exclusive(app: Flask, portal: Portal, tmp_path: Path) -> None:
    refused(app, portal, cli(app, "add"), "exactly one of --file and --url")


# --- the other commands ----------------------------------------------------------------------


def test_list_set_disable_enable_remove(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp
) -> None:
    assert add_file(app, tmp_path, sp.metadata(), "--release", "email").exit_code == 0
    listed = cli(app, "list")
    assert listed.exit_code == 0
    assert f"{ENTITY}\tsp.example.org\tenabled\tmin=low\temail" in listed.output
    changed = cli(app, "set", ENTITY, "--release", "email,family_names", "--min-level", "high")
    assert changed.exit_code == 0, changed.output
    assert "min=high\temail,family_names" in cli(app, "list").output
    bad = cli(app, "set", ENTITY, "--release", "shoe_size")
    assert bad.exit_code != 0 and "Unbekannte Attribute" in bad.output
    assert "email,family_names" in cli(app, "list").output  # unchanged
    no_key = cli(app, "set", ENTITY, "--encrypt")  # its metadata have no encryption key
    assert no_key.exit_code != 0 and "Verschlüsselung verlangt ein Zertifikat" in no_key.output
    assert cli(app, "disable", ENTITY).exit_code == 0
    assert "\tdisabled\t" in cli(app, "list").output
    assert cli(app, "enable", ENTITY).exit_code == 0
    assert cli(app, "remove", ENTITY).exit_code == 0
    assert registered(app) == []
    assert sp_events(portal) == [
        "saml.sp_registered",
        "saml.sp_changed",
        "saml.sp_disabled",
        "saml.sp_enabled",
        "saml.sp_removed",
    ]
    missing = cli(app, "disable", ENTITY)
    assert missing.exit_code != 0 and f"no SP {ENTITY}" in missing.output


def test_idp_initiated_sso_is_switched_on_and_off(
    app: Flask, portal: Portal, tmp_path: Path, sp: OneLoginSp
) -> None:
    assert add_file(app, tmp_path, sp.metadata(), "--idp-initiated").exit_code == 0
    assert cli(app, "list").output.rstrip("\n").endswith("\tidp-initiated")
    browser = portal.new_browser()
    start = "/saml/unsolicited?providerId=" + ENTITY
    assert browser.get(start).status_code == 303
    off = cli(app, "set", ENTITY, "--no-idp-initiated")
    assert off.exit_code == 0, off.output
    assert "idp-initiated" not in cli(app, "list").output
    assert browser.get(start).status_code == 403
    assert cli(app, "set", ENTITY, "--release", "email").exit_code == 0  # other changes keep it
    assert browser.get(start).status_code == 403
    assert cli(app, "set", ENTITY, "--idp-initiated").exit_code == 0
    assert browser.get(start).status_code == 303


# --- parsed once, cached, invalidated on change ------------------------------------------------


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the real parser's runs (a spy: every call goes through to it)."""
    calls: list[str] = []
    real = spmeta.parse

    def counting(data: bytes | str, **kwargs: Any) -> spmeta.SpMetadata:
        calls.append("parse")
        return real(data, **kwargs)

    monkeypatch.setattr(spmeta, "parse", counting)
    return calls


def _login(sp: OneLoginSp, browser: Browser) -> None:
    auth = sp.acs(posted_form(follow(browser, browser.get(path_of(sp.login_url())))))
    assert auth.get_errors() == [], auth.get_last_error_reason()


def test_metadata_parsed_once_not_per_request(
    app: Flask, portal: Portal, erika: Citizen, sp: OneLoginSp, parse_calls: list[str]
) -> None:
    register_sp(app, sp.metadata(), release=("email",))
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    _login(sp, browser)
    after_first = len(parse_calls)
    for _ in range(3):
        _login(sp, browser)
    assert len(parse_calls) == after_first
    with app.test_request_context():
        found = sp_by_entity_id(ENTITY)
        assert found is not None
        assert registry.metadata_of(found) is registry.metadata_of(found)


def test_a_registry_change_replaces_the_cached_metadata(
    app: Flask, portal: Portal, erika: Citizen, sp: OneLoginSp
) -> None:
    register_sp(app, sp.metadata(), release=("email",))
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    _login(sp, browser)
    moved = sp.metadata().replace("https://sp.example.org/acs", "https://sp.example.org/acs2")
    with app.test_request_context():
        found = sp_by_entity_id(ENTITY)
        assert found is not None
        before = registry.metadata_of(found)
        registry.change(found, registry.settings_of(found), metadata=registry.read_metadata(moved))
        after = registry.metadata_of(found)
        assert after is not before
        assert [e.location for e in after.acs] == ["https://sp.example.org/acs2"]
        assert len(app.extensions["saml"].metadata) == 1  # the old copy is gone
    sp.settings_data["sp"]["assertionConsumerService"]["url"] = "https://sp.example.org/acs2"
    form = posted_form(follow(browser, browser.get(path_of(sp.login_url()))))
    assert form.action == "https://sp.example.org/acs2"


def test_cached_metadata_still_expire(
    app: Flask, portal: Portal, erika: Citizen, sp: OneLoginSp, clock: FrozenClock
) -> None:
    register_sp(app, sp.metadata(), release=("email",))
    browser = portal.new_browser()
    assert browser.login(erika.email, erika.password).status_code == 303
    _login(sp, browser)  # now cached
    clock.advance(3 * 24 * 3600)  # past python3-saml's validUntil
    assert browser.login(erika.email, erika.password).status_code == 303
    answer = browser.get(path_of(sp.login_url()))
    assert answer.status_code == 400 and "Location" not in answer.headers
