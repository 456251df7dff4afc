"""The connector built from the settings, as the hub runs it in production, development and
tests alike: only the configuration (URLs, certificates) says whether the other side is a real
eID-Server or the simulator.

Production refuses the simulator (docs/EID.md "Production and the simulator"): the URL rules
are in ``core.settings`` (https, not on this machine, the standard eID-Client address); here
the eID-Server's signing certificate is checked — the simulator's own certificate is
self-signed and names itself :data:`SIMULATOR_MARK`.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from connectors.eid.client import EidServerClient, PollPolicy
from connectors.eid.messages import UseIdRequest
from connectors.eid.schema import InterfaceVersion
from connectors.eid.transaction import EidConfig, EidTransactions
from connectors.eid.transport import ExchangeObserver, SoapTransport, TlsIdentity
from connectors.eid.wssec import KeySourceSigner, SigningKeySource, XmlsecVerifier
from core.clock import Clock, SystemClock
from core.settings import Settings, SettingsError
from core.store.base import KeyValueStore

#: The name the simulator gives its signing certificate (subject CN and issuer CN).
SIMULATOR_MARK = "eID-Server-Simulator"


def read_pem(path: str, variable: str) -> bytes:
    """A PEM certificate file named by a setting; :class:`SettingsError` when unusable."""
    try:
        data = Path(path).read_bytes()
        x509.load_pem_x509_certificates(data)
    except (OSError, ValueError) as exc:
        problem = f"{variable}: cannot read a PEM certificate from {path!r} ({exc})"
        raise SettingsError([problem]) from None
    return data


def is_simulator_certificate(cert_pem: bytes) -> bool:
    certificate = x509.load_pem_x509_certificate(cert_pem)
    names = [
        a.value
        for name in (certificate.subject, certificate.issuer)
        for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    return any(SIMULATOR_MARK.lower() in str(n).lower() for n in names)


def production_problems(settings: Settings, server_cert_pem: bytes) -> list[str]:
    if settings.is_production and is_simulator_certificate(server_cert_pem):
        return ["EID_SERVER_CERT is the eID simulator's certificate: refused in production"]
    return []


def poll_policy(settings: Settings) -> PollPolicy:
    return PollPolicy(
        max_attempts=settings.eid_poll_attempts,
        initial_delay=settings.eid_poll_delay_ms / 1000,
        max_delay=settings.eid_poll_max_delay_ms / 1000,
    )


def build_transactions(
    settings: Settings,
    request: UseIdRequest,
    store: KeyValueStore,
    clock: Clock,
    signing: SigningKeySource,
    tls: TlsIdentity | None,
    *,
    observer: ExchangeObserver | None = None,
) -> EidTransactions:
    """The transactions service. ``clock`` drives the transactions; WS-Security timestamps
    use the real time, because the eID-Server checks them against its own clock."""
    server_cert = read_pem(settings.eid_server_cert, "EID_SERVER_CERT")
    problems = production_problems(settings, server_cert)
    if problems:
        raise SettingsError(problems)
    development = not settings.is_production
    transport = SoapTransport(
        settings.eid_server_url,
        tls if settings.eid_server_url.startswith("https:") else None,
        settings.eid_timeout_ms / 1000,
        allow_http=development,
        observer=observer,
    )
    real_time = SystemClock()
    client = EidServerClient(
        transport,
        KeySourceSigner(signing, real_time),
        XmlsecVerifier(server_cert, real_time),
        InterfaceVersion(settings.eid_interface_version),
    )
    config = EidConfig(
        base_url=settings.base_url,
        request=request,
        client_url=settings.eid_client_url,
        ecard_server_address=settings.eid_ecard_server_address or None,
        transaction_ttl=settings.eid_transaction_ttl,
        poll=poll_policy(settings),
        allow_http=development,
    )
    return EidTransactions(config, client, store, clock)
