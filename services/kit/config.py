"""A service app's configuration: from the environment (``<KEY>_…`` and ``HUB_URL``), validated
at start-up; tests pass a :class:`ServiceConfig` directly.

Fees are configuration: ``fees.toml`` beside this package (or the file in ``SERVICE_FEES``)
holds the fee per service and option in euro cents, and for a service with a yearly free
quota how many applications a calendar year are free (``frei_pro_jahr``) and the fee of each
further one (``gebuehr_je_weitere``).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

_JITTER = secrets.SystemRandom()
DEFAULT_FEES = Path(__file__).resolve().parents[1] / "fees.toml"
#: The issuing authority on certificates until ``SERVICE_AUTHORITY`` names the city.
DEMO_AUTHORITY = "Stadt Musterstadt"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    """How the status push retries an event (:mod:`services.kit.outbox`)."""

    attempts: int = 20
    #: Seconds before the second attempt; doubled for each further one, up to ``longest``.
    backoff: float = 5.0
    longest: float = 900.0

    def pause(self, failed: int, retry_after: float | None) -> float:
        base = min(self.backoff * 2.0 ** (failed - 1), self.longest)
        return float(max(base * _JITTER.uniform(0.8, 1.2), retry_after or 0.0))


@dataclass(frozen=True)
class PaymentConfig:
    """The payment providers a service may use (empty URLs: that provider is off)."""

    paypal_api: str = ""
    paypal_client_id: str = ""
    paypal_secret: str = ""
    paypal_webhook_id: str = ""
    giro_api: str = ""
    giro_merchant_id: str = ""
    giro_project_id: str = ""
    giro_secret: str = ""
    #: "sha256" (our simulator's default) or "md5" (what GiroCheckout itself uses).
    giro_hash: str = "sha256"

    @property
    def providers(self) -> tuple[str, ...]:
        found = []
        if self.paypal_api and self.paypal_client_id:
            found.append("paypal")
        if self.giro_api and self.giro_project_id:
            found.append("giro")
        return tuple(found)


@dataclass(frozen=True)
class ServiceConfig:
    base_url: str
    hub_url: str
    database_url: str
    var_dir: Path
    secret_key: str
    #: OIDC services: the citizen client and the back-office client at the hub.
    client_id: str = ""
    client_secret: str = ""
    clerk_client_id: str = ""
    clerk_client_secret: str = ""
    #: SAML services: the OAuth client for the status API (OIDC services use their own).
    status_client_id: str = ""
    status_client_secret: str = ""
    payment: PaymentConfig = field(default_factory=PaymentConfig)
    fees_file: Path = DEFAULT_FEES
    production: bool = False
    #: Seconds a draft waits for its payment before it is dropped.
    draft_ttl: int = 3600
    #: Status push: the read timeout of each request to the hub, the retry policy, and how
    #: often the background sender looks for events without being woken (seconds).
    push_timeout: float = 10.0
    push_policy: RetryPolicy = field(default_factory=RetryPolicy)
    push_interval: float = 30.0
    #: The city as it signs its certificates (``SERVICE_AUTHORITY``), e.g. "Stadt Köln".
    authority: str = DEMO_AUTHORITY

    @property
    def uses_https(self) -> bool:
        return self.base_url.startswith("https://")

    def check(self) -> None:
        problems = []
        if self.production and not self.uses_https:
            problems.append("base URL must be https in production")
        if len(self.secret_key) < 32:
            problems.append("secret key of at least 32 characters")
        if not self.hub_url.startswith(("https://", "http://")):
            problems.append("HUB_URL must be an http(s) URL")
        if not 2 <= len(self.authority.strip()) <= 120:
            problems.append("SERVICE_AUTHORITY: the city's name, 2 to 120 characters")
        elif self.production and self.authority == DEMO_AUTHORITY:
            problems.append(
                "SERVICE_AUTHORITY (the city on certificates) is required in production"
            )
        if problems:
            raise ConfigError("; ".join(problems))

    @classmethod
    def from_env(cls, key: str, port: int) -> ServiceConfig:
        env = os.environ
        prefix = key.upper() + "_"
        var_dir = Path(env.get(prefix + "VAR_DIR", f"var/services/{key}"))
        payment = PaymentConfig(
            **{
                name: env.get("PAYMENT_" + name.upper(), default)
                for name, default in vars(PaymentConfig()).items()
            }
        )
        return cls(
            base_url=env.get(prefix + "BASE_URL", f"http://127.0.0.1:{port}"),
            hub_url=env.get("HUB_URL", "http://127.0.0.1:8000"),
            database_url=env.get(prefix + "DATABASE_URL", f"sqlite:///{var_dir}/service.db"),
            var_dir=var_dir,
            secret_key=env.get(prefix + "SECRET_KEY") or _dev_secret(var_dir, env),
            client_id=env.get(prefix + "CLIENT_ID", ""),
            client_secret=env.get(prefix + "CLIENT_SECRET", ""),
            clerk_client_id=env.get(prefix + "CLERK_CLIENT_ID", ""),
            clerk_client_secret=env.get(prefix + "CLERK_CLIENT_SECRET", ""),
            status_client_id=env.get(prefix + "STATUS_CLIENT_ID", ""),
            status_client_secret=env.get(prefix + "STATUS_CLIENT_SECRET", ""),
            payment=payment,
            fees_file=Path(env.get("SERVICE_FEES", str(DEFAULT_FEES))),
            production=env.get("PORTAL_ENV") == "production",
            authority=env.get("SERVICE_AUTHORITY", DEMO_AUTHORITY),
        )


def _dev_secret(var_dir: Path, env: os._Environ[str]) -> str:
    if env.get("PORTAL_ENV") == "production":
        raise ConfigError("a secret key is required in production")
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


#: ``fees.toml`` keys of a yearly free quota (SERVICES.md: "free up to N a year, then a fee");
#: they are not fee options. Both or neither.
FREE_PER_YEAR = "frei_pro_jahr"
FURTHER_FEE = "gebuehr_je_weitere"
QUOTA_KEYS = frozenset({FREE_PER_YEAR, FURTHER_FEE})
MAX_FEE_CENTS = 1_000_000


@dataclass(frozen=True)
class QuotaTerms:
    """How many applications of a citizen a calendar year are free, and the fee of each
    further one (in cents)."""

    free_per_year: int
    further_fee_cents: int


def _whole(value: object, lo: int, hi: int) -> int | None:
    """``value`` if it is a whole number (not a bool) from ``lo`` to ``hi``, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
        return value
    return None


def _service_table(path: Path, service: str) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read fees from {path}: {exc}") from exc
    table = data.get(service, {})
    if not isinstance(table, dict):
        raise ConfigError(f"fees of {service}: whole cents between 0 and 1,000,000")
    return {str(k): v for k, v in table.items()}


def load_fees(path: Path, service: str) -> dict[str, int]:
    """The service's fees in cents by option; refuses anything that is not a whole amount.
    The quota keys (:data:`QUOTA_KEYS`) are not options: see :func:`load_quota_terms`."""
    table = _service_table(path, service)
    amounts = {k: _whole(v, 0, MAX_FEE_CENTS) for k, v in table.items() if k not in QUOTA_KEYS}
    fees = {k: v for k, v in amounts.items() if v is not None}
    if len(fees) != len(amounts):
        raise ConfigError(f"fees of {service}: whole cents between 0 and 1,000,000")
    return fees


def load_quota_terms(path: Path, service: str) -> QuotaTerms | None:
    """The service's yearly free quota from ``frei_pro_jahr`` and ``gebuehr_je_weitere``, or
    None if neither is set; refuses a negative count, a missing fee and a fee of 0."""
    table = _service_table(path, service)
    if FREE_PER_YEAR not in table and FURTHER_FEE not in table:
        return None
    if FREE_PER_YEAR not in table:
        raise ConfigError(
            f"fees of {service}: {FURTHER_FEE} is set but {FREE_PER_YEAR} is not "
            "(how many applications a calendar year are free)"
        )
    count = _whole(table[FREE_PER_YEAR], 0, 366)
    if count is None:
        raise ConfigError(
            f"fees of {service}: {FREE_PER_YEAR} (free applications per calendar year) must "
            f"be a whole number from 0 to 366, not {table[FREE_PER_YEAR]!r}"
        )
    if FURTHER_FEE not in table:
        raise ConfigError(
            f"fees of {service}: {FREE_PER_YEAR} is set, so {FURTHER_FEE} (the fee in cents "
            "of each further application in the same year) is needed"
        )
    fee = _whole(table[FURTHER_FEE], 1, MAX_FEE_CENTS)
    if fee is None:
        raise ConfigError(
            f"fees of {service}: {FURTHER_FEE} must be whole cents from 1 to 1,000,000 "
            f"(after the free ones a fee is due), not {table[FURTHER_FEE]!r}"
        )
    return QuotaTerms(free_per_year=count, further_fee_cents=fee)
