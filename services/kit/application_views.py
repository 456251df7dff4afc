"""The citizen's page of one own application (data, timeline, the clerk's open question) and
the answer to a Rückfrage (:mod:`services.kit.rueckfrage`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from services.kit import applications, certificate, context, rueckfrage, uploads
from services.kit.applications import DRAFT
from services.kit.blueprint import bp
from services.kit.definition import STATE_LABELS
from services.kit.i18n import _
from services.kit.models import Application
from services.kit.present import display, euros
from services.kit.visitor import Visitor, current

#: Where a citizen who followed a link (e.g. from "Meine Anträge" at the hub) goes after login.
NEXT_KEY = "kit:next"


def _own(application_id: str) -> tuple[Visitor, Application]:
    """The citizen and their application; a visitor not logged in is sent to the login (and
    brought back here), another citizen's or an unknown application is 404."""
    visitor = current("citizen")
    if visitor is None:
        if request.method == "GET" and len(application_id) <= 36:
            session[NEXT_KEY] = url_for("kit.own_application", application_id=application_id)
            abort(redirect(url_for("kit.login"), 303))
        abort(401)
    found = applications.own(application_id, visitor.subject)
    if found is None:
        abort(404)
    return visitor, found


def _page(
    visitor: Visitor,
    found: Application,
    problem: str | None = None,
    text: str = "",
    status: int = 200,
    notice: str | None = None,
    upload_problem: str | None = None,
) -> ResponseReturnValue:
    """``problem``: what is wrong with the answer's text, ``upload_problem`` with its document;
    ``notice``: why nothing changed."""
    return render_template(
        "kit/application.html",
        service=context.service(),
        application=found,
        display=display,
        fee=euros(found.fee_cents),
        labels=STATE_LABELS,
        question=rueckfrage.open_question(found),
        is_answer=rueckfrage.is_answer,
        max_answer=rueckfrage.MAX_ANSWER,
        certificate=certificate.availability(context.service(), found, clerk=False).value,
        problem=problem,
        notice=notice,
        upload_problem=upload_problem,
        accept=uploads.ACCEPT,
        max_upload=uploads.MAX_LABEL,
        size=uploads.size_label,
        text=text,
        visitor=visitor,
    ), status


@bp.get("/antrag/<application_id>")
def own_application(application_id: str) -> ResponseReturnValue:
    visitor, found = _own(application_id)
    if found.state == DRAFT:
        return redirect(url_for("kit.review", application_id=found.id), 303)
    return _page(visitor, found)


@bp.post("/antrag/<application_id>/antwort")
def answer_question(application_id: str) -> ResponseReturnValue:
    visitor, found = _own(application_id)
    if found.state == DRAFT:
        abort(404)
    text = request.form.get("antwort", "")
    question = rueckfrage.open_question(found)
    if question is None or request.form.get("frage", "") != str(question.id):
        return _not_open(visitor, found)
    upload, upload_problem = uploads.read(request.files.get("anlage"))
    problem = rueckfrage.answer_problem(text)
    if problem is not None or upload_problem is not None:
        return _page(visitor, found, problem, text, 400, upload_problem=upload_problem)
    if rueckfrage.answer(found, question.id, text, upload) is None:
        return _not_open(visitor, found)
    thanks = _("Vielen Dank, Ihre Antwort ist eingegangen. Ihr Antrag ist wieder in Bearbeitung.")
    flash(thanks, "success")
    return redirect(url_for("kit.own_application", application_id=found.id), 303)


def _not_open(visitor: Visitor, found: Application) -> ResponseReturnValue:
    message = _(
        "Diese Rückfrage ist nicht mehr offen (schon beantwortet, oder der Antrag wurde "
        "inzwischen weiterbearbeitet). Es wurde nichts geändert."
    )
    return _page(visitor, found, status=409, notice=message)
