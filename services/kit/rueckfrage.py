"""The citizen's answer to a Rückfrage (SERVICES.md: eingegangen → in Bearbeitung →
(Rückfrage) → …).

A clerk's change into ``rueckfrage`` carries the question as its note. The owning citizen may
answer it once: the answer is one event (actor ``citizen``, state ``in_bearbeitung``, the text
as its note) and the application returns to "in Bearbeitung", where the clerk continues. The
change is one conditional UPDATE: the state must still be ``rueckfrage`` and the question the
citizen saw must still be the newest event, so a second post, a stale form or a clerk who moved
on first changes nothing.
"""

from __future__ import annotations

from sqlalchemy import exists, update

from services.kit import outbox
from services.kit.i18n import _
from services.kit.models import Application, ApplicationEvent, db, now
from services.kit.uploads import Upload

QUESTION = "rueckfrage"
AFTER_ANSWER = "in_bearbeitung"
CITIZEN = "citizen"
MAX_ANSWER = 2000


def open_question(application: Application) -> ApplicationEvent | None:
    """The clerk's question the citizen can answer now, or None."""
    if application.state != QUESTION or not application.events:
        return None
    newest: ApplicationEvent = application.events[-1]
    return newest if newest.state == QUESTION else None


def answer_problem(text: str) -> str | None:
    """What is wrong with an answer's text (German), or None."""
    if not text.strip():
        return _("Bitte schreiben Sie Ihre Antwort.")
    if len(text.strip()) > MAX_ANSWER:
        return _("Die Antwort ist zu lang (höchstens %(n)d Zeichen).", n=MAX_ANSWER)
    return None


def answer(
    application: Application, question_id: int, text: str, upload: Upload | None = None
) -> ApplicationEvent | None:
    """Record the answer to the question ``question_id`` (with a document, if one is sent) in
    one transaction; the event, or None when that question is no longer open (answered
    already, withdrawn, or the clerk moved on)."""
    later = exists().where(
        ApplicationEvent.application_id == application.id, ApplicationEvent.id > question_id
    )
    asked = exists().where(
        ApplicationEvent.application_id == application.id,
        ApplicationEvent.id == question_id,
        ApplicationEvent.state == QUESTION,
    )
    moment = now()
    done = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.state == QUESTION, asked, ~later)
        .values(state=AFTER_ANSWER, updated_at=moment)
    )
    if getattr(done, "rowcount", 0) != 1:
        db.session.rollback()
        db.session.refresh(application)
        return None
    event = ApplicationEvent(
        application_id=application.id,
        state=AFTER_ANSWER,
        note=text.strip(),
        actor=CITIZEN,
        at=moment,
    )
    if upload is not None:
        document = upload.attachment()
        document.application_id = application.id
        event.attachments.append(document)
    db.session.add(event)
    db.session.commit()
    outbox.committed()
    db.session.refresh(application)
    return event


def is_answer(event: ApplicationEvent) -> bool:
    """An answer is the only event a citizen makes after submission."""
    return event.actor == CITIZEN and event.state == AFTER_ANSWER
