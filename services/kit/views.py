"""The citizen's pages: start, form with prefill, review, receipt, own applications."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from services.kit import applications, certificate, context, pdf, uploads
from services.kit.applications import DRAFT, QuotaUsedUpError
from services.kit.blueprint import bp
from services.kit.certificate import Availability
from services.kit.definition import STATE_LABELS
from services.kit.i18n import _
from services.kit.models import Application
from services.kit.present import display, euros
from services.kit.quota import Standing
from services.kit.visitor import Visitor, current


def _citizen() -> Visitor | None:
    return current("citizen")


@bp.get("/")
def index() -> ResponseReturnValue:
    service = context.service()
    fees = sorted(set(context.fees().values()))
    return render_template(
        "kit/start.html",
        service=service,
        visitor=_citizen(),
        fees=[euros(c) for c in fees if c],
        quota=context.quota(),
        euros=euros,
    )


def _standings(visitor: Visitor) -> list[Standing]:
    """The citizen's free quota in each year the form's date range reaches (none: no quota)."""
    quota = context.quota()
    if quota is None:
        return []
    when = context.service().field(quota.rule.year_field)
    years = quota.years_open(when.min_days, when.max_days, date.today())
    return [quota.standing(visitor.subject, year) for year in years]


def _prefill(visitor: Visitor) -> tuple[dict[str, object], set[str]]:
    values: dict[str, object] = {}
    verified: set[str] = set()
    for f in context.service().fields:
        held = visitor.values.get(f.prefill) if f.prefill else None
        if held is not None:
            values[f.name] = held.value
            if held.verified:
                verified.add(f.name)
    return values, verified


@bp.route("/antrag", methods=["GET", "POST"])
def application_form() -> ResponseReturnValue:
    visitor = _citizen()
    if visitor is None:
        return redirect(url_for("kit.login"), 303)
    service = context.service()
    values, verified = _prefill(visitor)
    problems: dict[str, str] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        chosen, upload_problems = uploads.read_fields(service, request.files)
        data, verified_fields, problems = applications.read_form(
            service, form, visitor, date.today(), chosen, upload_problems
        )
        if not problems:
            fee = applications.price(
                service, context.fees(), context.quota(), visitor.subject, data
            )
            draft = applications.save_draft(service, visitor, data, verified_fields, fee, chosen)
            return redirect(url_for("kit.review", application_id=draft.id), 303)
        values = {**values, **{k: v for k, v in data.items() if k not in verified}}
        for name, upload in chosen.items():  # a file input cannot be filled in again
            problems.setdefault(name, _reselect(upload.filename))
    status = 400 if problems else 200
    return render_template(
        "kit/form.html",
        service=service,
        values=values,
        verified=verified,
        problems=problems,
        visitor=visitor,
        quota=context.quota(),
        standings=_standings(visitor),
        euros=euros,
        display=display,
        accept=uploads.ACCEPT,
    ), status


def _reselect(filename: str) -> str:
    return _(
        "„%(name)s“ ist in Ordnung, wurde wegen der anderen Angaben aber noch nicht "
        "gespeichert: bitte wählen Sie die Datei noch einmal aus.",
        name=filename,
    )


def own_draft(application_id: str) -> tuple[Visitor, Application]:
    visitor = _citizen()
    if visitor is None:
        abort(401)
    found = applications.own(application_id, visitor.subject)
    if found is None:
        abort(404)
    return visitor, found


@bp.route("/antrag/<application_id>/pruefen", methods=["GET", "POST"])
def review(application_id: str) -> ResponseReturnValue:
    visitor, found = own_draft(application_id)
    if found.state != DRAFT:
        return redirect(url_for("kit.receipt", application_id=found.id), 303)
    quota = context.quota()
    if request.method == "POST" and found.fee_cents == 0:
        try:
            applications.submit(found, context.service(), "citizen", quota)
        except QuotaUsedUpError as used_up:
            _flash_used_up(used_up.standing)
            return redirect(url_for("kit.review", application_id=found.id), 303)
        return redirect(url_for("kit.receipt", application_id=found.id), 303)
    standing = None
    if quota is not None:
        seen = found.fee_cents
        standing = applications.reprice(found, quota)
        if seen == 0 and found.fee_cents:
            _flash_used_up(standing)
    return render_template(
        "kit/review.html",
        service=context.service(),
        application=found,
        display=display,
        fee=euros(found.fee_cents),
        providers=context.providers(),
        visitor=visitor,
        failed=request.args.get("zahlung") == "fehlgeschlagen",
        quota=quota,
        standing=standing,
        euros=euros,
    )


def _flash_used_up(standing: Standing) -> None:
    """The review showed a free application, but its year's free places are gone now."""
    if standing.free:
        return  # one came back meanwhile (a rejection): the review shows it free again
    flash(
        _(
            "Die gebührenfreien Anträge für %(year)d sind inzwischen verbraucht (durch einen "
            "anderen Antrag). Dieser Antrag kostet %(fee)s und ist noch nicht gestellt.",
            year=standing.year,
            fee=euros(standing.further_fee_cents),
        ),
        "error",
    )


@bp.get("/antrag/<application_id>/quittung")
def receipt(application_id: str) -> ResponseReturnValue:
    visitor, found = own_draft(application_id)
    if found.state == DRAFT:
        return redirect(url_for("kit.review", application_id=found.id), 303)
    return render_template(
        "kit/receipt.html",
        service=context.service(),
        application=found,
        display=display,
        fee=euros(found.fee_cents),
        certificate=certificate.availability(context.service(), found, clerk=False).value,
        visitor=visitor,
    )


@bp.get("/antrag/<application_id>/quittung.pdf")
def receipt_pdf(application_id: str) -> ResponseReturnValue:
    _visitor, found = own_draft(application_id)
    if found.state == DRAFT:
        abort(404)
    body = pdf.receipt(context.service(), found)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.reference}.pdf"'},
    )


#: States after which no certificate comes any more (SERVICES.md workflow).
FINAL = frozenset({"abgelehnt", "archiviert"})


@bp.get("/antrag/<application_id>/bescheinigung.pdf")
def certificate_pdf(application_id: str) -> ResponseReturnValue:
    _visitor, found = own_draft(application_id)
    if found.state == DRAFT:
        abort(404)
    return certificate_response(found, clerk=False)


def certificate_response(found: Application, clerk: bool) -> ResponseReturnValue:
    """The issued certificate as a download, or the page saying why there is none: 404 where
    the service issues none (or sends it by post), 409 while it is not issued."""
    service = context.service()
    state = certificate.availability(service, found, clerk)
    if state is Availability.NONE:
        abort(404)
    if state is Availability.BY_POST:
        message = _(
            "Diese Bescheinigung erhalten Sie per Post; zum Herunterladen gibt es sie nicht."
        )
        return render_template("kit/error.html", message=message), 404
    if state is Availability.PENDING or found.certificate_pdf is None:
        message = (
            _("Für diesen Antrag wurde keine Bescheinigung ausgestellt.")
            if found.state in FINAL
            else _(
                "Die Bescheinigung wird ausgestellt, sobald der Antrag abgeschlossen ist. "
                "Bisher ist sie nicht ausgestellt."
            )
        )
        return render_template("kit/error.html", message=message), 409
    spec = service.certificate
    assert spec is not None
    return Response(
        found.certificate_pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate.file_name(spec, found)}"'
        },
    )


@bp.get("/meine-antraege")
def mine() -> ResponseReturnValue:
    visitor = _citizen()
    if visitor is None:
        return redirect(url_for("kit.login"), 303)
    return render_template(
        "kit/mine.html",
        service=context.service(),
        rows=applications.of_subject(visitor.subject),
        labels=STATE_LABELS,
        visitor=visitor,
    )
