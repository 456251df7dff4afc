"""A PayPal-shaped provider for development and tests (Orders v2, OAuth 2.0, webhooks).

Endpoints as PayPal's REST API names them: ``POST /v1/oauth2/token`` (client credentials),
``POST /v2/checkout/orders``, ``GET /v2/checkout/orders/<id>``, ``POST .../<id>/capture``
(422 ORDER_NOT_APPROVED before approval; the same ``PayPal-Request-Id`` answers the same),
the buyer's page ``/checkoutnow?token=<id>`` (approve or cancel), webhooks signed with
SHA256withRSA over ``transmission_id|time|webhook_id|crc32(body)`` and the certificate at
``/v1/notifications/certs/``. Control page: ``/sim/`` (notifications, resend).

Run: ``python -m connectors.payment.paypal_simulator`` (see devrun.py for the demo settings).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request

from connectors.payment.notices import Notices

CERT_NAME = "CERT-sim-paypal.pem"


@dataclass(frozen=True)
class Merchant:
    secret: str
    webhook_url: str = ""
    webhook_id: str = ""


@dataclass
class Order:
    id: str
    client_id: str
    amount: str
    description: str
    return_url: str
    cancel_url: str
    status: str = "PAYER_ACTION_REQUIRED"
    capture_id: str = ""
    captured: dict[str, Any] = field(default_factory=dict)


def _signing_key() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paypal-simulator")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>PayPal (Simulator)</title></head><body><main>
<h1>PayPal (Simulator)</h1>
<p>Zahlung an <strong>{{ merchant }}</strong>: {{ order.description }}</p>
<p>Betrag: <strong>{{ order.amount }} EUR</strong></p>
<form method="post" action="/checkoutnow">
<input type="hidden" name="token" value="{{ order.id }}">
<button type="submit" name="decision" value="approve">Jetzt bezahlen</button>
<button type="submit" name="decision" value="cancel">Abbrechen und zurück</button>
</form></main></body></html>"""

CONTROL = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><main><h1>{{ title }}: Benachrichtigungen</h1>
<ol>{% for n in notices %}<li>{{ n.url }} – Antworten: {{ n.answers }}
<form method="post" action="/sim/notifications/{{ n.number }}/send">
<button type="submit">Erneut senden</button></form></li>{% endfor %}</ol></main></body></html>"""


class PayPalSimulator:
    def __init__(self, base_url: str, merchants: dict[str, Merchant], deliver: bool = True):
        self.base_url = base_url.rstrip("/")
        self.merchants = merchants
        self.notices = Notices(deliver)
        self.orders: dict[str, Order] = {}
        self.tokens: dict[str, str] = {}
        self.requests: dict[tuple[str, str], str] = {}
        self._key, self.cert_pem = _signing_key()
        self._lock = threading.Lock()

    # --- API -----------------------------------------------------------------------------

    def token(self) -> Response:
        auth = request.authorization
        merchant = self.merchants.get(auth.username or "") if auth else None
        if (
            auth is None
            or merchant is None
            or not secrets.compare_digest(merchant.secret, auth.password or "")
        ):
            return _error(401, "invalid_client", "Client Authentication failed")
        if request.form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "client_credentials only")
        access = secrets.token_urlsafe(24)
        self.tokens[access] = str(auth.username)
        return jsonify({"access_token": access, "token_type": "Bearer", "expires_in": 32400})

    def _client(self) -> str:
        header = request.headers.get("Authorization", "")
        client = self.tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if client is None:
            abort(_error(401, "AUTHENTICATION_FAILURE", "invalid token"))
        return client

    def create_order(self) -> Response:
        client = self._client()
        body = request.get_json(silent=True) or {}
        request_id = request.headers.get("PayPal-Request-Id", "")
        with self._lock:
            known = self.requests.get((client, request_id)) if request_id else None
            if known is not None:
                return self._order_json(self.orders[known], 200)
            try:
                unit = body["purchase_units"][0]
                context = body["payment_source"]["paypal"]["experience_context"]
                order = Order(
                    id=uuid.uuid4().hex[:17].upper(),
                    client_id=client,
                    amount=str(unit["amount"]["value"]),
                    description=str(unit.get("description", ""))[:127],
                    return_url=str(context["return_url"]),
                    cancel_url=str(context["cancel_url"]),
                )
            except (KeyError, IndexError, TypeError):
                return _error(400, "INVALID_REQUEST", "purchase_units/experience_context")
            if body.get("intent") != "CAPTURE" or unit["amount"].get("currency_code") != "EUR":
                return _error(422, "UNPROCESSABLE_ENTITY", "intent CAPTURE, currency EUR")
            self.orders[order.id] = order
            if request_id:
                self.requests[(client, request_id)] = order.id
        return self._order_json(order, 201)

    def _order_json(self, order: Order, status: int) -> Response:
        links = [
            {"rel": "self", "href": f"{self.base_url}/v2/checkout/orders/{order.id}"},
            {"rel": "payer-action", "href": f"{self.base_url}/checkoutnow?token={order.id}"},
        ]
        body: dict[str, Any] = {"id": order.id, "status": order.status, "links": links}
        if order.captured:
            body = {**body, **order.captured}
        response = jsonify(body)
        response.status_code = status
        return response

    def get_order(self, order_id: str) -> Response:
        client = self._client()
        order = self.orders.get(order_id)
        if order is None or order.client_id != client:
            return _error(404, "RESOURCE_NOT_FOUND", "no such order")
        return self._order_json(order, 200)

    def capture(self, order_id: str) -> Response:
        client = self._client()
        with self._lock:
            order = self.orders.get(order_id)
            if order is None or order.client_id != client:
                return _error(404, "RESOURCE_NOT_FOUND", "no such order")
            if order.status == "COMPLETED":
                return self._order_json(order, 200)
            if order.status != "APPROVED":
                return _error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
            order.status = "COMPLETED"
            order.capture_id = uuid.uuid4().hex[:17].upper()
            capture = {
                "id": order.capture_id,
                "status": "COMPLETED",
                "amount": {"currency_code": "EUR", "value": order.amount},
            }
            order.captured = {"purchase_units": [{"payments": {"captures": [capture]}}]}
        resource = {**capture, "supplementary_data": {"related_ids": {"order_id": order.id}}}
        self._webhook(order, "PAYMENT.CAPTURE.COMPLETED", resource)
        return self._order_json(order, 201)

    # --- the buyer's page ----------------------------------------------------------------

    def checkout_page(self) -> Any:
        order = self.orders.get(request.args.get("token", ""))
        if order is None:
            abort(404)
        return render_template_string(PAGE, order=order, merchant=order.client_id)

    def checkout_decision(self) -> Any:
        order = self.orders.get(request.form.get("token", ""))
        if order is None:
            abort(404)
        if request.form.get("decision") != "approve":
            return redirect(f"{order.cancel_url}?token={order.id}", 303)
        with self._lock:
            if order.status == "PAYER_ACTION_REQUIRED":
                order.status = "APPROVED"
        self._webhook(order, "CHECKOUT.ORDER.APPROVED", {"id": order.id, "status": "APPROVED"})
        return redirect(f"{order.return_url}?token={order.id}&PayerID=SIMPAYER", 303)

    # --- webhooks ------------------------------------------------------------------------

    def _webhook(self, order: Order, kind: str, resource: dict[str, Any]) -> None:
        merchant = self.merchants[order.client_id]
        if not merchant.webhook_url:
            return
        body = json.dumps(
            {"id": "WH-" + uuid.uuid4().hex[:20].upper(), "event_type": kind, "resource": resource}
        ).encode()
        transmission_id = str(uuid.uuid4())
        when = datetime.datetime.now(datetime.UTC).isoformat()
        message = f"{transmission_id}|{when}|{merchant.webhook_id}|{zlib.crc32(body)}"
        signature = self._key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/{CERT_NAME}",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }
        self.notices.add("POST", merchant.webhook_url, headers, body)

    def cert(self, name: str) -> Response:
        if name != CERT_NAME:
            abort(404)
        return Response(self.cert_pem, mimetype="application/x-pem-file")


def _error(status: int, name: str, message: str) -> Response:
    response = jsonify(name=name, message=message, details=[{"issue": message}])
    response.status_code = status
    return response


def create_app(sim: PayPalSimulator) -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/v1/oauth2/token", view_func=sim.token, methods=["POST"])
    app.add_url_rule("/v2/checkout/orders", view_func=sim.create_order, methods=["POST"])
    app.add_url_rule("/v2/checkout/orders/<order_id>", view_func=sim.get_order)
    app.add_url_rule(
        "/v2/checkout/orders/<order_id>/capture", view_func=sim.capture, methods=["POST"]
    )
    app.add_url_rule("/checkoutnow", view_func=sim.checkout_page)
    app.add_url_rule("/checkoutnow", "decide", sim.checkout_decision, methods=["POST"])
    app.add_url_rule("/v1/notifications/certs/<name>", view_func=sim.cert)
    add_control(app, sim.notices, "PayPal-Simulator")
    return app


def add_control(app: Flask, notices: Notices, title: str) -> None:
    """``/sim/``: the notifications sent, each with a button that sends it again."""

    def control() -> Any:
        return render_template_string(CONTROL, notices=notices.sent, title=title)

    def send(number: int) -> Any:
        notice = notices.get(number) or abort(404)
        status = notices.send(notice)
        if request.accept_mimetypes.best == "application/json":
            return jsonify(answer=status)
        return redirect("/sim/", 303)

    app.add_url_rule("/sim/", "control", control)
    app.add_url_rule("/sim/notifications/<int:number>/send", "send", send, methods=["POST"])
