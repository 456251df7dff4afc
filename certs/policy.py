"""The rollover timing and the required keys, read once from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from certs.types import ALLOWED_ALGORITHMS, KeyAlgorithm, KeyPurpose
from core.settings import Settings, SettingsError

#: Production refuses to start unless these purposes have an active key.
MANDATORY_PURPOSES = (KeyPurpose.SAML_SIGNING, KeyPurpose.SAML_ENCRYPTION, KeyPurpose.OIDC_SIGNING)
#: With the Online-Ausweis enabled the WS-Security and TLS client keys are required as well
#: (RSA unless CERTS_REQUIRED_KEYS names another algorithm for the purpose).
EID_KINDS = (
    (KeyPurpose.EID_WSSEC, KeyAlgorithm.RSA_3072),
    (KeyPurpose.EID_TLS, KeyAlgorithm.RSA_3072),
)

KeyKind = tuple[KeyPurpose, KeyAlgorithm]


@dataclass(frozen=True)
class Policy:
    required: tuple[KeyKind, ...]
    #: Publication before a key may sign (RPs refresh JWKS and SAML metadata meanwhile).
    lead_time: timedelta
    #: How long a retired key stays published at least (longest signed lifetime).
    retention: timedelta
    key_lifetime: timedelta
    rollover_window: timedelta
    warning_window: timedelta
    rotate_imported: bool
    #: Host name used in the subject of self-signed certificates.
    host: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            required=_with_eid(
                parse_required(settings.certs_required_keys, settings.is_production),
                settings.eid_enabled,
            ),
            lead_time=timedelta(seconds=settings.certs_publication_lead_time),
            retention=timedelta(seconds=settings.certs_max_token_lifetime),
            key_lifetime=timedelta(days=settings.certs_key_lifetime_days),
            rollover_window=timedelta(days=settings.certs_rollover_days),
            warning_window=timedelta(days=settings.certs_expiry_warning_days),
            rotate_imported=settings.certs_rotate_imported,
            host=urlsplit(settings.base_url).hostname or "buergerportal",
        )


def _with_eid(required: tuple[KeyKind, ...], eid_enabled: bool) -> tuple[KeyKind, ...]:
    if not eid_enabled:
        return required
    named = {purpose for purpose, _ in required}
    return required + tuple(kind for kind in EID_KINDS if kind[0] not in named)


def parse_required(text: str, production: bool) -> tuple[KeyKind, ...]:
    """``purpose:algorithm`` pairs; raises :class:`SettingsError` listing every problem."""
    problems: list[str] = []
    found: list[KeyKind] = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        purpose_name, _, algorithm_name = item.partition(":")
        try:
            kind = (KeyPurpose(purpose_name), KeyAlgorithm(algorithm_name))
        except ValueError:
            problems.append(f"CERTS_REQUIRED_KEYS: unknown purpose or algorithm in {item!r}")
            continue
        if kind[1] not in ALLOWED_ALGORITHMS[kind[0]]:
            problems.append(f"CERTS_REQUIRED_KEYS: {item} is not an allowed combination")
        elif kind not in found:
            found.append(kind)
    purposes = {p for p, _ in found}
    missing = [p.value for p in MANDATORY_PURPOSES if p not in purposes]
    if production and missing:
        problems.append("CERTS_REQUIRED_KEYS must name " + ", ".join(missing) + " in production")
    if problems:
        raise SettingsError(problems)
    return tuple(found)
