"""The account layer's collaborators, built once per app (never per request)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app

from account.links import OneTimeLinks
from account.passwords import PasswordHashing, PasswordPolicy
from account.sso import SsoSessions
from account.throttle import CODE_MAX_FAILURES_HOUR, LoginThrottle, ThrottleLimits
from connectors.mail import Mailer
from core.clock import Clock
from core.settings import Settings
from core.store.base import KeyValueStore


@dataclass(frozen=True)
class AccountServices:
    settings: Settings
    clock: Clock
    store: KeyValueStore
    mailer: Mailer
    hashing: PasswordHashing
    policy: PasswordPolicy
    throttle: LoginThrottle
    #: The same throttle for the codes of the second factor (``account/totp/check.py``).
    code_throttle: LoginThrottle
    sessions: SsoSessions
    links: OneTimeLinks

    @classmethod
    def build(
        cls, settings: Settings, clock: Clock, store: KeyValueStore, mailer: Mailer
    ) -> AccountServices:
        limits = ThrottleLimits(
            free_pair=settings.throttle_free_failures_account_address,
            free_address=settings.throttle_free_failures_address,
            max_account_hour=settings.throttle_max_failures_account_hour,
            max_delay=settings.throttle_max_delay_seconds,
        )
        code_limits = replace(
            limits, max_account_hour=min(limits.max_account_hour, CODE_MAX_FAILURES_HOUR)
        )
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            mailer=mailer,
            hashing=PasswordHashing(
                settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
            ),
            policy=PasswordPolicy(settings.password_min_length, settings.password_max_length),
            throttle=LoginThrottle(store, clock, limits, settings.secret_key),
            code_throttle=LoginThrottle(store, clock, code_limits, settings.secret_key),
            sessions=SsoSessions(store, clock),
            links=OneTimeLinks(store, clock),
        )


def services() -> AccountServices:
    return current_app.extensions["account"]  # type: ignore[no-any-return]
