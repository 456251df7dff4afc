"""Administration of the SAML service providers under /verwaltung/saml (admins only, with a login
of the last 15 minutes, BSI TR-03160-1 re-authentication).

Every change is a POST with a CSRF token and goes through :mod:`idp.saml.registry`, which
validates it against the SP's metadata and writes it with its audit event (the admin as actor)
in one transaction; a refusal shows its reasons at the fields and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field

from core.web.auth import current_principal, require_role
from idp.saml import registry, spmeta
from idp.saml.forms import AddForm, ConfirmForm, EditForm, RemoveForm, SettingsForm
from idp.saml.models import ServiceProvider, all_sps, sp_by_id
from idp.saml.registry import RegistryRefused, SpSettings
from idp.saml.spmeta import MetadataRefused, SpMetadata

#: Admin pages need a login of the last 15 minutes (as the key administration does).
FRESH_LOGIN_SECONDS = 15 * 60

bp = Blueprint("saml_admin", __name__, url_prefix="/verwaltung/saml", template_folder="templates")
admin_only = require_role("admin", fresh_seconds=FRESH_LOGIN_SECONDS)
DEFAULTS: dict[str, Any] = {
    "name_id_formats": ["persistent", "transient"],
    "min_level": "low",
    "sign_response": True,
    "sign_assertion": True,
    "require_signed_requests": True,
}


@dataclass(frozen=True)
class AdminSection:
    endpoint: str
    label: object


SECTION = AdminSection("saml_admin.sps", _l("SAML-Dienste"))


@dataclass(frozen=True)
class CertificateInfo:
    use: str
    fingerprint: str
    not_after: datetime
    key: str


def _actor() -> str | None:
    principal = current_principal()
    return principal.citizen_id if principal else None


def _sp_or_404(sp_id: str) -> ServiceProvider:
    return sp_by_id(sp_id) or abort(404)


# --- pages --------------------------------------------------------------------------------------


@bp.get("")
@admin_only
def sps() -> ResponseReturnValue:
    return render_template("saml/admin_list.html", sps=all_sps(), form=ConfirmForm())


@bp.route("/neu", methods=["GET", "POST"])
@admin_only
def add() -> ResponseReturnValue:
    form = AddForm() if request.method == "POST" else AddForm(data=DEFAULTS)
    if form.validate_on_submit():
        sp = _register(form)
        if sp is not None:
            flash(_("Der Dienst „%(name)s“ ist registriert.", name=sp.name), "success")
            return redirect(url_for("saml_admin.edit", sp_id=sp.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("saml/admin_form.html", form=form, sp=None, details=None), status


@bp.route("/<sp_id>", methods=["GET", "POST"])
@admin_only
def edit(sp_id: str) -> ResponseReturnValue:
    sp = _sp_or_404(sp_id)
    form = EditForm() if request.method == "POST" else EditForm(data=_form_data(sp))
    if form.validate_on_submit() and _change(form, sp):
        flash(_("Die Änderungen sind gespeichert."), "success")
        return redirect(url_for("saml_admin.edit", sp_id=sp.id), 303)
    return _render_edit(sp, form, 400 if request.method == "POST" else 200)


@bp.post("/<sp_id>/status")
@admin_only
def toggle(sp_id: str) -> ResponseReturnValue:
    sp = _sp_or_404(sp_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    registry.set_enabled(sp, not sp.enabled, actor_id=_actor())
    flash(
        _("Der Dienst ist freigegeben.") if sp.enabled else _("Der Dienst ist gesperrt."), "success"
    )
    return redirect(url_for("saml_admin.sps"), 303)


@bp.post("/<sp_id>/entfernen")
@admin_only
def remove(sp_id: str) -> ResponseReturnValue:
    sp = _sp_or_404(sp_id)
    form = RemoveForm()
    if not form.validate_on_submit():
        return _render_edit(sp, EditForm(data=_form_data(sp)), 400, remove_form=form)
    name = sp.name
    registry.remove(sp, actor_id=_actor())
    flash(_("Der Dienst „%(name)s“ ist entfernt.", name=name), "success")
    return redirect(url_for("saml_admin.sps"), 303)


def _render_edit(
    sp: ServiceProvider, form: EditForm, status: int, remove_form: RemoveForm | None = None
) -> ResponseReturnValue:
    details = _details(sp)
    return render_template(
        "saml/admin_form.html",
        form=form,
        sp=sp,
        details=details,
        certificates=certificates(details) if details else [],
        remove_form=remove_form or RemoveForm(formdata=None),
    ), status


# --- the work behind them ------------------------------------------------------------------------


def _register(form: AddForm) -> ServiceProvider | None:
    source = _metadata_from(form, form.metadata_url.data or "")
    if source is None:
        return None
    metadata, url = source
    settings = _settings(form, None)
    if _attach(form, settings.field_problems(metadata)):
        return None
    try:
        return registry.register(
            metadata, settings, name=form.name.data or None, metadata_url=url, actor_id=_actor()
        )
    except RegistryRefused as exc:
        _add_errors(form.metadata_file, exc.messages)
        return None


def _change(form: EditForm, sp: ServiceProvider) -> bool:
    replacement: SpMetadata | None = None
    if (form.metadata_file.data and form.metadata_file.data.filename) or form.refetch.data:
        if form.refetch.data and not sp.metadata_url:
            _add_errors(form.refetch, [_("Für diesen Dienst ist keine Adresse registriert.")])
            return False
        url = (sp.metadata_url or "") if form.refetch.data else ""
        source = _metadata_from(form, url)
        if source is None:
            return False
        replacement = source[0]
    settings = _settings(form, sp)
    try:
        current = replacement or registry.metadata_of(sp)
    except MetadataRefused as exc:
        _add_errors(form.metadata_file, [str(exc.message)])
        return False
    if _attach(form, settings.field_problems(current)):
        return False
    try:
        registry.change(
            sp, settings, metadata=replacement, name=form.name.data or None, actor_id=_actor()
        )
    except RegistryRefused as exc:
        _add_errors(form.metadata_file, exc.messages)
        return False
    return True


def _metadata_from(form: AddForm | EditForm, url: str) -> tuple[SpMetadata, str | None] | None:
    """The metadata from the upload or from ``url`` (exactly one), validated; else None with
    the reason at the field."""
    upload = form.metadata_file.data
    uploaded = bool(upload and upload.filename)
    url = url.strip()
    target = form.metadata_file if uploaded or not url else _url_field(form)
    if uploaded == bool(url):
        message = _("Bitte laden Sie eine Datei hoch oder geben Sie eine Adresse an.")
        _add_errors(form.metadata_file, [message])
        return None
    try:
        if uploaded:
            data = upload.read(spmeta.MAX_METADATA_BYTES + 1)
            if len(data) > spmeta.MAX_METADATA_BYTES:
                raise MetadataRefused(_l("Die Metadaten sind zu groß."))
        else:
            data = registry.fetch_metadata(url)
        return registry.read_metadata(data), url or None
    except MetadataRefused as exc:
        _add_errors(target, [str(exc.message)])
        return None


def _url_field(form: AddForm | EditForm) -> Field:
    return form.metadata_url if isinstance(form, AddForm) else form.refetch


def _settings(form: SettingsForm, sp: ServiceProvider | None) -> SpSettings:
    roles = tuple(r.strip() for r in (form.roles.data or "").split(",") if r.strip())
    return SpSettings(
        sign_response=bool(form.sign_response.data),
        sign_assertion=bool(form.sign_assertion.data),
        encrypt_assertion=bool(form.encrypt_assertion.data),
        require_signed_requests=bool(form.require_signed_requests.data),
        allow_idp_initiated=bool(form.allow_idp_initiated.data),
        name_id_formats=_keep_order(form.name_id_formats.data or [], sp),
        release=tuple(form.release.data or ()),
        min_level=form.min_level.data or "",
        roles=roles,
    )


def _keep_order(chosen: list[str], sp: ServiceProvider | None) -> tuple[str, ...]:
    """The checked formats, in the SP's current order where it has them (the first one is the
    default, and checkboxes arrive in page order)."""
    before = [f for f in (sp.name_id_formats if sp else []) if f in chosen]
    return tuple(before + [f for f in chosen if f not in before])


def _attach(form: SettingsForm, problems: list[tuple[str, str]]) -> bool:
    """Put each problem at its field; True when there were any."""
    for name, message in problems:
        _add_errors(getattr(form, name), [message])
    return bool(problems)


def _add_errors(field: Field, messages: list[str]) -> None:
    field.errors = [*field.errors, *messages]


def _form_data(sp: ServiceProvider) -> dict[str, Any]:
    return {
        "name": sp.name,
        "release": list(sp.release),
        "name_id_formats": list(sp.name_id_formats),
        "min_level": sp.min_level,
        "encrypt_assertion": sp.encrypt_assertion,
        "sign_response": sp.sign_response,
        "sign_assertion": sp.sign_assertion,
        "require_signed_requests": sp.require_signed_requests,
        "allow_idp_initiated": sp.allow_idp_initiated,
        "roles": ", ".join(sp.roles),
    }


def _details(sp: ServiceProvider) -> SpMetadata | None:
    try:
        return registry.metadata_of(sp)
    except MetadataRefused:
        return None


def certificates(metadata: SpMetadata) -> list[CertificateInfo]:
    """What the page shows of the SP's certificates (fingerprint, expiry, key)."""
    out = []
    for use, pems in (
        ("signing", metadata.signing_certs),
        ("encryption", metadata.encryption_certs),
    ):
        for pem in pems:
            cert = x509.load_pem_x509_certificate(pem)
            key = cert.public_key()
            if isinstance(key, rsa.RSAPublicKey):
                described = f"RSA {key.key_size}"
            elif isinstance(key, ec.EllipticCurvePublicKey):
                described = f"EC {key.curve.name}"
            else:
                described = type(key).__name__
            fingerprint = cert.fingerprint(hashes.SHA256()).hex()
            out.append(CertificateInfo(use, fingerprint, cert.not_valid_after_utc, described))
    return out
