"""The Online-Ausweis settings and wiring: what is needed when eID is on, and production never
talks to the simulator (http, this machine, a moved eID-Client, the simulator's certificate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.eid.simulator.keys import self_signed
from connectors.eid.wiring import (
    SIMULATOR_MARK,
    is_simulator_certificate,
    production_problems,
    read_pem,
)
from core.settings import Settings, SettingsError
from tests.unit.test_settings import PRODUCTION, problems_of

REAL_SERVER = {
    "EID_ENABLED": "true",
    "EID_SERVER_URL": "https://eid.provider.example/eID",
    "EID_SERVER_CERT": "/etc/buergerportal/eid-server.pem",
}


def test_eid_is_off_unless_enabled() -> None:
    settings = Settings.from_env({})
    assert not settings.eid_enabled
    assert settings.eid_client_url == "http://127.0.0.1:24727/eID-Client"
    assert settings.eid_interface_version == "2.4.0"


def test_production_with_a_real_eid_server_is_accepted() -> None:
    settings = Settings.from_env(PRODUCTION | REAL_SERVER)
    assert settings.eid_enabled and settings.eid_sector == "https://buergerportal.example.de"


def test_eid_needs_its_server_and_certificate() -> None:
    found = problems_of({"EID_ENABLED": "true"})
    assert any("EID_SERVER_URL" in p for p in found)
    assert any("EID_SERVER_CERT" in p for p in found)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"EID_SERVER_URL": "http://eid.provider.example/eID"}, "EID_SERVER_URL must use https"),
        ({"EID_SERVER_URL": "https://127.0.0.1:8470/eID"}, "points at this machine"),
        ({"EID_SERVER_URL": "https://localhost/eID"}, "points at this machine"),
        ({"EID_ECARD_SERVER_ADDRESS": "http://eid.provider.example/paos"}, "must use https"),
        ({"EID_CLIENT_URL": "http://127.0.0.1:24728/eID-Client"}, "EID_CLIENT_URL must be"),
    ],
)
def test_production_refuses_the_simulator_by_its_urls(
    changes: dict[str, str], problem: str
) -> None:
    found = problems_of(PRODUCTION | REAL_SERVER | changes)
    assert any(problem in p for p in found), found


def test_development_may_use_the_simulator_over_http() -> None:
    settings = Settings.from_env(
        {
            **REAL_SERVER,
            "EID_SERVER_URL": "http://127.0.0.1:8470/eID",
            "EID_CLIENT_URL": "http://127.0.0.1:24728/eID-Client",
        }
    )
    assert settings.eid_server_url.startswith("http://127.0.0.1")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EID_INTERFACE_VERSION", "2.3.0"),
        ("EID_TIMEOUT_MS", "10"),
        ("EID_POLL_ATTEMPTS", "0"),
        ("EID_POLL_DELAY_MS", "5000"),
        ("EID_TRANSACTION_TTL", "5"),
        ("EID_CLIENT_URL", "eID-Client"),
    ],
)
def test_bad_eid_values_are_refused(name: str, value: str) -> None:
    assert any(name in p for p in problems_of(REAL_SERVER | {name: value}))


@pytest.fixture(scope="module")
def simulator_cert() -> bytes:
    return self_signed(SIMULATOR_MARK, key_size=2048).cert_pem


@pytest.fixture(scope="module")
def provider_cert() -> bytes:
    return self_signed("eID-Server Autent (Provider)", key_size=2048).cert_pem


def test_the_simulators_certificate_is_recognised(
    simulator_cert: bytes, provider_cert: bytes
) -> None:
    assert is_simulator_certificate(simulator_cert)
    assert not is_simulator_certificate(provider_cert)


def test_production_refuses_the_simulators_certificate(
    simulator_cert: bytes, provider_cert: bytes
) -> None:
    production = Settings.from_env(PRODUCTION | REAL_SERVER)
    development = Settings.from_env(REAL_SERVER)
    assert production_problems(production, simulator_cert) != []
    assert production_problems(production, provider_cert) == []
    assert production_problems(development, simulator_cert) == []


def test_an_unreadable_certificate_file_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "garbage.pem").write_text("not a certificate")
    with pytest.raises(SettingsError) as caught:
        read_pem(str(tmp_path / "garbage.pem"), "EID_SERVER_CERT")
    assert "EID_SERVER_CERT" in caught.value.problems[0]
    with pytest.raises(SettingsError):
        read_pem(str(tmp_path / "missing.pem"), "EID_SERVER_CERT")


def test_with_eid_on_its_keys_are_required_keys() -> None:
    from certs.policy import Policy
    from certs.types import KeyAlgorithm, KeyPurpose

    off = Policy.from_settings(Settings.from_env(PRODUCTION)).required
    on = Policy.from_settings(Settings.from_env(PRODUCTION | REAL_SERVER)).required
    eid = {
        (KeyPurpose.EID_WSSEC, KeyAlgorithm.RSA_3072),
        (KeyPurpose.EID_TLS, KeyAlgorithm.RSA_3072),
    }
    assert not eid & set(off)
    assert eid <= set(on) and set(off) <= set(on)
    named = Settings.from_env(
        PRODUCTION
        | REAL_SERVER
        | {
            "CERTS_REQUIRED_KEYS": ",".join(
                [
                    "saml-signing:rsa-3072",
                    "saml-encryption:rsa-3072",
                    "oidc-signing:rsa-3072",
                    "eid-wssec:ec-p256",
                ]
            )
        }
    )
    required = Policy.from_settings(named).required
    assert (KeyPurpose.EID_WSSEC, KeyAlgorithm.EC_P256) in required
    assert (KeyPurpose.EID_WSSEC, KeyAlgorithm.RSA_3072) not in required  # named otherwise
