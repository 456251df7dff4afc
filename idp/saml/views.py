"""The SAML endpoints: metadata, SSO (both bindings; IdP-initiated), SLO (both bindings)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from idp.saml import frontchannel, hardening, metadata, slo, sso, unsolicited
from idp.saml.keys import ENCRYPTION, SIGNING
from idp.saml.service import idp

bp = Blueprint("saml", __name__, url_prefix="/saml", template_folder="templates")


@bp.get("/metadata")
def metadata_xml() -> ResponseReturnValue:
    s = idp()
    base = s.settings.base_url
    root = metadata.build(
        s.entity_id,
        base + "/saml/sso",
        base + "/saml/slo",
        s.published(SIGNING),
        s.published(ENCRYPTION),
    )
    body = metadata.signed(root, s.backend, s.signing_certificate())
    response = Response(body, mimetype="application/samlmetadata+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sso")
def sso_redirect() -> ResponseReturnValue:
    limit = idp().settings.saml_max_message_bytes
    return sso.receive(lambda: hardening.from_redirect(request.query_string, "SAMLRequest", limit))


@bp.post("/sso")
def sso_post() -> ResponseReturnValue:
    limit = idp().settings.saml_max_message_bytes
    return sso.receive(
        lambda: hardening.from_post(
            request.form.get("SAMLRequest"), request.form.get("RelayState"), limit
        )
    )


@bp.get("/unsolicited")
def sso_unsolicited() -> ResponseReturnValue:
    return unsolicited.start()


@bp.get("/sso/weiter/<handle>")
def sso_continue(handle: str) -> ResponseReturnValue:
    return sso.continue_(handle)


@bp.get("/sso/abbrechen/<handle>")
def sso_cancel(handle: str) -> ResponseReturnValue:
    return sso.cancel(handle)


@bp.get("/slo")
def slo_redirect() -> ResponseReturnValue:
    limit = idp().settings.saml_max_message_bytes
    field = "SAMLResponse" if "SAMLResponse" in request.args else "SAMLRequest"
    return slo.receive(lambda: hardening.from_redirect(request.query_string, field, limit))


@bp.post("/slo")
def slo_post() -> ResponseReturnValue:
    limit = idp().settings.saml_max_message_bytes
    field = "SAMLResponse" if "SAMLResponse" in request.form else "SAMLRequest"
    return slo.receive(
        lambda: hardening.from_post(request.form.get(field), request.form.get("RelayState"), limit)
    )


@bp.get("/slo/abmelden/<handle>")
def slo_from_hub(handle: str) -> ResponseReturnValue:
    """A logout the hub started goes round the session's SAML SPs (:mod:`frontchannel`)."""
    return frontchannel.start(handle)
