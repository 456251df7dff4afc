"""The notice a citizen gets on every change of an application (in the account's language)."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from account import api
from connectors.mail import Message
from core.web.urls import external_url
from idp.status import states
from idp.status.models import StatusApplication, StatusEvent


def status_changed(
    citizen_id: str, service: str, application: StatusApplication, event: StatusEvent
) -> None:
    contact = api.contact_of(citizen_id)
    if contact is None:
        return
    with force_locale(contact.locale):
        note = _("Hinweis der Verwaltung: %(note)s", note=event.note) if event.note else ""
        if event.kind == "answer":  # the citizen's own words: not repeated by mail
            note = _("Ihre Antwort auf die Rückfrage ist beim Dienst eingegangen.")
        body = _(
            "Guten Tag,\n\nzu Ihrem Antrag %(reference)s (%(title)s, %(service)s) gibt es einen "
            "neuen Stand: %(state)s.\n%(note)s\n\nAlle Ihre Anträge: %(link)s\n",
            reference=application.reference,
            title=application.title,
            service=service,
            state=states.label(event.state),
            note=note,
            link=external_url("status.applications"),
        )
        subject = _(
            "Ihr Antrag %(reference)s: %(state)s",
            reference=application.reference,
            state=states.label(event.state),
        )
    current_app.extensions["mailer"].send(Message(to=contact.email, subject=subject, body=body))
