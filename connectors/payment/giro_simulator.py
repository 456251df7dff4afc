"""A GiroCheckout-shaped provider for development and tests.

``POST /girocheckout/api/v2/transaction/start`` checks the request's ``hash`` (HMAC over the
concatenated values in GiroCheckout's order, keyed with the project secret) and answers
``{"rc": 0, "reference": …, "redirect": …}`` with the answer's HMAC in the ``hash`` header.
The payer's page ``/pay/<reference>`` approves (``gcResultPayment`` 4000) or cancels (4502);
then the signed result goes to ``urlNotify`` (server to server, GET) and the browser to
``urlRedirect`` with the same parameters. Control page ``/sim/`` resends notifications.

GiroCheckout itself uses HMAC-MD5; this simulator defaults to HMAC-SHA256 (``algorithm``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, render_template_string, request

from connectors.payment.notices import Notices
from connectors.payment.paypal_simulator import add_control

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
PAID, CANCELLED = "4000", "4502"


@dataclass(frozen=True)
class Project:
    merchant_id: str
    secret: str


@dataclass
class Transaction:
    reference: str
    project_id: str
    params: dict[str, str]
    result: str = ""


PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>GiroCheckout (Simulator)</title></head><body><main>
<h1>GiroCheckout (Simulator)</h1>
<p>Verwendungszweck: <strong>{{ tx.params.purpose }}</strong></p>
<p>Betrag: <strong>{{ amount }} EUR</strong></p>
<form method="post">
<button type="submit" name="decision" value="approve">Zahlung bestätigen</button>
<button type="submit" name="decision" value="cancel">Zahlung abbrechen</button></form>
</main></body></html>"""


class GiroSimulator:
    def __init__(
        self,
        base_url: str,
        projects: dict[str, Project],
        algorithm: str = "sha256",
        deliver: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.projects = projects
        self.algorithm = algorithm
        self.notices = Notices(deliver)
        self.transactions: dict[str, Transaction] = {}
        self._lock = threading.Lock()

    def sign(self, secret: str, values: list[str]) -> str:
        digest = hashlib.md5 if self.algorithm == "md5" else hashlib.sha256  # Giro: HMAC-MD5
        return hmac.new(secret.encode(), "".join(values).encode(), digest).hexdigest()

    def _answer(self, secret: str, body: dict[str, Any], status: int = 200) -> Response:
        text = json.dumps(body)
        response = Response(text, status=status, mimetype="application/json")
        response.headers["hash"] = self.sign(secret, [text])
        return response

    def start(self) -> Response:
        form = request.form
        project = self.projects.get(form.get("projectId", ""))
        if project is None or form.get("merchantId") != project.merchant_id:
            return Response(json.dumps({"rc": 5001, "msg": "unknown project"}), 400)
        values = [form.get(k, "") for k in START_ORDER]
        if not hmac.compare_digest(form.get("hash", ""), self.sign(project.secret, values)):
            return self._answer(project.secret, {"rc": 5100, "msg": "Hash ungültig"}, 400)
        if not form.get("amount", "").isdigit() or form.get("currency") != "EUR":
            return self._answer(project.secret, {"rc": 5034, "msg": "Betrag ungültig"}, 400)
        reference = uuid.uuid4().hex
        params = {k: form.get(k, "") for k in START_ORDER}
        with self._lock:
            self.transactions[reference] = Transaction(reference, params["projectId"], params)
        redirect_url = f"{self.base_url}/pay/{reference}"
        return self._answer(
            project.secret, {"rc": 0, "msg": "", "reference": reference, "redirect": redirect_url}
        )

    def page(self, reference: str) -> Any:
        tx = self.transactions.get(reference) or abort(404)
        cents = int(tx.params["amount"])
        return render_template_string(PAGE, tx=tx, amount=f"{cents // 100},{cents % 100:02d}")

    def decide(self, reference: str) -> Any:
        tx = self.transactions.get(reference) or abort(404)
        with self._lock:
            if tx.result:
                abort(409)
            tx.result = PAID if request.form.get("decision") == "approve" else CANCELLED
        project = self.projects[tx.project_id]
        result = {
            "gcReference": tx.reference,
            "gcMerchantTxId": tx.params["merchantTxId"],
            "gcBackendTxId": uuid.uuid4().hex[:12],
            "gcAmount": tx.params["amount"],
            "gcCurrency": tx.params["currency"],
            "gcResultPayment": tx.result,
        }
        result["gcHash"] = self.sign(project.secret, [result[k] for k in RESULT_ORDER])
        self.notices.add("GET", tx.params["urlNotify"], {}, params=result)
        return redirect(tx.params["urlRedirect"] + "?" + urlencode(result), 303)


def create_app(sim: GiroSimulator) -> Flask:
    app = Flask(__name__)
    app.add_url_rule(
        "/girocheckout/api/v2/transaction/start", view_func=sim.start, methods=["POST"]
    )
    app.add_url_rule("/pay/<reference>", view_func=sim.page)
    app.add_url_rule("/pay/<reference>", "decide", sim.decide, methods=["POST"])
    add_control(app, sim.notices, "GiroCheckout-Simulator")
    return app
