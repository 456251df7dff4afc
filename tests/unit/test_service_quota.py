"""The yearly free quota's configuration (fees.toml) and its arithmetic: what is refused at
start-up, with which message, and which years the form shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from services import hundesteuer, sperrmuell
from services.kit import create_service_app
from services.kit.config import (
    ConfigError,
    QuotaTerms,
    ServiceConfig,
    load_fees,
    load_quota_terms,
)
from services.kit.definition import Fee, FreeQuota, Service
from services.kit.quota import Quota, Standing

TERMS = "frei_pro_jahr = 2\ngebuehr_je_weitere = 3500\n"


def _config(tmp_path: Path, fees_text: str) -> ServiceConfig:
    fees = tmp_path / "fees.toml"
    fees.write_text(fees_text, encoding="utf-8")
    return ServiceConfig(
        base_url="http://127.0.0.1:9",
        hub_url="http://127.0.0.1:8",
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        var_dir=tmp_path,
        secret_key="k" * 40,
        fees_file=fees,
    )


def test_the_shipped_fees_give_sperrmuell_two_free_pickups_then_35_euros() -> None:
    fees = Path("services/fees.toml")
    assert load_quota_terms(fees, "sperrmuell") == QuotaTerms(2, 3500)
    assert load_fees(fees, "sperrmuell") == {}  # the quota keys are not fee options
    assert load_quota_terms(fees, "meldebescheinigung") is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("frei_pro_jahr = -1\ngebuehr_je_weitere = 3500", "frei_pro_jahr .* not -1"),
        ("frei_pro_jahr = 2.5\ngebuehr_je_weitere = 3500", "frei_pro_jahr .* not 2.5"),
        ("frei_pro_jahr = true\ngebuehr_je_weitere = 3500", "frei_pro_jahr .* not True"),
        ('frei_pro_jahr = "zwei"\ngebuehr_je_weitere = 3500', "frei_pro_jahr .* not 'zwei'"),
        (
            "frei_pro_jahr = 400\ngebuehr_je_weitere = 3500",
            "frei_pro_jahr .* from 0 to 366, not 400",
        ),
        ("frei_pro_jahr = 2", "frei_pro_jahr is set, so gebuehr_je_weitere .* is needed"),
        ("gebuehr_je_weitere = 3500", "gebuehr_je_weitere is set but frei_pro_jahr is not"),
        ("frei_pro_jahr = 2\ngebuehr_je_weitere = 0", "gebuehr_je_weitere must be .* not 0"),
        ("frei_pro_jahr = 2\ngebuehr_je_weitere = -5", "gebuehr_je_weitere must be .* not -5"),
        ("frei_pro_jahr = 2\ngebuehr_je_weitere = 35.0", "gebuehr_je_weitere must be .* 35.0"),
    ],
)
def test_bad_quota_terms_stop_the_start_with_a_clear_message(
    tmp_path: Path, table: str, message: str
) -> None:
    config = _config(tmp_path, f"[sperrmuell]\n{table}\n")
    with pytest.raises(ConfigError, match=f"fees of sperrmuell: {message}"):
        create_service_app(sperrmuell.SERVICE, config)
    assert not (tmp_path / "s.db").exists()  # refused before anything was made


def test_zero_free_pickups_is_allowed_every_pickup_then_costs_the_fee(tmp_path: Path) -> None:
    config = _config(tmp_path, "[sperrmuell]\nfrei_pro_jahr = 0\ngebuehr_je_weitere = 3500\n")
    app = create_service_app(sperrmuell.SERVICE, config)
    assert app.extensions["kit_quota"].terms == QuotaTerms(0, 3500)


def test_a_quota_and_its_definition_come_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set frei_pro_jahr and gebuehr_je_weitere"):
        create_service_app(sperrmuell.SERVICE, _config(tmp_path, "[sperrmuell]\ndefault = 0\n"))
    with pytest.raises(ConfigError, match=r"fees of hundesteuer: .* this service counts none"):
        create_service_app(hundesteuer.SERVICE, _config(tmp_path, "[hundesteuer]\n" + TERMS))


def test_a_quota_needs_a_required_date_field_and_no_fee_rule(tmp_path: Path) -> None:
    config = _config(tmp_path, "[sperrmuell]\n" + TERMS)
    rule = sperrmuell.SERVICE.free_quota
    assert rule is not None
    for year_field in ("gegenstaende", "nirgends"):
        wrong: Service = replace(
            sperrmuell.SERVICE, free_quota=replace(rule, year_field=year_field)
        )
        with pytest.raises(ConfigError, match=f"year field '{year_field}' must be a required"):
            create_service_app(wrong, config)
    optional = tuple(
        replace(f, required=False) if f.name == "wunschtermin" else f
        for f in sperrmuell.SERVICE.fields
    )
    with pytest.raises(ConfigError, match="must be a required date field"):
        create_service_app(replace(sperrmuell.SERVICE, fields=optional), config)
    both = replace(sperrmuell.SERVICE, fee=Fee())
    with pytest.raises(ConfigError, match="exclude each other"):
        create_service_app(both, _config(tmp_path, "[sperrmuell]\ndefault = 0\n" + TERMS))


def test_standing_arithmetic() -> None:
    assert (Standing(2027, 2, 0, 3500).left, Standing(2027, 2, 0, 3500).due_cents) == (2, 0)
    assert (Standing(2027, 2, 1, 3500).left, Standing(2027, 2, 1, 3500).free) == (1, True)
    used_up = Standing(2027, 2, 2, 3500)
    assert (used_up.left, used_up.free, used_up.due_cents) == (0, False, 3500)
    # fewer free places configured than already used (the city lowered N): none left, no less
    assert Standing(2027, 1, 2, 3500).left == 0


def test_the_years_a_date_range_reaches() -> None:
    quota = Quota("sperrmuell", FreeQuota("wunschtermin", "Frei"), QuotaTerms(2, 3500))
    assert quota.years_open(7, 90, date(2026, 6, 1)) == [2026]
    assert quota.years_open(7, 90, date(2026, 11, 15)) == [2026, 2027]
    assert quota.years_open(7, 90, date(2026, 12, 28)) == [2027]
    assert quota.years_open(None, None, date(2026, 6, 1)) == [2026]
    assert quota.years_open(0, 5000, date(2026, 6, 1)) == [2026, 2027, 2028]  # at most three
    assert quota.year_of({"wunschtermin": "2027-01-04"}) == 2027
