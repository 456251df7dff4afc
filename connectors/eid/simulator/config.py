"""Settings of the simulator (a separate development/test app, not the hub)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connectors.eid.fields import FIELDS_2_4_0
from connectors.eid.schema import InterfaceVersion
from connectors.eid.tctoken import DEFAULT_CLIENT_URL


@dataclass(frozen=True)
class SimulatorConfig:
    #: Keys live here (generated at first start).
    var_dir: Path = Path("var/eid-simulator")
    #: Public base URL of the eID-Server half (the SOAP endpoint is ``<url>/eID``; the
    #: eCardServerAddress handed to the eID-Client is ``<url>/paos``).
    server_url: str = "http://127.0.0.1:8470"
    #: Where the eID-Client stand-in answers (AusweisApp's standard address by default).
    client_url: str = DEFAULT_CLIENT_URL
    version: InterfaceVersion = InterfaceVersion.V2_4_0
    #: The authorization certificate (Berechtigungszertifikat) of the service: its name,
    #: its sector (for RestrictedID) and the fields it may read.
    service_name: str = "Bürgerportal (Entwicklung)"
    sector: str = "https://buergerportal.example"
    rights: frozenset[str] = field(default_factory=lambda: frozenset(FIELDS_2_4_0))
    #: PEM of the eService's WS-Security certificate; requests signed otherwise are refused.
    service_cert_pem: bytes | None = None
    max_open_sessions: int = 50
    session_ttl: int = 600
    #: getResult answers noResultYet this many times after the card was read.
    no_result_polls: int = 0
    #: Seconds every SOAP answer is delayed (a slow eID-Server).
    answer_delay: float = 0.0
    #: PEM of the CA to trust when the eID-Client stand-in fetches an https TC token.
    tc_token_ca_pem: bytes | None = None

    @property
    def ecard_server_address(self) -> str:
        return self.server_url + "/paos"
