"""Administration pages under /verwaltung/schluessel (admins only, recent login required).

Every change is a POST with a CSRF token; a refusal shows its reason and changes nothing.
Private keys are never offered for download here (only ``flask certs export --private``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from certs import exports
from certs.forms import (
    ALGORITHM_LABELS,
    PURPOSE_LABELS,
    ActivateForm,
    CreateForm,
    ImportForm,
    RemoveForm,
    RetireForm,
    RolloverForm,
)
from certs.lifecycle import Actor, manager
from certs.models import ManagedKey
from certs.types import CertsError, KeyAlgorithm, KeyNotFound, KeyPurpose, KeyState
from core.web.auth import current_principal, require_role

#: Admin pages need a login of the last 15 minutes (BSI TR-03160-1: re-authentication).
FRESH_LOGIN_SECONDS = 15 * 60

bp = Blueprint("certs", __name__, url_prefix="/verwaltung/schluessel", template_folder="templates")
admin_only = require_role("admin", fresh_seconds=FRESH_LOGIN_SECONDS)

STATE_LABELS = {
    KeyState.NEXT.value: _l("Veröffentlicht, noch nicht aktiv"),
    KeyState.ACTIVE.value: _l("Aktiv"),
    KeyState.RETIRED.value: _l("Außer Dienst"),
}


@bp.app_template_filter("key_when")
def key_when(moment: datetime | None) -> str:
    return str(format_datetime(moment, "short")) if moment else "–"


@bp.app_template_filter("colon_hex")
def colon_hex(value: str) -> str:
    return ":".join(value[i : i + 2] for i in range(0, len(value), 2)).upper()


@bp.app_template_filter("fingerprint_lines")
def fingerprint_lines(value: str) -> list[str]:
    """A SHA-256 fingerprint as four lines of eight bytes (narrow screens, WCAG 1.4.10)."""
    return [colon_hex(value[i : i + 16]) for i in range(0, len(value), 16)]


def _algorithm_of(row: ManagedKey) -> str:
    if row.algorithm == KeyAlgorithm.RSA_3072.value:
        return str(_("RSA (%(bits)s Bit)", bits=row.key_size))
    return str(ALGORITHM_LABELS.get(KeyAlgorithm(row.algorithm), row.algorithm))


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "purpose_label": lambda v: PURPOSE_LABELS.get(KeyPurpose(v), v),
        "algorithm_of": _algorithm_of,
        "state_label": lambda v: STATE_LABELS.get(v, v),
        "keys_manager": manager(),
    }


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.citizen_id if principal else None, request.remote_addr, "web")


def _refused(exc: CertsError) -> None:
    flash(_("Nicht ausgeführt: %(reason)s", reason=str(exc)), "error")


def _key_or_404(key_id: str) -> ManagedKey:
    try:
        return manager().get(key_id)
    except KeyNotFound:
        abort(404)


@bp.get("")
@admin_only
def keys() -> ResponseReturnValue:
    found = manager()
    rows = found.rows()
    now = found.now()
    soon = [
        r
        for r in rows
        if r.state == KeyState.ACTIVE.value and r.not_after - now <= found.policy.warning_window
    ]
    return render_template(
        "certs/keys.html", rows=rows, soon=soon, now=now, create_form=CreateForm()
    )


@bp.get("/<key_id>")
@admin_only
def detail(key_id: str) -> ResponseReturnValue:
    return _render_detail(_key_or_404(key_id))


def _render_detail(row: ManagedKey, status: int = 200, **forms: FlaskForm) -> ResponseReturnValue:
    return render_template(
        "certs/detail.html",
        row=row,
        activate_form=forms.get("activate_form") or ActivateForm(formdata=None),
        retire_form=forms.get("retire_form") or RetireForm(formdata=None),
        remove_form=forms.get("remove_form") or RemoveForm(formdata=None),
        pem=exports.public_pem(manager(), row.id),
    ), status


@bp.post("/neu")
@admin_only
def create() -> ResponseReturnValue:
    form = CreateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = manager().create(
            KeyPurpose(form.purpose.data), KeyAlgorithm(form.algorithm.data), _actor()
        )
    except CertsError as exc:
        _refused(exc)
        return redirect(url_for("certs.keys"), 303)
    flash(_("Der neue Schlüssel ist veröffentlicht (noch nicht aktiv)."), "success")
    return redirect(url_for("certs.detail", key_id=row.id), 303)


@bp.route("/import", methods=["GET", "POST"])
@admin_only
def import_page() -> ResponseReturnValue:
    form = ImportForm()
    if form.validate_on_submit():
        key_file = form.key_file.data
        try:
            row = manager().import_key(
                KeyPurpose(form.purpose.data),
                form.bundle.data.read(),
                key_file.read() if key_file else None,
                form.password.data or None,
                _actor(),
            )
        except CertsError as exc:
            form.bundle.errors = [*form.bundle.errors, str(exc)]
        else:
            flash(_("Schlüssel und Zertifikat sind importiert (noch nicht aktiv)."), "success")
            return redirect(url_for("certs.detail", key_id=row.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("certs/import.html", form=form), status


def _transition(
    key_id: str,
    form: FlaskForm,
    form_name: str,
    change: Callable[[ManagedKey], object],
    done: str,
) -> ResponseReturnValue | None:
    """Shared by the lifecycle buttons: None when ``change`` succeeded, else the detail page
    again with the form's errors (400) or the lifecycle's refusal (409); nothing changed then."""
    row = _key_or_404(key_id)
    if not form.validate_on_submit():
        return _render_detail(row, 400, **{form_name: form})
    try:
        change(row)
    except CertsError as exc:
        _refused(exc)
        return _render_detail(_key_or_404(key_id), 409, **{form_name: form})
    flash(done, "success")
    return None


@bp.post("/<key_id>/aktivieren")
@admin_only
def activate(key_id: str) -> ResponseReturnValue:
    form = ActivateForm()
    refused = _transition(
        key_id,
        form,
        "activate_form",
        lambda row: manager().activate(
            row.id, _actor(), force=form.force.data, reason=form.reason.data or ""
        ),
        _("Der Schlüssel ist jetzt aktiv."),
    )
    return refused or redirect(url_for("certs.detail", key_id=key_id), 303)


@bp.post("/<key_id>/ausser-dienst")
@admin_only
def retire(key_id: str) -> ResponseReturnValue:
    form = RetireForm()
    refused = _transition(
        key_id,
        form,
        "retire_form",
        lambda row: manager().retire(row.id, _actor(), force=form.force.data),
        _("Der Schlüssel signiert nicht mehr, bleibt aber veröffentlicht."),
    )
    return refused or redirect(url_for("certs.detail", key_id=key_id), 303)


@bp.post("/<key_id>/entfernen")
@admin_only
def remove(key_id: str) -> ResponseReturnValue:
    form = RemoveForm()
    refused = _transition(
        key_id,
        form,
        "remove_form",
        lambda row: manager().remove(
            row.id, _actor(), force=form.force.data, reason=form.reason.data or ""
        ),
        _("Der Schlüssel ist entfernt und nicht mehr veröffentlicht."),
    )
    return refused or redirect(url_for("certs.keys"), 303)


@bp.route("/notfall", methods=["GET", "POST"])
@admin_only
def rollover() -> ResponseReturnValue:
    form = RolloverForm()
    if form.validate_on_submit():
        try:
            row = manager().rollover(
                KeyPurpose(form.purpose.data),
                KeyAlgorithm(form.algorithm.data),
                _actor(),
                reason=form.reason.data or "",
                remove_old=form.remove_old.data,
            )
        except CertsError as exc:
            form.purpose.errors = [*form.purpose.errors, str(exc)]
        else:
            flash(_("Notfallwechsel ausgeführt: der neue Schlüssel signiert jetzt."), "success")
            return redirect(url_for("certs.detail", key_id=row.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("certs/rollover.html", form=form), status


@bp.get("/<key_id>/oeffentlich.pem")
@admin_only
def public_pem(key_id: str) -> ResponseReturnValue:
    row = _key_or_404(key_id)
    body = exports.public_pem(manager(), row.id)
    response = Response(body, mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{row.purpose}-{row.kid[:12]}.pem"'
    )
    return response
