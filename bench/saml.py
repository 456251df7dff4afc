"""SAML SSO responses per second per core: the hub's in-process XML security (the ``xmlsec``
binding, keys loaded once) against pysaml2's default crypto backend (a ``xmlsec1`` subprocess per
operation, keys and documents through temporary files), in one run.

(a) the hub's response assembly (``idp.saml.assemble``: Response and Assertion signed with
    RSA-SHA256 and the RSA-3072 key of the keyring; encrypted: AES-256-GCM content, RSA-OAEP key
    transport for the SP's RSA-3072 certificate) with its crypto done in-process;
(b) the *same* assembly with signing and encryption done by pysaml2's ``CryptoBackendXmlSec1``
    (what a pysaml2 IdP does by default): identical documents, only the crypto differs;
(c) a whole SP-initiated SSO through the app (Flask test client): ``GET /saml/sso`` with a
    Redirect AuthnRequest signed by the SP (verified), the continue page with the citizen's
    session, the Response in its POST form. Only the two hub requests are timed; the SP making
    its request is not.

Every kind of response is checked once by python3-saml as the SP before timing.
"""

from __future__ import annotations

import base64
import datetime
import os
import shutil
import sys
import time
from collections.abc import Hashable
from importlib.metadata import version
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from lxml import etree

from bench.login import EMAIL, PASSWORD, BenchError, _build_app, _cpu, _create_verified_citizen
from bench.report import Config, Op, Table, fmt, interleaved_rounds, median
from certs.xmlsig import DSIG, XENC
from core import migrate
from core.db import db

SP_ENTITY = "https://sp.bench.example/metadata"
SP_ACS = "https://sp.bench.example/acs"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
KINDS = {"signed": False, "signed+encrypted": True}
IN_PROCESS = "(a) in-process (xmlsec binding)"
SUBPROCESS = "(b) pysaml2 default backend (xmlsec1 subprocess)"
THROUGH_APP = "(c) whole SSO through the app, in-process"


def run(config: Config) -> Table:
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        raise BenchError("xmlsec1 is not installed (Debian package xmlsec1)")
    with TemporaryDirectory(prefix="bench-saml-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'bench.db'}"
        migrate.upgrade(database_url)
        app = _build_app(workdir, database_url)
        _create_verified_citizen(app)
        sp = _ServiceProvider(app)
        sub = _Xmlsec1Security(app, xmlsec1, workdir)
        ops: dict[str, Op] = {}
        with app.test_request_context():
            idp = app.extensions["saml"]
            for kind, encrypted in KINDS.items():
                ops[f"{IN_PROCESS}, {kind}"] = _assembly_op(app, sp, idp.xml, encrypted)
                ops[f"{SUBPROCESS}, {kind}"] = _assembly_op(app, sp, sub, encrypted)
        for kind, encrypted in KINDS.items():
            ops[f"{THROUGH_APP}, {kind}"] = _through_app_op(app, sp, encrypted)
        results = interleaved_rounds(_sized(config), ops)
        with app.app_context():
            db.engine.dispose()
    return _table(config, results, sub.runs_per_response)


def _sized(config: Config) -> Config:
    """A quarter of the operations per round: one xmlsec1 response costs ~0.1 s."""
    return Config(
        n=max(5, config.n // 4),
        rounds=config.rounds,
        warmup=min(config.warmup, 3),
        gunicorn=config.gunicorn,
    )


# --- the SP (python3-saml), registered from its metadata -----------------------------------------


def _key_pair(cn: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private.decode(), cert.public_bytes(serialization.Encoding.PEM).decode()


class _ServiceProvider:
    """A python3-saml SP on the hub's metadata, registered twice (plain and encrypted)."""

    def __init__(self, app: Flask) -> None:
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        self.key_pem, self.cert_pem = _key_pair("bench sp")
        cert_b64 = "".join(line for line in self.cert_pem.splitlines() if "-----" not in line)
        idp_xml = app.test_client().get("/saml/metadata").text
        idp = OneLogin_Saml2_IdPMetadataParser.parse(idp_xml)["idp"]
        self.settings: dict[bool, dict[str, Any]] = {}
        for encrypted in (False, True):
            entity = SP_ENTITY + ("/encrypted" if encrypted else "")
            self.settings[encrypted] = {
                "strict": True,
                "sp": {
                    "entityId": entity,
                    "assertionConsumerService": {
                        "url": SP_ACS,
                        "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                    },
                    "x509cert": cert_b64,
                    "privateKey": self.key_pem,
                },
                "idp": idp,
                "security": {
                    "authnRequestsSigned": True,
                    "wantMessagesSigned": True,
                    "wantAssertionsSigned": True,
                    "wantAssertionsEncrypted": encrypted,
                    "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
                    "requestedAuthnContext": ["STORK-QAA-Level-1"],
                    "requestedAuthnContextComparison": "minimum",
                },
            }
            self._register(app, encrypted)

    def _register(self, app: Flask, encrypted: bool) -> None:
        from onelogin.saml2.settings import OneLogin_Saml2_Settings

        from idp.saml import registry
        from idp.saml.registry import SpSettings

        settings = OneLogin_Saml2_Settings(self.settings[encrypted], sp_validation_only=True)
        metadata = settings.get_sp_metadata()
        with app.test_request_context():
            registry.register(
                registry.read_metadata(metadata),
                SpSettings(release=("email", "subject"), encrypt_assertion=encrypted),
            )

    def auth(self, encrypted: bool, post: dict[str, str] | None = None) -> Any:
        from onelogin.saml2.auth import OneLogin_Saml2_Auth

        request = {
            "https": "on",
            "http_host": "sp.bench.example",
            "script_name": "/acs",
            "get_data": {},
            "post_data": post or {},
        }
        return OneLogin_Saml2_Auth(request, self.settings[encrypted])

    def check(self, xml: bytes, encrypted: bool, request_id: str | None) -> None:
        auth = self.auth(encrypted, {"SAMLResponse": base64.b64encode(xml).decode()})
        auth.process_response(request_id=request_id)
        if auth.get_errors() or auth.get_attributes().get(_MAIL) != [EMAIL]:
            raise BenchError(f"the SP refused the response: {auth.get_last_error_reason()}")


_MAIL = "urn:oid:0.9.2342.19200300.100.1.3"


# --- (a)/(b): the same assembly, two crypto backends --------------------------------------------


class _Xmlsec1Security:
    """The part of :class:`certs.xmlsig.XmlSecurity` that ``idp.saml.assemble`` uses, done by
    pysaml2's default backend: every signature and every encryption one ``xmlsec1`` run (plus
    the ``xmlsec1 --version`` run pysaml2 makes before each), keys in temporary files."""

    def __init__(self, app: Flask, binary: str, workdir: Path) -> None:
        from idp.saml import keys

        idp = app.extensions["saml"]
        self._certificate: bytes = idp.xml.certificate(keys.SIGNING)
        key_file = workdir / "idp-signing.key"
        key_file.write_bytes(idp.key_source.private_key(keys.SIGNING, self._certificate))
        key_file.chmod(0o600)
        self._key_file = str(key_file)
        self._workdir = workdir
        self._backend = _Counting(binary)
        self.runs_per_response: dict[bool, float] = {}

    @property
    def runs(self) -> int:
        return self._backend.runs

    def certificate(self, purpose: Hashable) -> bytes:
        return self._certificate

    def sign(self, purpose: Hashable, root: etree._Element, node_id: str) -> None:
        """xmlsec1 --sign fills the template; its values go into ``root`` (the same document,
        so the signature is valid there too)."""
        node = _by_id(root, node_id)
        qname = etree.QName(node)
        signed = self._backend.sign_statement(
            etree.tostring(root, encoding="unicode"),
            f"{qname.namespace}:{qname.localname}",
            self._key_file,
            node_id,
        )
        done = _by_id(etree.fromstring(_bytes(signed)), node_id)
        for path in ("ds:SignedInfo/ds:Reference/ds:DigestValue", "ds:SignatureValue"):
            target = node.find(f"ds:Signature/{path}", {"ds": DSIG})
            value = done.find(f"ds:Signature/{path}", {"ds": DSIG})
            if target is None or value is None or not value.text:
                raise BenchError("xmlsec1 did not sign")
            target.text = value.text

    def encrypt(self, element: etree._Element, certificate_pem: bytes) -> etree._Element:
        """xmlsec1 --encrypt with the hub's algorithms (AES-256-GCM, RSA-OAEP)."""
        holder = element.getparent()
        assert holder is not None
        template_file = self._workdir / "template.xml"
        template_file.write_bytes(etree.tostring(_encryption_template(element)))
        cert_file = self._workdir / "sp.crt"
        cert_file.write_bytes(certificate_pem)
        out = self._backend.encrypt(
            etree.tostring(holder, encoding="unicode"),
            str(cert_file),
            str(template_file),
            "aes-256",
            f"/*/*[local-name()='{etree.QName(element).localname}']",
        )
        encrypted = etree.fromstring(_bytes(out)).find(f"{{{XENC}}}EncryptedData")
        if encrypted is None:
            raise BenchError("xmlsec1 did not encrypt")
        element.addnext(encrypted)
        holder.remove(element)
        return encrypted


def _by_id(root: etree._Element, node_id: str) -> etree._Element:
    found = [e for e in root.iter(etree.Element) if e.get("ID") == node_id]
    if len(found) != 1:
        raise BenchError("no unique element to sign")
    return found[0]


def _bytes(text: str | bytes) -> bytes:
    return text.encode() if isinstance(text, str) else text


def _encryption_template(element: etree._Element) -> etree._Element:
    """The same template the hub uses (certs.xmlsig): AES-256-GCM, RSA-OAEP, the cert."""
    import xmlsec

    template = xmlsec.template.encrypted_data_create(
        element.getroottree().getroot(),
        xmlsec.constants.TransformAes256Gcm,
        type=xmlsec.constants.TypeEncElement,
        ns="xenc",
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    inner = xmlsec.template.encrypted_data_ensure_key_info(encrypted_key, ns="ds")
    xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(inner))
    return template


class _Counting:
    """pysaml2's CryptoBackendXmlSec1, counting the xmlsec1 processes it starts."""

    def __init__(self, binary: str) -> None:
        from saml2.sigver import CryptoBackendXmlSec1

        counter = self

        class Counted(CryptoBackendXmlSec1):  # type: ignore[misc]
            @property
            def version(self) -> str:
                counter.runs += 1
                return str(super().version)

            def _run_xmlsec(self, com_list: list[str], extra_args: list[str]) -> Any:
                counter.runs += 1
                return super()._run_xmlsec(com_list, extra_args)

        self.runs = 0
        self._backend = Counted(binary)

    def sign_statement(self, statement: str, name: str, key_file: str, node_id: str) -> Any:
        return self._backend.sign_statement(statement, name, key_file, node_id)

    def encrypt(self, text: str, key: str, template: str, session: str, xpath: str) -> Any:
        return self._backend.encrypt(text, key, template, session, xpath)


def _identity(app: Flask) -> Any:
    """The citizen as the protocol faces see them (an SSO session for the bench)."""
    from account.identity import Identity, Level, Method
    from account.models import citizen_by_email
    from account.profile import values

    citizen = citizen_by_email(EMAIL)
    if citizen is None:
        raise BenchError("no citizen")
    now = app.extensions["clock"].now()
    return Identity(
        citizen.id, frozenset({Method.PASSWORD}), now, Level.LOW, "bench", values(citizen)
    )


def _assembly_op(app: Flask, sp: _ServiceProvider, xs: Any, encrypted: bool) -> Op:
    """One Response for the SP, built by the hub's code with ``xs`` doing the crypto."""
    from idp.saml import assemble, loa, registry, release, sso
    from idp.saml.models import sp_by_entity_id

    entity = SP_ENTITY + ("/encrypted" if encrypted else "")
    registered = sp_by_entity_id(entity)
    if registered is None:
        raise BenchError("SP not registered")
    metadata = registry.metadata_of(registered)
    identity = _identity(app)
    name_id = sso.issue_name_id(registered, identity, "persistent")
    requested = loa.parse_requested("minimum", ["STORK-QAA-Level-1"])
    assert requested is not None
    wanted = list(registered.release)  # plain values: the session closes after setup

    def build() -> bytes:
        now = app.extensions["clock"].now()
        spec = assemble.AssertionSpec(
            issuer=app.extensions["saml"].entity_id,
            audience=entity,
            recipient=SP_ACS,
            in_response_to=None,
            name_id=name_id,
            authn_instant=now,
            session_index="_bench",
            class_ref=loa.class_ref(identity.level, requested),
            attributes=release.released(
                wanted, identity.attributes, "STORK-QAA-Level-1", name_id.value
            ),
            now=now,
            lifetime=300,
            skew=90,
        )
        root = assemble.response(app.extensions["saml"].entity_id, SP_ACS, None, now)
        return assemble.finish(
            xs,
            root,
            assemble.build_assertion(spec),
            sign_response=True,
            sign_assertion=True,
            encrypt_for=metadata.encryption_certs[0] if encrypted else None,
        )

    before = getattr(xs, "runs", 0)
    sp.check(build(), encrypted, None)
    if isinstance(xs, _Xmlsec1Security):
        xs.runs_per_response[encrypted] = xs.runs - before

    def op() -> None:
        with app.test_request_context():
            build()

    return op


# --- (c): the whole SSO through the app ---------------------------------------------------------


def _through_app_op(app: Flask, sp: _ServiceProvider, encrypted: bool) -> Op:
    client = app.test_client()
    token = _csrf_of(client.get("/anmelden").text)
    login = client.post(
        "/anmelden", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    )
    if login.status_code != 303:
        raise BenchError("login failed")

    def once() -> tuple[float, bytes, str | None]:
        auth = sp.auth(encrypted)
        url = auth.login(return_to="/bench")
        request_id = auth.get_last_request_id()
        parts = urlsplit(str(url))
        start = time.perf_counter()
        first = client.get(parts.path + "?" + parts.query)
        answer = client.get(first.headers.get("Location", ""))
        elapsed = time.perf_counter() - start
        if answer.status_code != 200:
            raise BenchError(f"SSO failed: {first.status_code} {answer.status_code}")
        value = answer.text.split('name="SAMLResponse" value="', 1)[1].split('"', 1)[0]
        return elapsed, base64.b64decode(value), request_id

    _, xml, request_id = once()
    sp.check(xml, encrypted, request_id)

    def op() -> float:
        return once()[0]

    return op


def _csrf_of(page: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in page:
        raise BenchError("no CSRF token")
    return page.split(marker, 1)[1].split('"', 1)[0]


# --- the table ----------------------------------------------------------------------------------


def _table(config: Config, results: dict[str, list[float]], runs: dict[bool, float]) -> Table:
    sized = _sized(config)
    table = Table(
        title="SAML SSO responses per core: in-process XML security vs. xmlsec1 subprocesses",
        columns=("measured", "per second", "ms each", "rounds ms", "xmlsec1 runs", "vs. (a)"),
    )
    for label, rounds in results.items():
        seconds = median(rounds)
        spread = f"{min(rounds) * 1000:.1f}–{max(rounds) * 1000:.1f}"
        kind = label.rsplit(", ", 1)[1]
        encrypted = KINDS[kind]
        base = median(results[f"{IN_PROCESS}, {kind}"])
        processes = str(int(runs[encrypted])) if label.startswith("(b)") else "0"
        table.add(
            label,
            fmt(1 / seconds),
            fmt(seconds * 1000, 2),
            spread,
            processes,
            f"{seconds / base:.1f}×",
        )
    table.notes += [
        f"{sized.n} responses per round, {sized.warmup} warm-up each, {sized.rounds} rounds run "
        "interleaved; medians; one process (one core). Response and assertion signed "
        "(RSA-3072, RSA-SHA256); encrypted: AES-256-GCM + RSA-OAEP for an RSA-3072 SP key.",
        "xmlsec1 runs = processes pysaml2's default backend starts per response (each "
        "operation is preceded by an `xmlsec1 --version`).",
        f"CPU: {_cpu()} ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}); "
        f"Python {sys.version.split()[0]}, pysaml2 {version('pysaml2')}, "
        f"xmlsec {version('xmlsec')}, python3-saml {version('python3-saml')}.",
    ]
    return table
