"""A world for eID tests: a test CA made at test time, the simulator served over real HTTP(S)
in threads, the connector wired as the hub will wire it, and a recorder that schema-checks every
SOAP message exchanged. Nothing here replaces one of our components."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.eid import schema
from connectors.eid.client import EidServerClient, PollPolicy
from connectors.eid.fields import Requirement
from connectors.eid.messages import UseIdRequest
from connectors.eid.schema import InterfaceVersion
from connectors.eid.simulator.app import Simulator, build
from connectors.eid.simulator.config import SimulatorConfig
from connectors.eid.simulator.keys import KeyPair
from connectors.eid.transport import PemTlsIdentity, SoapTransport
from connectors.eid.wssec import XmlsecSigner, XmlsecVerifier
from connectors.eid.xml import DSS, EID, parse, qname
from core.clock import Clock, SystemClock

ALL_FIELDS_REQUIRED = {
    name: Requirement.REQUIRED
    for name in (
        "DocumentType",
        "IssuingState",
        "DateOfExpiry",
        "GivenNames",
        "FamilyNames",
        "DateOfBirth",
        "PlaceOfBirth",
        "BirthName",
        "PlaceOfResidence",
        "RestrictedID",
    )
}
OPTIONAL = {
    name: Requirement.ALLOWED
    for name in ("ArtisticName", "AcademicTitle", "Nationality", "CommunityID")
}
LOGIN_REQUEST = UseIdRequest(
    operations={**ALL_FIELDS_REQUIRED, **OPTIONAL},
    transaction_info="Anmeldung am Bürgerportal",
)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class TestCa:
    """A throwaway CA; keys exist only in memory and in the pytest tmp directory."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, cn: str = "eID test CA") -> TestCa:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, cn: str, *, server: bool = False) -> KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return KeyPair(_pem_key(key), cert.public_bytes(serialization.Encoding.PEM))


@dataclass
class Pki:
    ca: TestCa
    server_tls: KeyPair
    hub_tls: KeyPair
    hub_signing: KeyPair
    sim_signing: KeyPair
    stranger: KeyPair  # a signing/TLS identity nobody trusts

    @classmethod
    def create(cls) -> Pki:
        ca = TestCa.create()
        other = TestCa.create("untrusted CA")
        return cls(
            ca=ca,
            server_tls=ca.issue("127.0.0.1", server=True),
            hub_tls=ca.issue("hub"),
            hub_signing=ca.issue("hub WS-Security"),
            sim_signing=ca.issue("eID-Server WS-Security"),
            stranger=other.issue("stranger"),
        )


def server_tls_context(pki: Pki, tmp: Path, require_client_cert: bool = True) -> ssl.SSLContext:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "server.pem").write_bytes(pki.server_tls.key_pem + pki.server_tls.cert_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp / "server.pem")
    (tmp / "server.pem").unlink()
    if require_client_cert:
        context.load_verify_locations(cadata=pki.ca.pem.decode())
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@contextmanager
def serving(app: Any, ssl_context: ssl.SSLContext | None = None) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Recorder:
    """Every SOAP exchange; :meth:`problems` lists messages that are not schema-valid."""

    version: InterfaceVersion
    exchanges: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    def __call__(self, action: str, sent: bytes, answer: bytes) -> None:
        self.exchanges.append((action, sent, answer))

    def problems(self, answer_version: InterfaceVersion | None = None) -> list[str]:
        found = []
        for action, sent, answer in self.exchanges:
            errors = schema.errors(parse(sent), self.version)
            found += [f"{action} request: {e}" for e in errors]
            found += [
                f"{action} answer: {e}"
                for e in answer_problems(answer, answer_version or self.version)
            ]
        return found


def answer_problems(raw: bytes, version: InterfaceVersion) -> list[str]:
    """Schema errors of an answer; an error answer carrying only dss:Result (what real
    eID-Servers send for useID/getServerInfo errors, PROTOCOL.md) is accepted as such."""
    message = schema.message_element(parse(raw))
    children = [c for c in message if isinstance(c.tag, str)]
    if (
        message.tag in {qname(EID, "useIDResponse"), qname(EID, "getServerInfoResponse")}
        and len(children) == 1
        and children[0].tag == qname(DSS, "Result")
    ):
        return []
    return schema.errors(message, version)


@dataclass
class SimulatorWorld:
    sim: Simulator
    soap_url: str
    client_url: str
    pki: Pki

    def client(
        self,
        recorder: Recorder,
        *,
        version: InterfaceVersion = InterfaceVersion.V2_4_0,
        signing: KeyPair | None = None,
        tls: KeyPair | None = None,
        trust_signer: bytes | None = None,
        timeout: float = 5.0,
        url: str | None = None,
        clock: Clock | None = None,
    ) -> EidServerClient:
        signing = signing or self.pki.hub_signing
        tls = tls or self.pki.hub_tls
        transport = SoapTransport(
            url or self.soap_url,
            PemTlsIdentity(tls.key_pem, tls.cert_pem, self.pki.ca.pem),
            timeout,
            observer=recorder,
        )
        clock = clock or SystemClock()
        return EidServerClient(
            transport,
            XmlsecSigner(signing.key_pem, signing.cert_pem, clock),
            XmlsecVerifier(trust_signer or self.pki.sim_signing.cert_pem, clock),
            version,
            sleep=lambda _seconds: None,
        )


FAST_POLL = PollPolicy(max_attempts=5, initial_delay=0.0, max_delay=0.0)


@contextmanager
def simulator_world(pki: Pki, tmp: Path, **config: Any) -> Iterator[SimulatorWorld]:
    """The simulator's SOAP endpoint over TLS with client certs, its eID-Client on http."""
    clock = config.pop("clock", None)
    with serving(None, server_tls_context(pki, tmp)) as soap, serving(None) as stand_in:
        soap_url = f"https://127.0.0.1:{soap.server_port}/eID"
        client_url = f"http://127.0.0.1:{stand_in.server_port}/eID-Client"
        settings = SimulatorConfig(
            var_dir=tmp / "sim",
            server_url=f"https://127.0.0.1:{soap.server_port}",
            client_url=client_url,
            service_cert_pem=pki.hub_signing.cert_pem,
            **config,
        )
        sim = build(settings, signing=pki.sim_signing, clock=clock)
        soap.app = sim.server_app
        stand_in.app = sim.client_app
        yield SimulatorWorld(sim, soap_url, client_url, pki)
