"""A GiroCheckout-shaped provider: hash-signed transaction start and signed notification.

GiroCheckout signs every request and answer with HMAC-MD5 over the concatenated parameter
values, keyed with the project secret. MD5 is what Giro uses; our simulator defaults to
HMAC-SHA256 (``PAYMENT_GIRO_HASH=sha256``), and ``md5`` talks to the real API. Both sides must
use the same. The notification (``urlNotify``, server to server) and the browser's return
(``urlRedirect``) carry the same signed parameters; only ``gcResultPayment`` 4000 is paid.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import requests
from werkzeug.datastructures import Headers, MultiDict

from services.kit.payment.base import Outcome, PaymentError, Started

TIMEOUT = 10
START = "/girocheckout/api/v2/transaction/start"
START_ORDER = (
    "merchantId",
    "projectId",
    "merchantTxId",
    "amount",
    "currency",
    "purpose",
    "type",
    "urlRedirect",
    "urlNotify",
)
RESULT_ORDER = (
    "gcReference",
    "gcMerchantTxId",
    "gcBackendTxId",
    "gcAmount",
    "gcCurrency",
    "gcResultPayment",
)
PAID = "4000"


def signature(secret: str, values: list[str], algorithm: str) -> str:
    digest = hashlib.md5 if algorithm == "md5" else hashlib.sha256  # Giro itself: HMAC-MD5
    return hmac.new(secret.encode(), "".join(values).encode(), digest).hexdigest()


class Giro:
    name = "giro"
    label = "GiroCheckout (giropay, Kreditkarte)"

    def __init__(
        self, api: str, merchant_id: str, project_id: str, secret: str, algorithm: str = "sha256"
    ) -> None:
        if algorithm not in ("sha256", "md5"):
            raise ValueError("hash: sha256 or md5")
        self.api = api.rstrip("/")
        self.merchant_id, self.project_id = merchant_id, project_id
        self.secret, self.algorithm = secret, algorithm

    def _sign(self, values: list[str]) -> str:
        return signature(self.secret, values, self.algorithm)

    def start(
        self,
        payment_id: str,
        amount_cents: int,
        purpose: str,
        return_url: str,
        cancel_url: str,
        notify_url: str,
    ) -> Started:
        params = {
            "merchantId": self.merchant_id,
            "projectId": self.project_id,
            "merchantTxId": payment_id,
            "amount": str(amount_cents),
            "currency": "EUR",
            "purpose": purpose[:27],
            "type": "SALE",
            "urlRedirect": return_url,
            "urlNotify": notify_url,
        }
        params["hash"] = self._sign([params[k] for k in START_ORDER])
        try:
            answer = requests.post(self.api + START, data=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise PaymentError(f"Giro unreachable: {type(exc).__name__}") from None
        if not hmac.compare_digest(answer.headers.get("hash", ""), self._sign([answer.text])):
            raise PaymentError("Giro answer with a bad hash")
        data: dict[str, Any] = answer.json()
        if data.get("rc") != 0 or not data.get("reference") or not data.get("redirect"):
            raise PaymentError(f"Giro refused: rc={data.get('rc')}")
        return Started(str(data["reference"]), str(data["redirect"]))

    def _verified(self, args: MultiDict[str, str]) -> Outcome:
        values = [args.get(k, "") for k in RESULT_ORDER]
        if not values[0] or not hmac.compare_digest(args.get("gcHash", ""), self._sign(values)):
            raise PaymentError("Giro parameters with a bad hash")
        result = args.get("gcResultPayment", "")
        amount = args.get("gcAmount", "")
        return Outcome(
            provider_ref=values[0],
            paid=result == PAID,
            notification_id=f"{values[0]}:{result}",
            amount_cents=int(amount) if amount.isdigit() else None,
        )

    def on_return(self, args: MultiDict[str, str]) -> Outcome:
        return self._verified(args)

    def on_notification(self, headers: Headers, body: bytes, args: MultiDict[str, str]) -> Outcome:
        return self._verified(args)
