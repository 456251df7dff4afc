"""A PayPal-shaped provider: Orders v2 (create, payer approval, capture) and signed webhooks.

* OAuth 2.0 client credentials at ``/v1/oauth2/token``;
* ``POST /v2/checkout/orders`` (intent CAPTURE, ``PayPal-Request-Id`` for idempotency), the
  buyer approves at the ``payer-action`` link and comes back to ``return_url?token=<order>``;
* ``POST /v2/checkout/orders/<id>/capture`` settles it (status COMPLETED);
* webhooks are verified offline as PayPal documents it: the signature (SHA256withRSA) over
  ``transmission_id|transmission_time|webhook_id|crc32(body)`` with the certificate at
  ``PAYPAL-CERT-URL``, which must lie under the configured API's ``/v1/notifications/certs/``.
"""

from __future__ import annotations

import base64
import threading
import time
import zlib
from typing import Any

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.datastructures import Headers, MultiDict

from services.kit.payment.base import Outcome, PaymentError, Started, euros

TIMEOUT = 10
MAX_WEBHOOK_AGE = 3600


class PayPal:
    name = "paypal"
    label = "PayPal"

    def __init__(self, api: str, client_id: str, secret: str, webhook_id: str) -> None:
        self.api = api.rstrip("/")
        self.client_id = client_id
        self.secret = secret
        self.webhook_id = webhook_id
        self._token: tuple[str, float] | None = None
        self._certs: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - 30 < time.time():
                answer = self._call(
                    "post",
                    "/v1/oauth2/token",
                    auth=(self.client_id, self.secret),
                    data={"grant_type": "client_credentials"},
                )
                self._token = (answer["access_token"], time.time() + int(answer["expires_in"]))
            return self._token[0]

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = requests.request(method, self.api + path, timeout=TIMEOUT, **kwargs)
            data = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise PaymentError(f"PayPal unreachable: {type(exc).__name__}") from None
        if answer.status_code >= 400 or not isinstance(data, dict):
            raise PaymentError(f"PayPal refused: {answer.status_code}")
        return data

    def _api(self, method: str, path: str, request_id: str, body: Any = None) -> dict[str, Any]:
        headers = {"Authorization": "Bearer " + self._bearer(), "PayPal-Request-Id": request_id}
        return self._call(method, path, headers=headers, json=body)

    def start(
        self,
        payment_id: str,
        amount_cents: int,
        purpose: str,
        return_url: str,
        cancel_url: str,
        notify_url: str,
    ) -> Started:
        order = self._api(
            "post",
            "/v2/checkout/orders",
            payment_id,
            {
                "intent": "CAPTURE",
                "purchase_units": [
                    {
                        "reference_id": payment_id,
                        "custom_id": payment_id,
                        "description": purpose[:127],
                        "amount": {"currency_code": "EUR", "value": euros(amount_cents)},
                    }
                ],
                "payment_source": {
                    "paypal": {
                        "experience_context": {
                            "return_url": return_url,
                            "cancel_url": cancel_url,
                            "user_action": "PAY_NOW",
                        }
                    }
                },
            },
        )
        links = {link.get("rel"): link.get("href") for link in order.get("links", [])}
        approve = links.get("payer-action") or links.get("approve")
        if not isinstance(order.get("id"), str) or not approve:
            raise PaymentError("PayPal order without id or approval link")
        return Started(order["id"], str(approve))

    def capture(self, order_id: str) -> Outcome:
        """Settle an approved order (idempotent at PayPal by the request id)."""
        try:
            done = self._api("post", f"/v2/checkout/orders/{order_id}/capture", "cap-" + order_id)
        except PaymentError:
            return Outcome(order_id, False)
        captures = [
            c
            for unit in done.get("purchase_units", [])
            for c in unit.get("payments", {}).get("captures", [])
        ]
        paid = done.get("status") == "COMPLETED" and any(
            c.get("status") == "COMPLETED" for c in captures
        )
        amount = _cents(captures[0].get("amount", {}).get("value")) if captures else None
        return Outcome(order_id, paid, amount_cents=amount)

    def on_return(self, args: MultiDict[str, str]) -> Outcome:
        order_id = args.get("token", "")
        if not order_id or len(order_id) > 64:
            raise PaymentError("no order in the return")
        return self.capture(order_id)

    def on_notification(self, headers: Headers, body: bytes, args: MultiDict[str, str]) -> Outcome:
        self.verify_webhook(headers, body)
        try:
            import json

            event = json.loads(body)
            event_id, kind, resource = event["id"], event["event_type"], event["resource"]
        except (ValueError, KeyError, TypeError):
            raise PaymentError("malformed webhook") from None
        if kind == "CHECKOUT.ORDER.APPROVED":
            outcome = self.capture(str(resource["id"]))
            return Outcome(outcome.provider_ref, outcome.paid, event_id, outcome.amount_cents)
        order_id = str(
            resource.get("supplementary_data", {}).get("related_ids", {}).get("order_id", "")
        )
        if kind == "PAYMENT.CAPTURE.COMPLETED":
            return Outcome(
                order_id, True, event_id, _cents(resource.get("amount", {}).get("value"))
            )
        if kind in ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"):
            return Outcome(order_id, False, event_id)
        return Outcome(order_id, None, event_id)

    def verify_webhook(self, headers: Headers, body: bytes) -> None:
        transmission_id = headers.get("PAYPAL-TRANSMISSION-ID", "")
        transmission_time = headers.get("PAYPAL-TRANSMISSION-TIME", "")
        cert_url = headers.get("PAYPAL-CERT-URL", "")
        signature = headers.get("PAYPAL-TRANSMISSION-SIG", "")
        if headers.get("PAYPAL-AUTH-ALGO") != "SHA256withRSA" or not transmission_id:
            raise PaymentError("webhook: unknown algorithm or no transmission id")
        message = f"{transmission_id}|{transmission_time}|{self.webhook_id}|{zlib.crc32(body)}"
        key = self._cert(cert_url).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise PaymentError("webhook: not an RSA certificate")
        try:
            key.verify(
                base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            raise PaymentError("webhook: bad signature") from None

    def _cert(self, url: str) -> x509.Certificate:
        if not url.startswith(self.api + "/v1/notifications/certs/") or ".." in url:
            raise PaymentError("webhook: certificate from a foreign address")
        if url not in self._certs:
            try:
                answer = requests.get(url, timeout=TIMEOUT)
                self._certs[url] = x509.load_pem_x509_certificate(answer.content)
            except (requests.RequestException, ValueError):
                raise PaymentError("webhook: certificate unavailable") from None
        return self._certs[url]


def _cents(value: object) -> int | None:
    try:
        whole, _, frac = str(value).partition(".")
        return int(whole) * 100 + int((frac + "00")[:2])
    except ValueError:
        return None
