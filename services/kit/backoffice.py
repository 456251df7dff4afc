"""The back office: clerks (hub accounts with the role ``clerk:<service>``, released to this
service only) list the applications and move them through the workflow with a note. Every
change goes to the hub's status inbox; archiving writes the archive PDF."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from services.kit import applications, certificate, context, pdf, rueckfrage
from services.kit.applications import DRAFT
from services.kit.blueprint import bp
from services.kit.definition import STATE_LABELS
from services.kit.i18n import _
from services.kit.models import Application, db
from services.kit.present import display, euros
from services.kit.views import certificate_response
from services.kit.visitor import Visitor, current


def _clerk() -> Visitor | ResponseReturnValue:
    visitor = current("clerk")
    if visitor is None:
        return redirect(url_for("kit.clerk_login"), 303)
    if context.service().clerk_role not in visitor.roles:
        message = _("Für diese Sachbearbeitung fehlt Ihnen die Berechtigung.")
        return render_template("kit/error.html", message=message), 403
    return visitor


@bp.get("/verwaltung")
def clerk_list() -> ResponseReturnValue:
    clerk = _clerk()
    if not isinstance(clerk, Visitor):
        return clerk
    state = request.args.get("status", "")
    state = state if state in STATE_LABELS else ""
    return render_template(
        "kit/clerk_list.html",
        service=context.service(),
        rows=applications.submitted(state or None),
        state=state,
        labels=STATE_LABELS,
        visitor=clerk,
        clerk_view=True,
    )


def _application(application_id: str) -> Application:
    found = db.session.get(Application, application_id) if len(application_id) <= 36 else None
    if found is None or found.state == DRAFT:
        abort(404)
    return found


@bp.route("/verwaltung/antrag/<application_id>", methods=["GET", "POST"])
def clerk_detail(application_id: str) -> ResponseReturnValue:
    clerk = _clerk()
    if not isinstance(clerk, Visitor):
        return clerk
    service = context.service()
    found = _application(application_id)
    problem = None
    if request.method == "POST":
        target = request.form.get("state", "")
        authority = context.config().authority
        problem = applications.change_state(
            found,
            service,
            target,
            request.form.get("note", ""),
            clerk.subject,
            along=lambda at: certificate.on_change(service, found, target, authority, at),
        )
        if problem is None:
            if target == "archiviert":
                found.archive_pdf = pdf.archive(service, found)
                db.session.commit()
            flash(_("Der Status ist jetzt: %(state)s", state=STATE_LABELS[target]), "success")
            return redirect(url_for("kit.clerk_detail", application_id=found.id), 303)
    return render_template(
        "kit/clerk_detail.html",
        service=service,
        application=found,
        display=display,
        fee=euros(found.fee_cents),
        labels=STATE_LABELS,
        next_states=service.workflow.get(found.state, ()),
        is_answer=rueckfrage.is_answer,
        certificate=certificate.availability(service, found, clerk=True).value,
        issued_in=certificate.ISSUED_IN,
        problem=problem,
        visitor=clerk,
        clerk_view=True,
    ), (400 if problem else 200)


@bp.get("/verwaltung/antrag/<application_id>/akte.pdf")
def clerk_archive(application_id: str) -> ResponseReturnValue:
    clerk = _clerk()
    if not isinstance(clerk, Visitor):
        return clerk
    found = _application(application_id)
    if found.archive_pdf is None:
        abort(404)
    return Response(found.archive_pdf, mimetype="application/pdf")


@bp.get("/verwaltung/antrag/<application_id>/anlage/<attachment_id>")
def clerk_attachment(application_id: str, attachment_id: str) -> ResponseReturnValue:
    """An uploaded document, for the clerk only: as a download (never shown inline), with the
    type recognised at upload, no sniffing, and a sandbox should a browser render it anyway."""
    clerk = _clerk()
    if not isinstance(clerk, Visitor):
        return clerk
    found = _application(application_id)
    document = next((a for a in found.attachments if a.id == attachment_id), None)
    if document is None:
        abort(404)
    return Response(
        document.content,
        mimetype=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 §4.3, RFC 8187)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/verwaltung/antrag/<application_id>/bescheinigung.pdf")
def clerk_certificate(application_id: str) -> ResponseReturnValue:
    clerk = _clerk()
    if not isinstance(clerk, Visitor):
        return clerk
    found = _application(application_id)
    return certificate_response(found, clerk=True)
