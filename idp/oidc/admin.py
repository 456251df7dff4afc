"""Administration of the relying-party registry under /verwaltung/oidc (fresh admin login)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.web.auth import current_principal, require_role
from idp.oidc import registry
from idp.oidc.blueprint import bp
from idp.oidc.config import oidc
from idp.oidc.forms import ClientForm, ConfirmForm
from idp.oidc.models import OidcClient
from idp.oidc.registry import ClientSpec

FRESH = 15 * 60


@dataclass(frozen=True)
class AdminSection:
    endpoint: str
    label: object


SECTION = AdminSection("oidc.admin_clients", _l("OpenID-Connect-Dienste"))


def _actor() -> str | None:
    principal = current_principal()
    return principal.citizen_id if principal else None


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _spec(form: ClientForm) -> tuple[ClientSpec, bool]:
    jwks: dict[str, Any] | None = None
    jwks_ok = True
    if (form.jwks.data or "").strip():
        try:
            parsed = json.loads(form.jwks.data or "")
            jwks = parsed if isinstance(parsed, dict) else None
            jwks_ok = jwks is not None
        except ValueError:
            jwks_ok = False
    spec = ClientSpec(
        name=form.name.data or "",
        redirect_uris=_lines(form.redirect_uris.data),
        auth_method=form.auth_method.data or "",
        post_logout_redirect_uris=_lines(form.post_logout_redirect_uris.data),
        backchannel_logout_uri=(form.backchannel_logout_uri.data or "").strip(),
        scopes=["openid", *(form.scopes.data or [])],
        release=list(form.release.data or []),
        min_level=form.min_level.data or "",
        consent=form.consent.data or "",
        id_token_alg=form.id_token_alg.data or "",
        jwks=jwks,
        sector_identifier=(form.sector_identifier.data or "").strip(),
    )
    return spec, jwks_ok


def _checked(form: ClientForm, keep: OidcClient | None = None) -> ClientSpec | None:
    """The form's spec when every check passes; else the errors sit on the fields. The API
    access of ``keep`` (not on the form: ``flask oidc-clients``) stays as it is."""
    if not form.validate_on_submit():
        return None
    spec, jwks_ok = _spec(form)
    if keep is not None:
        spec.api_scopes, spec.roles = list(keep.api_scopes), list(keep.roles)
    found = registry.problems(spec, oidc().settings.is_production)
    if not jwks_ok:
        found.append(("jwks", _("Das JWK Set ist kein gültiges JSON-Objekt.")))
    for name, message in found:
        field = getattr(form, name)
        field.errors = [*field.errors, message]
    return None if found else spec


@bp.get("/verwaltung/oidc")
@require_role("admin", fresh_seconds=FRESH)
def admin_clients() -> ResponseReturnValue:
    return render_template(
        "oidc/admin_list.html", clients=registry.all_clients(), form=ConfirmForm()
    )


@bp.route("/verwaltung/oidc/neu", methods=["GET", "POST"])
@require_role("admin", fresh_seconds=FRESH)
def admin_new() -> ResponseReturnValue:
    form = ClientForm()
    spec = _checked(form)
    client_id = (form.client_id.data or "").strip() or None
    if spec is not None and client_id is not None:
        if not registry.CLIENT_ID_RE.match(client_id):
            form.client_id.errors = [_("Erlaubt sind 3 bis 64 Zeichen aus A–Z, a–z, 0–9, . _ ~ -.")]
            spec = None
        elif registry.get(client_id) is not None:
            form.client_id.errors = [_("Diese Client-ID ist schon vergeben.")]
            spec = None
    if spec is None:
        status = 400 if form.errors else 200
        return render_template("oidc/admin_form.html", form=form, client=None), status
    client, secret = registry.register(spec, _actor(), client_id)
    return _show_secret(client, secret, _("Der Dienst wurde registriert."))


@bp.route("/verwaltung/oidc/<client_id>", methods=["GET", "POST"])
@require_role("admin", fresh_seconds=FRESH)
def admin_edit(client_id: str) -> ResponseReturnValue:
    client = registry.get(client_id) or abort(404)
    form = ClientForm(data=_form_data(client))
    spec = _checked(form, client)
    if spec is None:
        status = 400 if form.errors else 200
        return render_template("oidc/admin_form.html", form=form, client=client), status
    secret = registry.update(client, spec, _actor())
    if secret:
        return _show_secret(client, secret, _("Die Änderungen wurden gespeichert."))
    flash(_("Die Änderungen wurden gespeichert."), "success")
    return redirect(url_for("oidc.admin_clients"), 303)


@bp.post("/verwaltung/oidc/<client_id>/geheimnis")
@require_role("admin", fresh_seconds=FRESH)
def admin_rotate(client_id: str) -> ResponseReturnValue:
    client = registry.get(client_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    secret = registry.rotate_secret(client, _actor())
    if secret is None:
        abort(400)
    return _show_secret(client, secret, _("Das neue Geheimnis gilt ab sofort."))


@bp.post("/verwaltung/oidc/<client_id>/status")
@require_role("admin", fresh_seconds=FRESH)
def admin_toggle(client_id: str) -> ResponseReturnValue:
    client = registry.get(client_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    registry.set_enabled(client, not client.enabled, _actor())
    flash(
        _("Der Dienst ist jetzt aktiv.") if client.enabled else _("Der Dienst ist gesperrt."),
        "success",
    )
    return redirect(url_for("oidc.admin_clients"), 303)


def _show_secret(client: OidcClient, secret: str | None, message: str) -> ResponseReturnValue:
    return render_template("oidc/admin_secret.html", client=client, secret=secret, message=message)


def _form_data(client: OidcClient) -> dict[str, Any]:
    return {
        "name": client.name,
        "client_id": client.client_id,
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "backchannel_logout_uri": client.backchannel_logout_uri or "",
        "auth_method": client.auth_method,
        "jwks": json.dumps(client.jwks, indent=2) if client.jwks else "",
        "scopes": [s for s in client.scopes if s != "openid"],
        "release": list(client.release),
        "min_level": client.min_level,
        "consent": client.consent,
        "id_token_alg": client.id_token_alg,
        "sector_identifier": client.sector_identifier,
    }
