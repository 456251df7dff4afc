"""The service kit's pure parts: field checks, fees from configuration, reading a form (verified
values never from the post), the providers' signatures and amounts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel

from services import meldebescheinigung, sperrmuell, ummeldung
from services.kit import applications
from services.kit.config import ConfigError, ServiceConfig, load_fees
from services.kit.definition import Field
from services.kit.payment import giro, paypal
from services.kit.visitor import Value, Visitor

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def context() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_field_checks() -> None:
    when = Field("d", "Datum", kind="date", min_days=7, max_days=90)
    assert when.check("2026-12-10", TODAY) is None
    assert when.check("2026-12-02", TODAY) == "Dieses Datum liegt zu früh."
    assert when.check("2027-06-01", TODAY) == "Dieses Datum liegt zu spät."
    assert when.check("1.12.2026", TODAY) == "Bitte ein Datum (TT.MM.JJJJ) angeben."
    count = Field("n", "Menge", kind="number", min_value=1, max_value=8)
    assert count.check("8", TODAY) is None and count.check("9", TODAY) is not None
    assert count.check("-1", TODAY) is not None and count.check("zwei", TODAY) is not None
    choice = Field("s", "Art", kind="select", choices=(("a", "A"),))
    assert choice.check("a", TODAY) is None and choice.check("b", TODAY) is not None
    text = Field("t", "Text", max_length=5, pattern=r"[A-Z]+", pattern_message="Groß.")
    assert text.check("ABCDEF", TODAY) == "Höchstens 5 Zeichen."
    assert text.check("abc", TODAY) == "Groß."
    assert Field("o", "Optional", required=False).check("  ", TODAY) is None
    assert Field("r", "Pflicht").check("  ", TODAY) == "Bitte ausfüllen."


def test_fees_come_from_configuration(tmp_path: Path) -> None:
    fees = load_fees(Path("services/fees.toml"), "meldebescheinigung")
    assert fees == {"einfach": 800, "erweitert": 1200}
    service = meldebescheinigung.SERVICE
    assert applications.fee_for(service, fees, {"art": "erweitert"}) == 1200
    assert applications.fee_for(sperrmuell.SERVICE, {}, {}) == 0
    bad = tmp_path / "fees.toml"
    for text in ('[x]\na = "acht"\n', "[x]\na = -1\n", "[x]\na = 8.5\n", "[x\n"):
        bad.write_text(text)
        with pytest.raises(ConfigError):
            load_fees(bad, "x")


def test_a_missing_fee_option_stops_the_start(tmp_path: Path) -> None:
    from services.kit import create_service_app

    fees = tmp_path / "fees.toml"
    fees.write_text("[meldebescheinigung]\neinfach = 800\n")
    config = ServiceConfig(
        base_url="http://127.0.0.1:9",
        hub_url="http://127.0.0.1:8",
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        var_dir=tmp_path,
        secret_key="k" * 40,
        fees_file=fees,
    )
    with pytest.raises(ConfigError, match="erweitert"):
        create_service_app(meldebescheinigung.SERVICE, config)
    with pytest.raises(ConfigError, match="secret key"):
        create_service_app(meldebescheinigung.SERVICE, replace(config, secret_key="short"))


def test_verified_values_come_from_the_session_never_from_the_post() -> None:
    visitor = Visitor(
        subject="s",
        level="high",
        channel="citizen",
        values={
            "street_address": Value("Heidestraße 17", verified=True),
            "locality": Value("Köln", verified=False),
        },
    )
    form = {
        "alte_strasse": "Fälschung 1",
        "alter_ort": "Bonn",
        "mitziehende-0-name": "Max",
        "mitziehende-0-geburtsdatum": "2030-01-01",
    }
    data, verified, problems = applications.read_form(ummeldung.SERVICE, form, visitor, TODAY)
    assert data["alte_strasse"] == "Heidestraße 17" and verified == ["alte_strasse"]
    assert data["alter_ort"] == "Bonn"  # self-asserted: the citizen may correct it
    assert problems["mitziehende"] == "Ein Geburtsdatum liegt in der Zukunft."
    assert "neue_strasse" in problems and "alte_strasse" not in problems


def test_giro_hashes_and_paypal_amounts() -> None:
    values = ["a", "b", "c"]
    sha = giro.signature("secret", values, "sha256")
    md5 = giro.signature("secret", values, "md5")
    assert len(sha) == 64 and len(md5) == 32 and sha != giro.signature("other", values, "sha256")
    with pytest.raises(ValueError):
        giro.Giro("http://x", "m", "p", "s", algorithm="sha1")
    assert paypal._cents("12.00") == 1200 and paypal._cents("8.5") == 850
    assert paypal._cents("abc") is None


def test_reference_numbers() -> None:
    seen = {applications.new_reference("MB") for _ in range(200)}
    assert len(seen) == 200
    assert all(r.startswith("MB-") and len(r.split("-")[2]) == 8 for r in seen)
    assert not any(c in r.split("-")[2] for r in seen for c in "ILOU")
