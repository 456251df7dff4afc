"""Single logout (SAML Profiles §4.4, SAML Core §3.7), SP-initiated, HTTP-Redirect and HTTP-POST.

A service provider sends a signed LogoutRequest to ``/saml/slo``. The hub

1. refuses with an error page (changing nothing) whatever does not prove its origin: unknown or
   disabled SP, missing or bad signature (required for every logout message, Profiles §4.4.4.1),
   wrong Destination, stale or replayed message, or an SP without a registered SLO endpoint —
   the answer may only go to an endpoint from the SP's metadata, never one from the message;
2. finds the SSO sessions the request names: its SessionIndex values (each must belong to this
   SP and to the citizen of the NameID), or without SessionIndex every live session of that
   citizen in which this SP took part (never sessions the SP had nothing to do with);
3. ends them at once (``account.api.end_session``: the browser's login ends, OpenID Connect
   clients get their back-channel logout tokens);
4. informs the other SAML SPs of those sessions over the **front channel**: the browser is sent
   to each one's SLO endpoint in turn (by the initiator's binding where the SP has it) with a
   signed LogoutRequest carrying exactly the NameID and SessionIndex that SP received, and comes
   back with its signed LogoutResponse (matched by InResponseTo). Front channel because every
   SP implementation speaks it (python3-saml, for one, has no SOAP binding) and an SP's logout
   usually has to clear its cookies in the browser; the cost is that an SP which never answers
   stops the chain (the hub's session is already over by then);
5. finally answers the initiating SP with a signed LogoutResponse: Success, with the second-level
   status PartialLogout when an SP could not be informed (no SLO endpoint, disabled, or it
   answered with an error; SAML Core §3.2.2.2).

The same chain serves a logout the hub itself started (:mod:`idp.saml.frontchannel`: the
"Abmelden" button, OpenID Connect RP-initiated logout): there is no initiating SP to answer,
and the browser lands at the URL that logout validated (``Chain.landing``).

The chain's state lives in the key-value store under the ID of our outstanding LogoutRequest.

Chromium and Safari hold every redirect that follows a form submission to the CSP
``form-action`` of the page the form was on (w3c/webappsec-csp#8). Two of the chain's steps run
inside such a submission: its start after the hub's own logout forms (the hub's pages name no
``form-action`` today, core/web/headers.py, but a stricter policy in front of the hub would hold
this redirect) and an SP's HTTP-Redirect answer to a LogoutRequest the hub's HTTP-POST page
sent (that page allows the SP and the hub, nobody else). There the chain leaves the hub by
:func:`by_page`, a page of the hub's own that moves on by itself, instead of a redirect the
browser would block.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from lxml import etree
from werkzeug.wrappers import Response as WerkzeugResponse

from account import api
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.store.base import dumps, loads
from idp.saml import bindings, hardening, messages, nameid, participants, registry
from idp.saml.assemble import SAML, SAMLP, SUCCESS, q
from idp.saml.hardening import Incoming, Refused
from idp.saml.models import ServiceProvider, sp_by_entity_id, sp_by_id
from idp.saml.service import idp
from idp.saml.spmeta import BINDING_POST, BINDING_REDIRECT, Endpoint, MetadataRefused, SpMetadata
from idp.saml.sso import SAML_CLIENT, STATUS_REQUESTER, known_sp, refused_page

log = logging.getLogger("portal.saml")

LOGOUT_REQUEST = q(SAMLP, "LogoutRequest")
LOGOUT_RESPONSE = q(SAMLP, "LogoutResponse")
PARTIAL_LOGOUT = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
UNKNOWN_PRINCIPAL = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
_CHAIN_KEY = "saml-slo:"
#: How long the hub waits for one SP of the chain to answer.
CHAIN_TTL = 10 * 60
_BINDINGS = {"redirect": BINDING_REDIRECT, "post": BINDING_POST}


@dataclass
class Chain:
    """A logout in progress (stored as JSON under the ID of our outstanding LogoutRequest)."""

    initiator: str  # SP id
    reply_to: str  # ID of the initiator's LogoutRequest
    relay_state: str | None
    binding: str  # "redirect" or "post": how the initiator's request came
    todo: list[dict[str, str]] = field(default_factory=list)  # Participation dicts
    waiting_for: str | None = None  # SP id whose LogoutResponse we expect
    partial: bool = False
    #: Started at the hub: where the browser goes at the end (validated by the initiator).
    landing: str | None = None
    #: How our outstanding LogoutRequest went: "redirect" or "post" (by the hub's form page).
    sent_by: str | None = None


def receive(message_of: Any) -> ResponseReturnValue:
    """Shared by both bindings: ``message_of()`` decodes the message (may raise Refused)."""
    try:
        message: Incoming = message_of()
        sp, metadata = known_sp(message.root)
        _check_origin(message, sp, metadata)
        if message.root.tag == LOGOUT_REQUEST:
            return _logout_request(message, sp, metadata)
        if message.root.tag == LOGOUT_RESPONSE:
            return _logout_response(message, sp)
        raise Refused("not-a-logout-message")
    except Refused as exc:
        return refused_page(exc.reason, exc.message)


def slo_url() -> str:
    return idp().settings.base_url + url_for("saml.slo_redirect")


def _check_origin(message: Incoming, sp: ServiceProvider, metadata: SpMetadata) -> None:
    """Signature (always required), Destination, IssueInstant, replay (Profiles §4.4.4)."""
    s = idp()
    hardening.verify_signature(s.xml, message, metadata.signing_certs, required=True)
    if message.root.get("Destination") != slo_url():
        raise Refused("wrong-destination")
    settings = s.settings
    hardening.check_instant(
        message.root.get("IssueInstant"),
        s.clock.now(),
        settings.saml_request_max_age,
        settings.saml_clock_skew,
    )
    ttl = settings.saml_request_max_age + 2 * settings.saml_clock_skew
    hardening.remember_request(s.store, sp.entity_id, message.root.get("ID") or "", ttl)


def slo_endpoint(metadata: SpMetadata, preferred: str) -> Endpoint | None:
    """The SP's registered SLO endpoint, of the preferred binding where it has one."""
    for endpoint in metadata.slo:
        if endpoint.binding == preferred:
            return endpoint
    return metadata.slo[0] if metadata.slo else None


# --- a LogoutRequest from an SP ---------------------------------------------------------------


def _logout_request(
    message: Incoming, sp: ServiceProvider, metadata: SpMetadata
) -> ResponseReturnValue:
    root = message.root
    endpoint = slo_endpoint(metadata, _BINDINGS[message.binding])
    if endpoint is None:
        raise Refused(
            "no-slo-endpoint", _("Für diesen Dienst ist keine Abmeldeadresse registriert.")
        )
    not_on_or_after = root.get("NotOnOrAfter")
    if not_on_or_after and hardening.instant_of(not_on_or_after) <= idp().clock.now():
        raise Refused("logout-request-expired")  # SAML Core §3.7.1
    chain = Chain(sp.id, root.get("ID") or "", message.relay_state, message.binding)
    citizen_id = _principal(sp, root)
    if citizen_id is None:
        return _answer(chain, sp, endpoint, STATUS_REQUESTER, UNKNOWN_PRINCIPAL)
    ended = _end_sessions(sp, citizen_id, _session_indexes(root))
    chain.todo, chain.partial = _others(sp, ended)
    return proceed(chain)


def hub_chain(ended: api.EndedSession, landing: str) -> Chain:
    """The chain for a logout the hub started: every SAML SP of ``ended``, each by its own
    SLO endpoint (HTTP-Redirect where it has one), then the browser to ``landing``."""
    todo, partial = _others(None, [ended])
    return Chain("", "", None, "redirect", todo=todo, partial=partial, landing=landing)


def _principal(sp: ServiceProvider, root: etree._Element) -> str | None:
    """The citizen the NameID stands for at ``sp`` (SAML Core §3.7.3.2), else None. A NameID
    qualified for another SP or another IdP names nobody here."""
    element = root.find(q(SAML, "NameID"))
    if element is None or not element.text:
        return None  # EncryptedID and BaseID are not issued by this hub
    qualifier = element.get("NameQualifier")
    sp_qualifier = element.get("SPNameQualifier")
    if (qualifier and qualifier != idp().entity_id) or (
        sp_qualifier and sp_qualifier != sp.entity_id
    ):
        return None
    fmt, value = element.get("Format") or nameid.UNSPECIFIED, element.text.strip()
    if fmt == nameid.EMAIL:
        return api.citizen_id_for_email(value) if "email" in sp.name_id_formats else None
    return nameid.citizen_of(idp().store, sp, fmt, value)


def _session_indexes(root: etree._Element) -> list[str]:
    return [(e.text or "").strip() for e in root.findall(q(SAMLP, "SessionIndex"))]


def _end_sessions(
    sp: ServiceProvider, citizen_id: str, indexes: list[str]
) -> list[api.EndedSession]:
    """End the sessions named by ``indexes`` (or all in which ``sp`` took part)."""
    s = idp()
    if indexes:
        found = [participants.recall(s.store, index) for index in indexes]
        session_ids = [
            p.session_id
            for p in found
            if p is not None and p.sp_id == sp.id and p.citizen_id == citizen_id
        ]
    else:
        session_ids = [
            sid
            for sid in api.sessions_of(citizen_id)
            if participants.recall(s.store, _index(sid, sp)) is not None
        ]
    ended = []
    for session_id in dict.fromkeys(session_ids):
        done = api.end_session(session_id, request.remote_addr or "unknown")
        if done is not None:
            ended.append(done)
    audit.record(
        AuditEvent.SAML_LOGOUT,
        now=s.clock.now(),
        citizen_id=citizen_id,
        client_address=request.remote_addr,
        sp=sp.entity_id,
        sessions=len(ended),
    )
    db.session.commit()
    return ended


def _index(session_id: str, sp: ServiceProvider) -> str:
    return participants.session_index(idp().settings.secret_key, session_id, sp.entity_id)


def _others(
    initiator: ServiceProvider | None, ended: list[api.EndedSession]
) -> tuple[list[dict[str, str]], bool]:
    """The SAML SPs of the ended sessions but the initiator, each with what it received from
    us, and whether one of them cannot be informed (then the logout is partial)."""
    todo: list[dict[str, str]] = []
    partial = False
    skip = SAML_CLIENT + initiator.entity_id if initiator is not None else None
    for session in ended:
        for client in session.clients:
            if not client.startswith(SAML_CLIENT) or client == skip:
                continue
            other = sp_by_entity_id(client.removeprefix(SAML_CLIENT))
            index = _index(session.session_id, other) if other is not None else ""
            found = participants.recall(idp().store, index)
            if found is None:
                partial = True
                continue
            todo.append(asdict(found) | {"index": index})
    return todo, partial


def proceed(chain: Chain) -> ResponseReturnValue:
    """Send the browser to the next SP still to be informed, else finish: answer the
    initiating SP, or (started at the hub) land."""
    s = idp()
    while chain.todo:
        participation = chain.todo.pop(0)
        other = sp_by_id(participation["sp_id"])
        metadata = _metadata(other) if other is not None and other.enabled else None
        preferred = _BINDINGS[chain.binding]  # the initiator's binding, else the SP's own
        endpoint = slo_endpoint(metadata, preferred) if metadata is not None else None
        if other is None or endpoint is None:
            chain.partial = True
            continue
        message = messages.logout_request(
            s.entity_id,
            endpoint.location,
            s.clock.now(),
            (participation["name_id_format"], participation["name_id"]),
            s.entity_id,
            other.entity_id,
            participation["index"],
        )
        chain.waiting_for = other.id
        chain.sent_by = "post" if endpoint.binding == BINDING_POST else "redirect"
        s.store.set(_CHAIN_KEY + (message.get("ID") or ""), dumps(asdict(chain)), CHAIN_TTL)
        return bindings.send(s.xml, endpoint, "SAMLRequest", message, None, response=False)
    return _finish(chain)


def _metadata(sp: ServiceProvider) -> SpMetadata | None:
    try:
        return registry.metadata_of(sp)
    except MetadataRefused:  # expired while the chain ran
        return None


def _finish(chain: Chain) -> ResponseReturnValue:
    if chain.landing is not None:
        return _land(chain.landing, chain.partial)
    initiator = sp_by_id(chain.initiator)
    metadata = _metadata(initiator) if initiator is not None else None
    endpoint = slo_endpoint(metadata, _BINDINGS[chain.binding]) if metadata else None
    if initiator is None or endpoint is None:  # removed while the chain ran
        return refused_page("initiator-gone", _("Sie sind abgemeldet."), status=200)
    sub_status = PARTIAL_LOGOUT if chain.partial else None
    return _answer(chain, initiator, endpoint, SUCCESS, sub_status)


def _land(landing: str, partial: bool) -> ResponseReturnValue:
    """The end of a logout the hub started: on to where that logout lands. An SP that could not
    be told is said on the hub's own pages (an RP's page is not ours to write on)."""
    if partial:
        log.info("saml front-channel logout partial")
        if landing.startswith("/") and not landing.startswith("//"):
            flash(
                _(
                    "Nicht jeder Dienst hat die Abmeldung bestätigt. "
                    "Bitte schließen Sie den Browser."
                ),
                "error",
            )
    return redirect(landing, 303)


def _answer(
    chain: Chain,
    sp: ServiceProvider,
    endpoint: Endpoint,
    status: str,
    sub_status: str | None,
) -> ResponseReturnValue:
    """The LogoutResponse to the initiator's registered SLO endpoint (SAML Core §3.7.2)."""
    s = idp()
    url = endpoint.response_location or endpoint.location
    message = messages.logout_response(
        s.entity_id, url, chain.reply_to, s.clock.now(), status, sub_status
    )
    return bindings.send(s.xml, endpoint, "SAMLResponse", message, chain.relay_state, response=True)


# --- a LogoutResponse from an SP we informed ------------------------------------------------


def _logout_response(message: Incoming, sp: ServiceProvider) -> ResponseReturnValue:
    key = _CHAIN_KEY + (message.root.get("InResponseTo") or "")
    data = loads(idp().store.get(key))
    if not isinstance(data, dict) or data.get("waiting_for") != sp.id:
        raise Refused("unexpected-logout-response")
    if idp().store.take(key) is None:
        raise Refused("unexpected-logout-response")  # a concurrent copy was first
    chain = Chain(**data)
    code = message.root.find(f"{q(SAMLP, 'Status')}/{q(SAMLP, 'StatusCode')}")
    if code is None or code.get("Value") != SUCCESS:
        chain.partial = True
    in_our_form = chain.sent_by == "post" and message.binding == "redirect"
    chain.waiting_for = chain.sent_by = None
    onward = proceed(chain)
    return by_page(onward) if in_our_form else onward


# --- leaving the hub inside a form submission ---------------------------------------------------


def by_page(answer: ResponseReturnValue) -> ResponseReturnValue:
    """A redirect off the hub becomes the hub's own page that moves on at once by the
    ``Refresh`` header (no JavaScript needed; a new navigation, not the form's) and shows the
    same URL as a link. Redirects on the hub and every other answer stay as they are."""
    if not isinstance(answer, WerkzeugResponse) or answer.status_code not in (302, 303):
        return answer
    target = answer.headers["Location"]
    if _on_the_hub(target):
        return answer  # form-action 'self' allows it
    page = make_response(render_template("saml/onward.html", url=target))
    page.headers["Refresh"] = f"0; url={target}"  # HTML Standard: the Refresh header
    return page


def _on_the_hub(url: str) -> bool:
    parts, hub = urlsplit(url), urlsplit(idp().settings.base_url)
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and not url.startswith("//")
    return (parts.scheme, parts.netloc) == (hub.scheme, hub.netloc)
