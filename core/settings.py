"""One typed settings object, read from environment variables and validated at start-up.

Every option is spelled out here with its variable name, its default and its limits. A
misconfiguration stops the process with *all* problems listed (fail fast), never a warning
that is lost in the log.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

#: Minimums from OWASP ASVS 5.0 V2.4 / RFC 9106 "second recommended option" for Argon2id.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2
ARGON2_MIN_PARALLELISM = 1
#: NIST SP 800-63B-4 §3.1.1.2: at least 8 characters; verifiers SHOULD allow at least 64.
PASSWORD_MIN_LENGTH_FLOOR = 8
PASSWORD_MAX_LENGTH_FLOOR = 64


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(Exception):
    """Raised at start-up with every problem found in the environment."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True, kw_only=True)
class Settings:
    environment: Environment = Environment.DEVELOPMENT
    #: Signs the CSRF token and the session cookie. Required outside development.
    secret_key: str = ""
    #: Public base URL of the hub (scheme, host, port, no trailing slash).
    base_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///var/buergerportal.db"
    #: Empty means the in-process store (single process, development only).
    redis_url: str = ""
    #: Prefix for every key the hub writes to the key-value store.
    store_prefix: str = "bp:"
    #: Directory for runtime files in development (SQLite file, outbox, dev secrets).
    var_dir: Path = Path("var")
    #: Number of reverse proxies in front of the hub whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    default_locale: str = "de"
    locales: tuple[str, ...] = ("de", "en")

    argon2_time_cost: int = ARGON2_MIN_TIME_COST
    argon2_memory_kib: int = ARGON2_MIN_MEMORY_KIB
    argon2_parallelism: int = ARGON2_MIN_PARALLELISM
    password_min_length: int = PASSWORD_MIN_LENGTH_FLOOR
    password_max_length: int = 256

    #: Lifetime of an e-mail verification link and a password-reset link, in seconds.
    email_verification_ttl: int = 24 * 3600
    password_reset_ttl: int = 30 * 60

    #: Login throttling (see account/throttle.py for the algorithm).
    throttle_free_failures_account_address: int = 5
    throttle_free_failures_address: int = 30
    throttle_max_failures_account_hour: int = 100
    throttle_max_delay_seconds: int = 15 * 60

    #: Outgoing mail: SMTP in production, a folder of .eml files in development.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Bürgerportal <noreply@buergerportal.example>"
    mail_outbox_dir: Path = field(default_factory=lambda: Path("var/outbox"))

    #: Create the demo citizen and demo administrator (development only).
    demo_data: bool = False

    # --- keys and certificates (certs/, issue 3) -----------------------------------------------
    #: Key-encryption key for private keys at rest: base64 of 32 random bytes. Required in
    #: production; outside production an empty value means a random one kept in ``var_dir``.
    certs_kek: str = ""
    #: Earlier KEKs (base64, comma-separated): still decrypt during a KEK rotation.
    certs_kek_previous: str = ""
    #: Keys that must be active, as comma-separated ``purpose:algorithm`` pairs.
    certs_required_keys: str = (
        "saml-signing:rsa-3072,saml-encryption:rsa-3072,oidc-signing:rsa-3072,oidc-signing:ec-p256"
    )
    #: Validity of generated keys and self-signed certificates, in days.
    certs_key_lifetime_days: int = 365
    #: A new key is published at least this long (seconds) before it may sign.
    certs_publication_lead_time: int = 7 * 24 * 3600
    #: Longest lifetime (seconds) of anything signed: tokens, assertions, signed metadata. A
    #: retired key stays published at least this long.
    certs_max_token_lifetime: int = 2 * 24 * 3600
    #: Scheduled rollover creates the next key this many days before the active one expires.
    certs_rollover_days: int = 30
    #: Warn when an active key (certificate) expires within this many days.
    certs_expiry_warning_days: int = 14
    #: Let the scheduled rollover replace imported (city-PKI) keys by generated ones.
    certs_rotate_imported: bool = False
    #: How often (seconds) a process asks the database whether keys changed; 0 = on every use.
    certs_cache_check_seconds: int = 10
    # --- end keys and certificates -------------------------------------------------------------

    # --- OpenID Connect provider (idp/oidc) ---------------------------------------------------
    #: Issuer identifier; empty means the base URL (OpenID Connect Discovery 1.0 §4.3).
    oidc_issuer: str = ""
    #: Secret for pairwise ``sub`` values (OIDC Core §8.1) and the keyed hashes of client
    #: secrets and refresh tokens. Required in production; never change it once in use.
    #: Outside production an empty value means a random one kept in ``var_dir``.
    oidc_pairwise_secret: str = ""
    #: Lifetimes in seconds: authorization code (at most 60), access token, ID token, and the
    #: absolute lifetime of a refresh-token family (rotation never extends it).
    oidc_code_ttl: int = 60
    oidc_access_token_ttl: int = 300
    oidc_id_token_ttl: int = 300
    oidc_refresh_token_ttl: int = 8 * 3600
    #: JWS algorithm of access tokens (RFC 9068), if the signing keys offer it.
    oidc_access_token_alg: str = "ES256"
    # --- end OpenID Connect provider ----------------------------------------------------------

    # --- Online-Ausweis (eID, issue 6; connectors/eid, account/eid) ---------------------------
    #: Offer login, registration and step-up with the ID card. Needs the eID-Server settings.
    eid_enabled: bool = False
    #: SOAP endpoint of the eID-Server (TR-03130 eID-Interface), https in production.
    eid_server_url: str = ""
    #: PEM file of the eID-Server's WS-Security signing certificate (answers must carry it).
    eid_server_cert: str = ""
    #: PEM file of the trust anchors for the eID-Server's TLS certificate; empty: system CAs.
    eid_server_tls_ca: str = ""
    #: The eID-Client's address (TR-03124-1); production uses exactly the standard one.
    eid_client_url: str = "http://127.0.0.1:24727/eID-Client"
    #: eID-Interface version spoken: 2.4.0 or 2.0.2.
    eid_interface_version: str = "2.4.0"
    #: The sector of the authorization certificate (RestrictedIDs belong to it); empty: base URL.
    eid_service_sector: str = ""
    #: ServerAddress for the TC token when the useIDResponse carries no eCardServerAddress.
    eid_ecard_server_address: str = ""
    #: Timeout of one SOAP call, in milliseconds.
    eid_timeout_ms: int = 10_000
    #: getResult while noResultYet: at most this many calls, waiting from the first delay
    #: doubling up to the maximum delay (milliseconds) in between.
    eid_poll_attempts: int = 8
    eid_poll_delay_ms: int = 250
    eid_poll_max_delay_ms: int = 2_000
    #: Lifetime of one eID transaction (activation link to RefreshAddress), in seconds.
    eid_transaction_ttl: int = 600
    # --- end Online-Ausweis --------------------------------------------------------------------

    @property
    def eid_sector(self) -> str:
        return self.eid_service_sector or self.base_url

    @property
    def oidc_issuer_url(self) -> str:
        return self.oidc_issuer or self.base_url

    # --- SAML 2.0 identity provider (idp/saml) ------------------------------------------------
    #: The IdP's entityID; empty means the metadata URL, base URL + "/saml/metadata".
    saml_entity_id: str = ""
    #: Allowed clock difference to SPs for IssueInstant/NotBefore checks, in seconds.
    saml_clock_skew: int = 90
    #: How old an incoming request may be; its ID is remembered that long against replay.
    saml_request_max_age: int = 300
    #: Assertion validity (NotOnOrAfter of conditions and bearer confirmation), in seconds.
    saml_assertion_lifetime: int = 300
    #: Largest accepted SAML message after base64 decoding and inflating, in bytes.
    saml_max_message_bytes: int = 64 * 1024
    # --- end SAML ------------------------------------------------------------------------------

    @property
    def saml_entity_id_url(self) -> str:
        return self.saml_entity_id or self.base_url + "/saml/metadata"

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def uses_https(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build and validate settings from ``environ`` (default: ``os.environ``)."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        values = _read(env, problems)
        if problems:
            raise SettingsError(problems)
        settings = cls(**values)  # type: ignore[arg-type]
        settings = settings._with_development_secret()
        settings.validate()
        return settings

    def _with_development_secret(self) -> Settings:
        if self.secret_key or self.is_production:
            return self
        return _replace(self, secret_key=secrets.token_urlsafe(32))

    def validate(self) -> None:
        """Raise :class:`SettingsError` listing every problem."""
        problems: list[str] = []
        problems += _check_secrets(self)
        problems += _check_urls(self)
        problems += _check_password_policy(self)
        problems += _check_limits(self)
        problems += _check_production(self)
        problems += _check_certs(self)
        problems += _check_oidc(self)
        problems += _check_eid(self)
        problems += _check_saml(self)
        if problems:
            raise SettingsError(problems)


def _replace(settings: Settings, **changes: object) -> Settings:
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type,unused-ignore]


_ENV_NAMES: dict[str, str] = {
    "environment": "PORTAL_ENV",
    "secret_key": "SECRET_KEY",
    "base_url": "PORTAL_BASE_URL",
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "store_prefix": "STORE_PREFIX",
    "var_dir": "PORTAL_VAR_DIR",
    "trusted_proxies": "TRUSTED_PROXIES",
    "default_locale": "DEFAULT_LOCALE",
    "argon2_time_cost": "ARGON2_TIME_COST",
    "argon2_memory_kib": "ARGON2_MEMORY_KIB",
    "argon2_parallelism": "ARGON2_PARALLELISM",
    "password_min_length": "PASSWORD_MIN_LENGTH",
    "password_max_length": "PASSWORD_MAX_LENGTH",
    "email_verification_ttl": "EMAIL_VERIFICATION_TTL",
    "password_reset_ttl": "PASSWORD_RESET_TTL",
    "throttle_free_failures_account_address": "THROTTLE_FREE_FAILURES_ACCOUNT_ADDRESS",
    "throttle_free_failures_address": "THROTTLE_FREE_FAILURES_ADDRESS",
    "throttle_max_failures_account_hour": "THROTTLE_MAX_FAILURES_ACCOUNT_HOUR",
    "throttle_max_delay_seconds": "THROTTLE_MAX_DELAY_SECONDS",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_username": "SMTP_USERNAME",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_starttls": "SMTP_STARTTLS",
    "mail_from": "MAIL_FROM",
    "mail_outbox_dir": "MAIL_OUTBOX_DIR",
    "demo_data": "DEMO_DATA",
    "certs_kek": "CERTS_KEK",
    "certs_kek_previous": "CERTS_KEK_PREVIOUS",
    "certs_required_keys": "CERTS_REQUIRED_KEYS",
    "certs_key_lifetime_days": "CERTS_KEY_LIFETIME_DAYS",
    "certs_publication_lead_time": "CERTS_PUBLICATION_LEAD_TIME",
    "certs_max_token_lifetime": "CERTS_MAX_TOKEN_LIFETIME",
    "certs_rollover_days": "CERTS_ROLLOVER_DAYS",
    "certs_expiry_warning_days": "CERTS_EXPIRY_WARNING_DAYS",
    "certs_rotate_imported": "CERTS_ROTATE_IMPORTED",
    "certs_cache_check_seconds": "CERTS_CACHE_CHECK_SECONDS",
    "oidc_issuer": "OIDC_ISSUER",
    "oidc_pairwise_secret": "OIDC_PAIRWISE_SECRET",
    "oidc_code_ttl": "OIDC_CODE_TTL",
    "oidc_access_token_ttl": "OIDC_ACCESS_TOKEN_TTL",
    "oidc_id_token_ttl": "OIDC_ID_TOKEN_TTL",
    "oidc_refresh_token_ttl": "OIDC_REFRESH_TOKEN_TTL",
    "oidc_access_token_alg": "OIDC_ACCESS_TOKEN_ALG",
    "eid_enabled": "EID_ENABLED",
    "eid_server_url": "EID_SERVER_URL",
    "eid_server_cert": "EID_SERVER_CERT",
    "eid_server_tls_ca": "EID_SERVER_TLS_CA",
    "eid_client_url": "EID_CLIENT_URL",
    "eid_interface_version": "EID_INTERFACE_VERSION",
    "eid_service_sector": "EID_SERVICE_SECTOR",
    "eid_ecard_server_address": "EID_ECARD_SERVER_ADDRESS",
    "eid_timeout_ms": "EID_TIMEOUT_MS",
    "eid_poll_attempts": "EID_POLL_ATTEMPTS",
    "eid_poll_delay_ms": "EID_POLL_DELAY_MS",
    "eid_poll_max_delay_ms": "EID_POLL_MAX_DELAY_MS",
    "eid_transaction_ttl": "EID_TRANSACTION_TTL",
    "saml_entity_id": "SAML_ENTITY_ID",
    "saml_clock_skew": "SAML_CLOCK_SKEW",
    "saml_request_max_age": "SAML_REQUEST_MAX_AGE",
    "saml_assertion_lifetime": "SAML_ASSERTION_LIFETIME",
    "saml_max_message_bytes": "SAML_MAX_MESSAGE_BYTES",
}


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    return _ENV_NAMES[field_name]


def _read(env: Mapping[str, str], problems: list[str]) -> dict[str, object]:
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, object] = {}
    for name, var in _ENV_NAMES.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        try:
            values[name] = _convert(types[name], raw)
        except ValueError as exc:
            problems.append(f"{var}: {exc}")
    return values


def _convert(type_name: object, raw: str) -> object:
    if type_name == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
    if type_name == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if type_name == "Path":
        return Path(raw)
    if type_name == "Environment":
        try:
            return Environment(raw)
        except ValueError:
            allowed = ", ".join(e.value for e in Environment)
            raise ValueError(f"expected one of {allowed}, got {raw!r}") from None
    return raw


def _check_secrets(s: Settings) -> list[str]:
    if not s.secret_key:
        return ["SECRET_KEY is required outside development"]
    if len(s.secret_key) < 32:
        return ["SECRET_KEY must be at least 32 characters"]
    return []


def _check_urls(s: Settings) -> list[str]:
    problems = []
    parts = urlsplit(s.base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        problems.append(f"PORTAL_BASE_URL must be an absolute http(s) URL, got {s.base_url!r}")
    if s.base_url.endswith("/") or parts.query or parts.fragment:
        problems.append("PORTAL_BASE_URL must not end in '/' or carry a query or fragment")
    if not s.database_url.startswith(("sqlite:", "postgresql")):
        problems.append("DATABASE_URL must be an sqlite: or postgresql URL")
    if s.redis_url and not s.redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    if s.default_locale not in s.locales:
        problems.append(f"DEFAULT_LOCALE must be one of {', '.join(s.locales)}")
    return problems


def _check_password_policy(s: Settings) -> list[str]:
    problems = []
    if s.argon2_memory_kib < ARGON2_MIN_MEMORY_KIB:
        problems.append(f"ARGON2_MEMORY_KIB must be at least {ARGON2_MIN_MEMORY_KIB}")
    if s.argon2_time_cost < ARGON2_MIN_TIME_COST:
        problems.append(f"ARGON2_TIME_COST must be at least {ARGON2_MIN_TIME_COST}")
    if s.argon2_parallelism < ARGON2_MIN_PARALLELISM:
        problems.append(f"ARGON2_PARALLELISM must be at least {ARGON2_MIN_PARALLELISM}")
    if s.password_min_length < PASSWORD_MIN_LENGTH_FLOOR:
        problems.append(f"PASSWORD_MIN_LENGTH must be at least {PASSWORD_MIN_LENGTH_FLOOR}")
    if s.password_max_length < max(PASSWORD_MAX_LENGTH_FLOOR, s.password_min_length):
        problems.append(
            f"PASSWORD_MAX_LENGTH must be at least {PASSWORD_MAX_LENGTH_FLOOR} "
            "and not below PASSWORD_MIN_LENGTH"
        )
    for name in ("email_verification_ttl", "password_reset_ttl", "throttle_max_delay_seconds"):
        if getattr(s, name) <= 0:
            problems.append(f"{env_name(name)} must be positive")
    return problems


def _check_limits(s: Settings) -> list[str]:
    """Counts that must not be negative (or zero) for the throttle, the proxy fix and SMTP."""
    problems = []
    for name in (
        "throttle_free_failures_account_address",
        "throttle_free_failures_address",
        "trusted_proxies",
    ):
        if getattr(s, name) < 0:
            problems.append(f"{env_name(name)} must not be negative")
    if s.throttle_max_failures_account_hour < 1:
        problems.append("THROTTLE_MAX_FAILURES_ACCOUNT_HOUR must be at least 1")
    if not 1 <= s.smtp_port <= 65535:
        problems.append("SMTP_PORT must be between 1 and 65535")
    return problems


def _check_saml(s: Settings) -> list[str]:
    problems = []
    if s.saml_entity_id:
        parts = urlsplit(s.saml_entity_id)
        if parts.scheme not in {"http", "https", "urn"} or len(s.saml_entity_id) > 1024:
            problems.append("SAML_ENTITY_ID must be an absolute URI of at most 1024 characters")
    if not 0 <= s.saml_clock_skew <= 600:
        problems.append("SAML_CLOCK_SKEW must be between 0 and 600 seconds")
    if not 30 <= s.saml_request_max_age <= 3600:
        problems.append("SAML_REQUEST_MAX_AGE must be between 30 and 3600 seconds")
    if not 30 <= s.saml_assertion_lifetime <= 3600:
        problems.append("SAML_ASSERTION_LIFETIME must be between 30 and 3600 seconds")
    if not 4096 <= s.saml_max_message_bytes <= 1024 * 1024:
        problems.append("SAML_MAX_MESSAGE_BYTES must be between 4096 and 1048576")
    return problems


def _check_production(s: Settings) -> list[str]:
    if not s.is_production:
        return []
    problems = []
    if not s.uses_https:
        problems.append("PORTAL_BASE_URL must use https in production")
    if not s.database_url.startswith("postgresql"):
        problems.append("DATABASE_URL must point to PostgreSQL in production")
    if not s.redis_url:
        problems.append("REDIS_URL is required in production (the in-process store is per process)")
    if not s.smtp_host:
        problems.append("SMTP_HOST is required in production (the outbox is for development)")
    if s.demo_data:
        problems.append("DEMO_DATA must not be enabled in production")
    return problems


def _check_oidc(s: Settings) -> list[str]:
    problems = []
    if s.oidc_issuer:
        parts = urlsplit(s.oidc_issuer)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            problems.append("OIDC_ISSUER must be an absolute http(s) URL")
        if s.oidc_issuer.endswith("/") or parts.query or parts.fragment:
            problems.append("OIDC_ISSUER must not end in '/' or carry a query or fragment")
        if s.is_production and parts.scheme != "https":
            problems.append("OIDC_ISSUER must use https in production")
    if s.is_production and len(s.oidc_pairwise_secret) < 32:
        problems.append("OIDC_PAIRWISE_SECRET of at least 32 characters is required in production")
    if not 1 <= s.oidc_code_ttl <= 60:
        problems.append("OIDC_CODE_TTL must be between 1 and 60 seconds")
    for name in ("oidc_access_token_ttl", "oidc_id_token_ttl", "oidc_refresh_token_ttl"):
        if getattr(s, name) <= 0:
            problems.append(f"{env_name(name)} must be positive")
    if s.oidc_access_token_alg not in {"RS256", "PS256", "ES256"}:
        problems.append("OIDC_ACCESS_TOKEN_ALG must be RS256, PS256 or ES256")
    return problems


# --- keys and certificates (certs/, issue 3) -------------------------------------------------


def decode_key_encryption_key(text: str) -> bytes:
    """The 32 bytes of a base64 (standard or URL-safe) key-encryption key."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    if len(raw) != 32:
        raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
    return raw


def _check_certs(s: Settings) -> list[str]:
    problems = []
    keks = [("CERTS_KEK", s.certs_kek)]
    keks += [("CERTS_KEK_PREVIOUS", k) for k in s.certs_kek_previous.split(",") if k.strip()]
    for var, value in keks:
        if value:
            try:
                decode_key_encryption_key(value)
            except ValueError as exc:
                problems.append(f"{var}: {exc}")
    if s.is_production and not s.certs_kek:
        problems.append("CERTS_KEK is required in production (base64 of 32 random bytes)")
    for pair in s.certs_required_keys.split(","):
        if pair.strip().count(":") != 1:
            problems.append(f"CERTS_REQUIRED_KEYS: expected purpose:algorithm, got {pair!r}")
    for name in ("certs_publication_lead_time", "certs_max_token_lifetime"):
        if getattr(s, name) <= 0:
            problems.append(f"{env_name(name)} must be positive")
    if s.certs_expiry_warning_days < 0 or s.certs_cache_check_seconds < 0:
        problems.append("CERTS_EXPIRY_WARNING_DAYS and CERTS_CACHE_CHECK_SECONDS must not be < 0")
    if s.certs_rollover_days * 86400 <= s.certs_publication_lead_time:
        problems.append("CERTS_ROLLOVER_DAYS must be longer than CERTS_PUBLICATION_LEAD_TIME")
    if s.certs_key_lifetime_days <= s.certs_rollover_days:
        problems.append("CERTS_KEY_LIFETIME_DAYS must be longer than CERTS_ROLLOVER_DAYS")
    return problems


# --- end keys and certificates ---------------------------------------------------------------


# --- Online-Ausweis (eID, issue 6) -----------------------------------------------------------

#: The eID-Client address of TR-03124-1 §2.2 (AusweisApp listens there).
EID_STANDARD_CLIENT_URL = "http://127.0.0.1:24727/eID-Client"
EID_INTERFACE_VERSIONS = ("2.4.0", "2.0.2")
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 (a name, not a bind)


def _is_loopback(host: str | None) -> bool:
    return host is not None and (host in _LOOPBACK or host.startswith("127."))


def _check_eid(s: Settings) -> list[str]:
    """The URL rules; the certificate rules (the simulator's certificate is refused in
    production) are checked when the connector is built (connectors/eid/wiring.py)."""
    if not s.eid_enabled:
        return []
    problems = []
    server = urlsplit(s.eid_server_url)
    if server.scheme not in {"http", "https"} or not server.hostname:
        problems.append("EID_SERVER_URL must be an absolute URL when EID_ENABLED is set")
    if not s.eid_server_cert:
        problems.append("EID_SERVER_CERT (PEM of the eID-Server's signing certificate) is required")
    client = urlsplit(s.eid_client_url)
    if client.scheme not in {"http", "https"} or not client.hostname or client.query:
        problems.append("EID_CLIENT_URL must be an absolute URL without a query")
    if s.eid_interface_version not in EID_INTERFACE_VERSIONS:
        problems.append("EID_INTERFACE_VERSION must be 2.4.0 or 2.0.2")
    if s.eid_ecard_server_address and urlsplit(s.eid_ecard_server_address).scheme not in {
        "http",
        "https",
    }:
        problems.append("EID_ECARD_SERVER_ADDRESS must be an absolute URL")
    if not 100 <= s.eid_timeout_ms <= 120_000:
        problems.append("EID_TIMEOUT_MS must be between 100 and 120000")
    if not 1 <= s.eid_poll_attempts <= 60:
        problems.append("EID_POLL_ATTEMPTS must be between 1 and 60")
    if not 0 <= s.eid_poll_delay_ms <= s.eid_poll_max_delay_ms <= 10_000:
        problems.append("EID_POLL_DELAY_MS must be between 0 and EID_POLL_MAX_DELAY_MS (≤ 10000)")
    if not 60 <= s.eid_transaction_ttl <= 1800:
        problems.append("EID_TRANSACTION_TTL must be between 60 and 1800 seconds")
    return problems + _check_eid_production(s)


def _check_eid_production(s: Settings) -> list[str]:
    """Production talks to a real eID-Server over https, never to the simulator: the simulator
    listens on the loopback interface over http, so both are refused."""
    if not s.is_production:
        return []
    problems = []
    for var, url in (
        ("EID_SERVER_URL", s.eid_server_url),
        ("EID_ECARD_SERVER_ADDRESS", s.eid_ecard_server_address),
    ):
        if url and urlsplit(url).scheme != "https":
            problems.append(f"{var} must use https in production")
        if url and _is_loopback(urlsplit(url).hostname):
            problems.append(f"{var} points at this machine (the eID simulator?) in production")
    if s.eid_client_url != EID_STANDARD_CLIENT_URL:
        problems.append(
            f"EID_CLIENT_URL must be the standard {EID_STANDARD_CLIENT_URL} in production"
        )
    return problems


# --- end Online-Ausweis ----------------------------------------------------------------------
