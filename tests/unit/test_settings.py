"""Settings: one typed object from the environment, validated at start-up (fail fast).

Development needs nothing; production refuses every shortcut that is only fine on a laptop,
and a misconfiguration lists *all* its problems at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import (
    ARGON2_MIN_MEMORY_KIB,
    Environment,
    Settings,
    SettingsError,
    env_name,
)

#: A complete, valid production environment; each negative test breaks one thing in it.
PRODUCTION: dict[str, str] = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 48,
    "PORTAL_BASE_URL": "https://buergerportal.example.de",
    "DATABASE_URL": "postgresql://portal@db.internal:5432/portal",
    "REDIS_URL": "rediss://cache.internal:6380/0",
    "SMTP_HOST": "mail.internal",
    "OIDC_PAIRWISE_SECRET": "p" * 48,
    "CERTS_KEK": "Y2VydHMta2V5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=",
}


def problems_of(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    return caught.value.problems


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION.items() if k != name}


def test_development_starts_with_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.environment is Environment.DEVELOPMENT
    assert not settings.is_production
    assert settings.database_url.startswith("sqlite:")
    assert settings.redis_url == ""
    assert settings.default_locale == "de"


def test_development_invents_a_strong_secret_per_start() -> None:
    first, second = Settings.from_env({}), Settings.from_env({})
    assert len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key


def test_defaults_meet_the_password_and_argon2_floors() -> None:
    settings = Settings.from_env({})
    assert settings.password_min_length >= 8
    assert settings.password_max_length >= 64
    assert settings.argon2_memory_kib >= 19 * 1024
    assert settings.argon2_time_cost >= 2
    assert settings.argon2_parallelism >= 1


def test_a_complete_production_environment_is_accepted() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production
    assert settings.uses_https
    assert settings.secret_key == "s" * 48


def test_values_are_read_and_typed_from_their_variables(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "ARGON2_TIME_COST": "3",
            "SMTP_STARTTLS": "no",
            "DEMO_DATA": "yes",
            "MAIL_OUTBOX_DIR": str(tmp_path),
            "PORTAL_ENV": "test",
        }
    )
    assert settings.argon2_time_cost == 3
    assert settings.smtp_starttls is False
    assert settings.demo_data is True
    assert settings.mail_outbox_dir == tmp_path
    assert settings.environment is Environment.TEST


def test_empty_variables_mean_the_default() -> None:
    assert Settings.from_env({"ARGON2_TIME_COST": ""}).argon2_time_cost == 2


@pytest.mark.parametrize(
    ("missing", "problem"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("REDIS_URL", "REDIS_URL is required in production"),
        ("SMTP_HOST", "SMTP_HOST is required in production"),
    ],
)
def test_production_refuses_a_missing_service(missing: str, problem: str) -> None:
    assert any(problem in p for p in problems_of(without(missing)))


def test_production_never_invents_a_secret() -> None:
    problems = problems_of(without("SECRET_KEY"))
    assert any("SECRET_KEY is required" in p for p in problems)


def test_production_refuses_plain_http() -> None:
    problems = problems_of({**PRODUCTION, "PORTAL_BASE_URL": "http://buergerportal.example.de"})
    assert any("must use https in production" in p for p in problems)


def test_production_refuses_the_embedded_sqlite_database() -> None:
    problems = problems_of({**PRODUCTION, "DATABASE_URL": "sqlite:///var/portal.db"})
    assert any("DATABASE_URL must point to PostgreSQL" in p for p in problems)


def test_production_refuses_demo_data() -> None:
    problems = problems_of({**PRODUCTION, "DEMO_DATA": "true"})
    assert any("DEMO_DATA must not be enabled" in p for p in problems)


def test_production_lists_every_problem_at_once() -> None:
    problems = problems_of(
        {
            "PORTAL_ENV": "production",
            "PORTAL_BASE_URL": "http://portal.example",
            "DATABASE_URL": "sqlite:///x.db",
            "DEMO_DATA": "1",
        }
    )
    text = "\n".join(problems)
    for expected in ("SECRET_KEY", "https", "PostgreSQL", "REDIS_URL", "SMTP_HOST", "DEMO_DATA"):
        assert expected in text


def test_the_error_message_names_every_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(without("SMTP_HOST") | {"DEMO_DATA": "1"})
    message = str(caught.value)
    assert "SMTP_HOST" in message and "DEMO_DATA" in message


def test_a_short_secret_is_refused_everywhere() -> None:
    problems = problems_of({"SECRET_KEY": "too-short"})
    assert problems == ["SECRET_KEY must be at least 32 characters"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ARGON2_MEMORY_KIB", str(ARGON2_MIN_MEMORY_KIB - 1)),
        ("ARGON2_TIME_COST", "1"),
        ("ARGON2_PARALLELISM", "0"),
    ],
)
def test_argon2_below_the_owasp_minimum_is_refused(variable: str, value: str) -> None:
    problems = problems_of({variable: value})
    assert problems and all(variable in p for p in problems)


def test_argon2_at_exactly_the_minimum_is_accepted() -> None:
    settings = Settings.from_env(
        {"ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME_COST": "2", "ARGON2_PARALLELISM": "1"}
    )
    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == (19456, 2)


def test_stronger_argon2_parameters_are_accepted() -> None:
    settings = Settings.from_env({"ARGON2_MEMORY_KIB": "65536", "ARGON2_TIME_COST": "4"})
    assert settings.argon2_memory_kib == 65536


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PASSWORD_MIN_LENGTH", "7"),
        ("PASSWORD_MAX_LENGTH", "63"),
    ],
)
def test_the_password_length_floors_cannot_be_lowered(variable: str, value: str) -> None:
    assert any(variable in p for p in problems_of({variable: value}))


def test_the_maximum_password_length_is_not_below_the_minimum() -> None:
    problems = problems_of({"PASSWORD_MIN_LENGTH": "100", "PASSWORD_MAX_LENGTH": "80"})
    assert any("PASSWORD_MAX_LENGTH" in p for p in problems)


def test_bad_integers_and_booleans_are_all_listed_at_once() -> None:
    problems = problems_of(
        {
            "ARGON2_TIME_COST": "two",
            "SMTP_PORT": "5.87",
            "SMTP_STARTTLS": "maybe",
            "DEMO_DATA": "ja",
            "PORTAL_ENV": "staging",
        }
    )
    assert len(problems) == 5
    text = "\n".join(problems)
    assert "ARGON2_TIME_COST: expected an integer, got 'two'" in text
    assert "SMTP_PORT: expected an integer" in text
    assert "SMTP_STARTTLS: expected true or false, got 'maybe'" in text
    assert "DEMO_DATA: expected true or false" in text
    assert "PORTAL_ENV: expected one of development, test, production" in text


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("PORTAL_BASE_URL", "portal.example", "absolute http(s) URL"),
        ("PORTAL_BASE_URL", "ftp://portal.example", "absolute http(s) URL"),
        ("PORTAL_BASE_URL", "https://portal.example/", "must not end in '/'"),
        ("PORTAL_BASE_URL", "https://portal.example?x=1", "query or fragment"),
        ("DATABASE_URL", "mysql://db/portal", "sqlite: or postgresql"),
        ("REDIS_URL", "http://cache:6379", "redis://"),
        ("DEFAULT_LOCALE", "fr", "DEFAULT_LOCALE"),
        ("EMAIL_VERIFICATION_TTL", "0", "EMAIL_VERIFICATION_TTL must be positive"),
        ("PASSWORD_RESET_TTL", "-5", "PASSWORD_RESET_TTL must be positive"),
        ("THROTTLE_MAX_DELAY_SECONDS", "0", "THROTTLE_MAX_DELAY_SECONDS must be positive"),
        ("THROTTLE_MAX_FAILURES_ACCOUNT_HOUR", "0", "THROTTLE_MAX_FAILURES_ACCOUNT_HOUR"),
        ("THROTTLE_FREE_FAILURES_ACCOUNT_ADDRESS", "-1", "THROTTLE_FREE_FAILURES_ACCOUNT"),
        ("THROTTLE_FREE_FAILURES_ADDRESS", "-1", "THROTTLE_FREE_FAILURES_ADDRESS"),
        ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES"),
        ("SMTP_PORT", "70000", "SMTP_PORT"),
    ],
)
def test_nonsense_values_are_refused_with_the_variable_named(
    variable: str, value: str, fragment: str
) -> None:
    assert any(fragment in p for p in problems_of({variable: value}))


def test_every_field_but_the_shipped_locales_has_an_environment_variable() -> None:
    from dataclasses import fields

    for f in fields(Settings):
        if f.name != "locales":  # the languages are the translations shipped, not configuration
            assert env_name(f.name)


def test_settings_built_in_code_are_validated_the_same_way() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(environment=Environment.PRODUCTION, secret_key="x" * 40).validate()
    assert any("PostgreSQL" in p for p in caught.value.problems)
