"""The development outbox page (registered only outside production)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue

from connectors.mail.outbox import OutboxMailer

outbox = Blueprint("outbox", __name__, url_prefix="/dev/outbox", template_folder="templates")


def _mailer() -> OutboxMailer:
    mailer = current_app.extensions["mailer"]
    if not isinstance(mailer, OutboxMailer):
        abort(404)
    return mailer


@outbox.get("/")
def index() -> ResponseReturnValue:
    return render_template("mail/outbox.html", messages=_mailer().messages())


@outbox.get("/<name>")
def show(name: str) -> ResponseReturnValue:
    message = _mailer().read(name)
    if message is None:
        abort(404)
    return render_template("mail/message.html", message=message)
