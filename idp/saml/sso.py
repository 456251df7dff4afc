"""Web Browser SSO (SAML Profiles §4.1): AuthnRequest by HTTP-Redirect or HTTP-POST, Response by
HTTP-POST to an ACS URL from the SP's registered metadata only.

An accepted request is kept server-side (key-value store, TTL) under a random handle bound to
this browser by a cookie; the browser goes on to ``/saml/sso/weiter/<handle>`` (a same-site GET,
so the Lax session cookie is there even after a cross-site POST), which logs in, steps up or
answers. Refusals of a request whose origin is not proven (unknown SP, bad signature,
unregistered ACS, replay, bad timestamps, unsafe XML) get an error page, never a redirect;
a proven request that cannot be satisfied gets a SAML error status at the SP's ACS.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from flask import Response, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree
from saml2 import samlp

from account import api
from account.identity import Identity, Level
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.store.base import dumps, loads
from core.web.errors import render_error
from idp.saml import assemble, hardening, loa, nameid, participants, registry, release
from idp.saml.bindings import post_form
from idp.saml.hardening import Incoming, Refused
from idp.saml.models import ServiceProvider, sp_by_entity_id, sp_by_id
from idp.saml.service import idp
from idp.saml.spmeta import BINDING_POST, MetadataRefused, SpMetadata

log = logging.getLogger("portal.saml")

PENDING_KEY = "saml-pending:"
PENDING_TTL = 30 * 60
BINDING_COOKIE = "bp_saml"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"
NO_PASSIVE = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
NO_AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
INVALID_NAMEID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
AUTHN_REQUEST = f"{{{assemble.SAMLP}}}AuthnRequest"
#: How a SAML SP appears among the relying parties of an SSO session (``api.record_client``).
SAML_CLIENT = "saml:"
NOT_ALLOWED = _l("Dieser Dienst nimmt keine Anmeldung an, die beim Bürgerportal beginnt.")
SP_MESSAGES = frozenset(
    {AUTHN_REQUEST, f"{{{assemble.SAMLP}}}LogoutRequest", f"{{{assemble.SAMLP}}}LogoutResponse"}
)


@dataclass
class Pending:
    """An accepted AuthnRequest waiting for the citizen (stored as JSON)."""

    sp_id: str
    request_id: str | None
    acs: str
    relay_state: str | None
    name_id_format: str | None
    sp_name_qualifier: str | None
    comparison: str
    ranks: list[int]
    eidas: bool
    force_authn: bool
    is_passive: bool
    started_at: float
    binding: str
    #: IdP-initiated (:mod:`idp.saml.unsolicited`): no AuthnRequest, so no InResponseTo.
    unsolicited: bool = False

    @property
    def requested(self) -> loa.Requested:
        return loa.Requested(loa.Comparison(self.comparison), tuple(self.ranks), self.eidas)


def refused_page(reason: str, message: object | None = None, status: int = 400) -> Response:
    """The clear error page for a request we will not answer to anyone."""
    log.info("saml request refused: %s", reason)
    text = str(message) if message else _("Die Anmeldeanfrage des Dienstes wurde abgelehnt.")
    return render_error(status, text)


# --- receiving the AuthnRequest ------------------------------------------------------------


def receive(message_of: Any) -> ResponseReturnValue:
    """Shared by both bindings: ``message_of()`` decodes the message (may raise Refused)."""
    try:
        message: Incoming = message_of()
        sp, metadata = known_sp(message.root)
        pending = _accept(message, sp, metadata)
    except Refused as exc:
        return refused_page(exc.reason, exc.message)
    return start(pending)


def start(pending: Pending) -> Response:
    """Keep ``pending`` under a random handle bound to this browser and go on to
    ``/saml/sso/weiter/<handle>`` (a same-site GET, which carries the Lax session cookie)."""
    handle = secrets.token_urlsafe(24)
    binding = request.cookies.get(BINDING_COOKIE) or secrets.token_urlsafe(24)
    data = asdict(pending) | {"browser": binding}
    idp().store.set(PENDING_KEY + handle, dumps(data), PENDING_TTL)
    response = make_response(redirect(url_for("saml.sso_continue", handle=handle), 303))
    response.set_cookie(
        BINDING_COOKIE,
        binding,
        max_age=PENDING_TTL,
        httponly=True,
        secure=idp().settings.uses_https,
        samesite="Lax",
        path="/saml/",
    )
    return response


def known_sp(root: etree._Element) -> tuple[ServiceProvider, SpMetadata]:
    """The registered, enabled SP named by the message's Issuer, with its metadata."""
    issuer = root.findtext(f"{{{assemble.SAML}}}Issuer")
    if root.tag not in SP_MESSAGES:
        raise Refused("not-a-request")
    sp = sp_by_entity_id((issuer or "").strip()) if issuer else None
    if sp is None or not sp.enabled:
        raise Refused("unknown-sp", _("Dieser Dienst ist beim Bürgerportal nicht registriert."))
    try:
        metadata = registry.metadata_of(sp)
    except ValueError:
        raise Refused("sp-metadata-invalid") from None
    return sp, metadata


def _accept(message: Incoming, sp: ServiceProvider, metadata: SpMetadata) -> Pending:
    if message.root.tag != AUTHN_REQUEST:
        raise Refused("not-an-authn-request")
    s = idp().settings
    required = sp.require_signed_requests or metadata.authn_requests_signed
    signed = hardening.verify_signature(
        idp().xml, message, metadata.signing_certs, required=required
    )
    root = message.root
    destination = root.get("Destination")
    if (signed or destination) and destination != _sso_url():
        raise Refused("wrong-destination")
    now = idp().clock.now()
    hardening.check_instant(
        root.get("IssueInstant"), now, s.saml_request_max_age, s.saml_clock_skew
    )
    request_id = root.get("ID") or ""
    parsed = samlp.authn_request_from_string(message.xml)
    if parsed is None or parsed.version != "2.0":
        raise Refused("bad-request")
    acs = _acs(root, metadata)
    hardening.remember_request(
        idp().store, sp.entity_id, request_id, s.saml_request_max_age + 2 * s.saml_clock_skew
    )
    return _pending(parsed, sp, request_id, acs, message, now)


def _acs(root: etree._Element, metadata: SpMetadata) -> str:
    """SAML Core §3.4.1 and Profiles §4.1.4.1: only an endpoint from the SP's metadata."""
    binding = root.get("ProtocolBinding")
    if binding and binding != BINDING_POST:
        raise Refused("unsupported-binding")
    index = root.get("AssertionConsumerServiceIndex")
    url = root.get("AssertionConsumerServiceURL")
    if index is not None and url is not None:
        raise Refused("acs-index-and-url")
    if index is not None:
        try:
            endpoint = metadata.acs_by_index(int(index))
        except ValueError:
            endpoint = None
        if endpoint is None:
            raise Refused("unregistered-acs", _("Die Rücksprungadresse ist nicht registriert."))
        return endpoint.location
    if url is not None:
        if url not in {e.location for e in metadata.acs}:
            raise Refused("unregistered-acs", _("Die Rücksprungadresse ist nicht registriert."))
        return url
    return metadata.default_acs().location


def _pending(
    parsed: Any,
    sp: ServiceProvider,
    request_id: str,
    acs: str,
    message: Incoming,
    now: float,
) -> Pending:
    policy = parsed.name_id_policy
    context = parsed.requested_authn_context
    refs = [r.text.strip() for r in context.authn_context_class_ref] if context else []
    requested = loa.parse_requested(context.comparison if context else None, refs)
    if requested is None:
        raise Refused("bad-authn-context")
    return Pending(
        sp_id=sp.id,
        request_id=request_id,
        acs=acs,
        relay_state=message.relay_state,
        name_id_format=policy.format if policy is not None else None,
        sp_name_qualifier=policy.sp_name_qualifier if policy is not None else None,
        comparison=requested.comparison.value,
        ranks=list(requested.ranks),
        eidas=requested.eidas,
        force_authn=str(parsed.force_authn).lower() in {"true", "1"},
        is_passive=str(parsed.is_passive).lower() in {"true", "1"},
        started_at=now,
        binding=message.binding,
    )


def _sso_url() -> str:
    return idp().settings.base_url + url_for("saml.sso_redirect")


# --- continuing: login, step-up, answer -----------------------------------------------------


def continue_(handle: str) -> ResponseReturnValue:
    store = idp().store
    data = loads(store.get(PENDING_KEY + handle)) if len(handle) <= 64 else None
    if not isinstance(data, dict) or data.get("browser") != request.cookies.get(BINDING_COOKIE):
        return refused_page(
            "no-pending", _("Diese Anmeldung ist abgelaufen. Bitte beginnen Sie beim Dienst neu.")
        )
    data.pop("browser")
    pending = Pending(**data)
    sp = sp_by_id(pending.sp_id)
    if sp is None or not sp.enabled:
        return refused_page("unknown-sp")
    if pending.unsolicited and not sp.allow_idp_initiated:  # withdrawn since
        return refused_page("idp-initiated-not-allowed", NOT_ALLOWED, 403)
    if _usable_metadata(sp) is None:
        return refused_page("sp-metadata-invalid")
    identity = api.current_identity()
    here = url_for("saml.sso_continue", handle=handle)
    needed = loa.needed_level(pending.requested, Level(sp.min_level))
    # ForceAuthn (SAML Core §3.4.1): only a login after the request counts; every login starts
    # a new SSO session with its own auth_time
    fresh = identity is not None and identity.auth_time > pending.started_at
    if pending.is_passive and (identity is None or (pending.force_authn and not fresh)):
        return _answer_error(handle, sp, pending, NO_PASSIVE)
    if needed is None:
        return _answer_error(handle, sp, pending, NO_AUTHN_CONTEXT)
    if identity is None or (pending.force_authn and not fresh):
        card = _card_login(handle) if needed is not Level.LOW else None
        return redirect(card or api.login_url(here, force=pending.force_authn), 303)
    if not loa.acceptable(identity.level, pending.requested, Level(sp.min_level)):
        if identity.level.at_least(needed) or pending.is_passive:
            return _answer_error(
                handle, sp, pending, NO_AUTHN_CONTEXT if not pending.is_passive else NO_PASSIVE
            )
        step_up = api.step_up_url(
            identity,
            needed,
            pending.started_at,
            here,
            url_for("saml.sso_cancel", handle=handle),
        )
        if step_up:
            return redirect(step_up, 303)
        return _step_up(handle, sp, needed, identity.level)
    return _answer(handle, sp, pending, identity)


def _card_login(handle: str) -> str | None:
    """The login with the Online-Ausweis (no session yet, a level above low needed), back to
    this request; its cancel link answers the SP NoAuthnContext. A session below the level is
    stepped up by ``api.step_up_url`` (code from the app or card, as ``account`` decides). The
    assertion names the level actually reached."""
    return api.card_login_url(
        url_for("saml.sso_continue", handle=handle), url_for("saml.sso_cancel", handle=handle)
    )


def _step_up(
    handle: str, sp: ServiceProvider, needed: Level, current: Level
) -> ResponseReturnValue:
    """The level asked for is out of reach: the Online-Ausweis is off, or the card login just
    made did not reach it (e.g. an eID type of level substantial)."""
    return render_template(
        "saml/level.html",
        sp=sp,
        needed=needed,
        current=current,
        cancel=url_for("saml.sso_cancel", handle=handle),
    ), 403


def cancel(handle: str) -> ResponseReturnValue:
    data = loads(idp().store.get(PENDING_KEY + handle)) if len(handle) <= 64 else None
    if not isinstance(data, dict) or data.get("browser") != request.cookies.get(BINDING_COOKIE):
        return refused_page("no-pending")
    data.pop("browser")
    pending = Pending(**data)
    sp = sp_by_id(pending.sp_id)
    if sp is None:
        return refused_page("unknown-sp")
    if pending.unsolicited:  # nobody asked: nothing to answer, only the citizen to tell
        _take(handle)
        return refused_page(
            "unsolicited-cancelled", _("Die Anmeldung beim Dienst wurde abgebrochen."), 200
        )
    return _answer_error(handle, sp, pending, NO_AUTHN_CONTEXT)


def _take(handle: str) -> bool:
    """Consume the pending request atomically: of two concurrent answers only one goes out."""
    return idp().store.take(PENDING_KEY + handle) is not None


def _answer_error(
    handle: str, sp: ServiceProvider, pending: Pending, sub_status: str
) -> ResponseReturnValue:
    if not _take(handle):
        return refused_page("no-pending")
    top = STATUS_REQUESTER if sub_status == INVALID_NAMEID_POLICY else STATUS_RESPONDER
    s = idp()
    root = assemble.response(
        s.entity_id, pending.acs, pending.request_id, s.clock.now(), top, sub_status
    )
    xml = assemble.finish(
        s.xml, root, None, sign_response=True, sign_assertion=False, encrypt_for=None
    )
    return post_form(pending.acs, "SAMLResponse", xml, pending.relay_state)


def _answer(
    handle: str, sp: ServiceProvider, pending: Pending, identity: Identity
) -> ResponseReturnValue:
    try:
        fmt = nameid.choose_format(sp, pending.name_id_format, pending.sp_name_qualifier)
    except nameid.InvalidPolicy:
        return _answer_error(handle, sp, pending, INVALID_NAMEID_POLICY)
    if fmt == "email" and "email" not in identity.attributes:
        return _answer_error(handle, sp, pending, INVALID_NAMEID_POLICY)
    if not _take(handle):
        return refused_page("no-pending")
    name_id = issue_name_id(sp, identity, fmt)
    xml = build_response(sp, pending.acs, pending.request_id, pending.requested, identity, name_id)
    api.record_client(identity.session_id, SAML_CLIENT + sp.entity_id)
    index = session_index(identity.session_id, sp.entity_id)
    participation = participants.Participation(
        identity.session_id, sp.id, identity.citizen_id, name_id.format, name_id.value
    )
    participants.remember(idp().store, index, participation)
    audit.record(
        AuditEvent.SAML_LOGIN,
        now=idp().clock.now(),
        citizen_id=identity.citizen_id,
        client_address=request.remote_addr,
        sp=sp.entity_id,
        level=identity.level.value,
    )
    db.session.commit()
    return post_form(pending.acs, "SAMLResponse", xml, pending.relay_state)


def issue_name_id(sp: ServiceProvider, identity: Identity, fmt: str) -> assemble.NameId:
    """The NameID of the citizen at ``sp`` in format ``fmt`` (SAML Core §8.3)."""
    s = idp()
    if fmt == "persistent":
        value = nameid.persistent(sp, identity.citizen_id, s.clock.now())
    elif fmt == "transient":
        value = nameid.transient(s.store, sp, identity.citizen_id, participants.TTL)
    else:
        value = identity.attributes["email"].value
    return assemble.NameId(value, nameid.FORMATS[fmt], s.entity_id, sp.entity_id)


def _usable_metadata(sp: ServiceProvider) -> SpMetadata | None:
    """The SP's metadata, or None when they expired since the request came."""
    try:
        return registry.metadata_of(sp)
    except MetadataRefused:
        return None


def build_response(
    sp: ServiceProvider,
    acs: str,
    request_id: str | None,
    requested: loa.Requested,
    identity: Identity,
    name_id: assemble.NameId,
) -> bytes:
    s = idp()
    now = s.clock.now()
    persistent = nameid.persistent(sp, identity.citizen_id, now)
    class_ref = loa.class_ref(identity.level, requested)
    spec = assemble.AssertionSpec(
        issuer=s.entity_id,
        audience=sp.entity_id,
        recipient=acs,
        in_response_to=request_id,
        name_id=name_id,
        authn_instant=identity.auth_time,
        session_index=session_index(identity.session_id, sp.entity_id),
        class_ref=class_ref,
        attributes=release.released(list(sp.release), identity.attributes, class_ref, persistent)
        + release.roles(list(sp.roles), identity.citizen_id),
        now=now,
        lifetime=s.settings.saml_assertion_lifetime,
        skew=s.settings.saml_clock_skew,
    )
    metadata = registry.metadata_of(sp)
    encrypt_for = metadata.encryption_certs[0] if sp.encrypt_assertion else None
    root = assemble.response(s.entity_id, acs, request_id, now)
    return assemble.finish(
        s.xml,
        root,
        assemble.build_assertion(spec),
        sign_response=sp.sign_response,
        sign_assertion=sp.sign_assertion,
        encrypt_for=encrypt_for,
    )


def session_index(session_id: str, entity_id: str) -> str:
    return participants.session_index(idp().settings.secret_key, session_id, entity_id)
