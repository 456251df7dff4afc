"""Payment before submission: start at a provider, the browser's return, the provider's
notification. A draft is submitted only once its payment is confirmed by the provider (the
capture, or a notification whose signature verifies) and the amount matches; a declined or
abandoned payment leaves the draft unsubmitted (the citizen may try again). A paid submission
never uses a yearly free place (services/kit/quota.py)."""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.kit import applications, context
from services.kit.applications import DRAFT
from services.kit.blueprint import bp
from services.kit.i18n import _
from services.kit.models import Payment, ProcessedNotification, db, now
from services.kit.payment.base import Outcome, PaymentError, Provider
from services.kit.views import own_draft
from services.kit.visitor import Visitor

log = logging.getLogger("service.payment")


def _provider(name: str) -> Provider:
    found = context.providers().get(name)
    if found is None:
        abort(404)
    return found


@bp.post("/antrag/<application_id>/bezahlen")
def pay(application_id: str) -> ResponseReturnValue:
    visitor, draft = own_draft(application_id)
    quota = context.quota()
    if quota is not None and draft.state == DRAFT:
        applications.reprice(draft, quota)  # a free place may have come back (a rejection)
    if draft.state != DRAFT or draft.fee_cents == 0:
        return redirect(url_for("kit.review", application_id=draft.id), 303)
    provider = _provider(request.form.get("provider", ""))
    moment = now()
    payment = Payment(
        application_id=draft.id,
        provider=provider.name,
        amount_cents=draft.fee_cents,
        state="created",
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(payment)
    db.session.commit()
    base = context.config().base_url
    try:
        started = provider.start(
            payment.id,
            draft.fee_cents,
            context.service().title,
            return_url=f"{base}/zahlung/{provider.name}/zurueck",
            cancel_url=f"{base}/zahlung/{provider.name}/abbruch",
            notify_url=f"{base}/zahlung/{provider.name}/benachrichtigung",
        )
    except PaymentError as exc:
        log.warning("payment start failed: %s", exc)
        payment.state = "failed"
        db.session.commit()
        return _failed_page(visitor, draft.id, 502)
    payment.provider_ref = started.provider_ref
    db.session.commit()
    return redirect(started.redirect_url, 303)


def _payment(provider: str, reference: str) -> Payment | None:
    query = select(Payment).where(Payment.provider == provider, Payment.provider_ref == reference)
    return db.session.scalar(query) if reference else None


def settle(payment: Payment, outcome: Outcome) -> None:
    """Record what the provider confirmed; submit the draft once it is paid in full."""
    if outcome.paid is None:
        return
    if outcome.paid and outcome.amount_cents not in (None, payment.amount_cents):
        log.warning("payment %s: amount %s differs", payment.id, outcome.amount_cents)
        outcome = Outcome(outcome.provider_ref, False)
    if payment.state != "captured":
        payment.state = "captured" if outcome.paid else "failed"
        payment.updated_at = now()
        db.session.commit()
    if payment.state == "captured":
        applications.submit(
            payment.application, context.service(), "payment", paid_cents=payment.amount_cents
        )


def _failed_page(visitor: Visitor, application_id: str, status: int = 200) -> ResponseReturnValue:
    """The citizen's own page like every other: with the account navigation (logout)."""
    return render_template(
        "kit/payment_failed.html",
        service=context.service(),
        visitor=visitor,
        application_id=application_id,
        message=_("Die Zahlung wurde nicht abgeschlossen. Ihr Antrag ist noch nicht gestellt."),
    ), status


@bp.get("/zahlung/<provider>/zurueck")
def payment_return(provider: str) -> ResponseReturnValue:
    chosen = _provider(provider)
    try:
        outcome = chosen.on_return(request.args)
    except PaymentError as exc:
        log.warning("payment return refused: %s", exc)
        abort(400)
    payment = _payment(chosen.name, outcome.provider_ref)
    if payment is None:
        abort(404)
    settle(payment, outcome)  # verified by the provider: settled even if the session is gone
    visitor, draft = own_draft(payment.application_id)
    if draft.state == DRAFT:
        return _failed_page(visitor, draft.id)
    return redirect(url_for("kit.receipt", application_id=draft.id), 303)


@bp.get("/zahlung/<provider>/abbruch")
def payment_cancel(provider: str) -> ResponseReturnValue:
    chosen = _provider(provider)
    payment = _payment(chosen.name, request.args.get("token", "")[:64])
    if payment is None:
        abort(404)
    visitor, draft = own_draft(payment.application_id)
    if payment.state == "created":
        payment.state = "failed"
        payment.updated_at = now()
        db.session.commit()
    return _failed_page(visitor, draft.id)


@bp.route("/zahlung/<provider>/benachrichtigung", methods=["GET", "POST"])
def payment_notification(provider: str) -> ResponseReturnValue:
    """Webhook (PayPal, POST JSON) or notification (Giro, GET): signature first, then once."""
    chosen = _provider(provider)
    try:
        outcome = chosen.on_notification(request.headers, request.get_data(), request.args)
    except PaymentError as exc:
        log.warning("payment notification refused: %s", exc)
        return {"status": "refused"}, 400
    try:
        db.session.add(
            ProcessedNotification(
                provider=chosen.name, notification_id=outcome.notification_id[:128], at=now()
            )
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"status": "duplicate"}, 200
    payment = _payment(chosen.name, outcome.provider_ref)
    if payment is None:
        return {"status": "unknown payment"}, 200
    settle(payment, outcome)
    return {"status": "ok"}, 200
