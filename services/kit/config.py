"""A service app's configuration: from the environment (``<KEY>_…`` and ``HUB_URL``), validated
at start-up; tests pass a :class:`ServiceConfig` directly.

Fees are configuration: ``fees.toml`` beside this package (or the file in ``SERVICE_FEES``)
holds the fee per service and option in euro cents.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FEES = Path(__file__).resolve().parents[1] / "fees.toml"


class ConfigError(ValueError):
    pass


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


def load_fees(path: Path, service: str) -> dict[str, int]:
    """The service's fees in cents by option; refuses anything that is not a whole amount."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read fees from {path}: {exc}") from exc
    table = data.get(service, {})
    if not isinstance(table, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1_000_000
        for v in table.values()
    ):
        raise ConfigError(f"fees of {service}: whole cents between 0 and 1,000,000")
    return {str(k): int(v) for k, v in table.items()}
