"""The provider interface: start a payment, read the browser's return, verify a notification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from werkzeug.datastructures import Headers, MultiDict


class PaymentError(Exception):
    """The provider refused, answered garbage, or a signature did not verify."""


@dataclass(frozen=True)
class Started:
    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class Outcome:
    """What a return or notification says; ``paid`` None: nothing decided yet."""

    provider_ref: str
    paid: bool | None
    #: For notifications: the provider's id of this message (idempotency).
    notification_id: str = ""
    amount_cents: int | None = None


class Provider(Protocol):
    name: str
    label: str

    def start(
        self,
        payment_id: str,
        amount_cents: int,
        purpose: str,
        return_url: str,
        cancel_url: str,
        notify_url: str,
    ) -> Started: ...

    def on_return(self, args: MultiDict[str, str]) -> Outcome: ...

    def on_notification(
        self, headers: Headers, body: bytes, args: MultiDict[str, str]
    ) -> Outcome: ...


def euros(cents: int) -> str:
    """``"8.00"`` for 800 (PayPal's amount format)."""
    return f"{cents // 100}.{cents % 100:02d}"
