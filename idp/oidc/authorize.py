"""The authorization endpoint (OIDC Core §3.1.2) and the pages behind it: login, level of
assurance, consent. The checked request waits in the store under a random id while the citizen
logs in or decides, so nothing of it rides in URLs beyond that id."""

from __future__ import annotations

from flask import Response, current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from account import api
from account.attributes import BY_NAME
from account.identity import Identity, Level
from core import audit
from core.audit import AuditEvent
from core.db import db
from idp.oidc import consent, grants, registry
from idp.oidc.blueprint import bp
from idp.oidc.config import oidc
from idp.oidc.forms import ConfirmForm
from idp.oidc.grants import CodeGrant, Grant
from idp.oidc.models import OidcClient
from idp.oidc.request import (
    AuthorizeError,
    AuthRequest,
    RedirectRefused,
    minimum_level,
    parse,
    target,
)
from idp.oidc.responses import error_page, error_to_client, to_client
from idp.oidc.scopes import attributes_for_claims, attributes_for_scopes


@bp.route("/oidc/authorize", methods=["GET", "POST"])
def authorize() -> ResponseReturnValue:
    """GET and POST (OIDC Core §3.1.2.1); the POST form carries no CSRF token by design."""
    params: MultiDict[str, str] = request.args if request.method == "GET" else request.form
    try:
        client, where = target(params)
    except RedirectRefused as exc:
        return error_page(str(exc))
    try:
        locales = tuple(current_app.config.get("PORTAL_LOCALES", ("de",)))
        auth_request = parse(params, client, where, oidc().now(), locales)
    except AuthorizeError as exc:
        return error_to_client(where, exc.error, exc.description)
    auth_request.save(oidc().store)
    return _proceed(auth_request, client)


@bp.get("/oidc/authorize/<request_id>")
def resume(request_id: str) -> ResponseReturnValue:
    """Back from the login page (or reloaded): the same checks once more."""
    loaded = _load(request_id)
    if isinstance(loaded, tuple):
        return _proceed(*loaded)
    return loaded


@bp.post("/oidc/authorize/<request_id>/zustimmung")
def decide(request_id: str) -> ResponseReturnValue:
    """The consent form's answer (CSRF-protected like every form of the hub)."""
    loaded = _load(request_id)
    if not isinstance(loaded, tuple):
        return loaded
    auth_request, client = loaded
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(_resume_url(auth_request), 303)
    if request.form.get("decision") != "allow":
        auth_request.discard(oidc().store)
        return error_to_client(auth_request.target, "access_denied", "the citizen declined")
    identity = api.current_identity()
    if identity is not None and not _needs_login(auth_request, identity):
        consent.grant(
            identity.citizen_id,
            client.client_id,
            auth_request.scopes,
            released(client, auth_request),
        )
        auth_request.prompt = [p for p in auth_request.prompt if p != "consent"]
        auth_request.save(oidc().store)
    return _proceed(auth_request, client)


@bp.get("/oidc/authorize/<request_id>/abbrechen")
def cancel(request_id: str) -> ResponseReturnValue:
    """Back to the service without a login (the level it asks for is out of reach)."""
    loaded = _load(request_id)
    if not isinstance(loaded, tuple):
        return loaded
    auth_request, _client = loaded
    auth_request.discard(oidc().store)
    return error_to_client(
        auth_request.target,
        "unmet_authentication_requirements",
        "the requested level of assurance cannot be reached",
    )


def _expired() -> Response:
    return make_response(render_template("oidc/expired.html"), 410)


def _load(request_id: str) -> tuple[AuthRequest, OidcClient] | WerkzeugResponse:
    auth_request = AuthRequest.load(oidc().store, request_id)
    if auth_request is None:
        return _expired()
    client = registry.get_enabled(auth_request.client_id)
    if client is None or auth_request.target.redirect_uri not in client.redirect_uris:
        return error_page("client changed")
    return auth_request, client


def _needs_login(auth_request: AuthRequest, identity: Identity | None) -> bool:
    """No login, or one that is too old for ``prompt=login`` / ``max_age`` (OIDC Core §3.1.2.1)."""
    if identity is None:
        return True
    fresh = identity.auth_time >= auth_request.created_at
    if "login" in auth_request.prompt and not fresh:
        return True
    max_age = auth_request.max_age
    return max_age is not None and not fresh and oidc().now() - identity.auth_time > max_age


def released(client: OidcClient, auth_request: AuthRequest) -> set[str]:
    """Attributes asked for (scopes and ``claims``) that the client's release list allows."""
    asked = attributes_for_scopes(auth_request.scopes)
    asked |= attributes_for_claims(auth_request.claims["userinfo"])
    asked |= attributes_for_claims(auth_request.claims["id_token"])
    return asked & set(client.release)


def _proceed(auth_request: AuthRequest, client: OidcClient) -> ResponseReturnValue:
    identity = api.current_identity()
    silent = "none" in auth_request.prompt
    required = minimum_level(client, auth_request)
    if identity is None or _needs_login(auth_request, identity):
        if silent:
            return _fail(auth_request, "login_required", "the citizen is not logged in")
        card = _card_login(auth_request) if required is not Level.LOW else None
        login = card or api.login_url(
            _resume_url(auth_request),
            force=identity is not None,
            login_hint=auth_request.login_hint,
            locale=auth_request.ui_locale,
        )
        return redirect(login, 303)
    if not identity.level.at_least(required):
        if silent:
            return _fail(
                auth_request, "unmet_authentication_requirements", "level of assurance too low"
            )
        step_up = api.step_up_url(
            identity,
            required,
            auth_request.created_at,
            _resume_url(auth_request),
            url_for("oidc.cancel", request_id=auth_request.id),
            auth_request.ui_locale,
        )
        if step_up:
            return redirect(step_up, 303)
        return _level_page(auth_request, client, identity, required.value)
    attributes = released(client, auth_request)
    asked = "consent" in auth_request.prompt
    if asked or not consent.covers(client, identity.citizen_id, auth_request.scopes, attributes):
        if silent:
            return _fail(auth_request, "consent_required", "consent is needed")
        return _consent_page(auth_request, client, identity, attributes)
    return _issue(auth_request, client, identity, attributes)


def _card_login(auth_request: AuthRequest) -> str | None:
    """The login with the Online-Ausweis (no session yet, a level above low needed), back into
    this request afterwards; its cancel link answers the client
    ``unmet_authentication_requirements``. A session below the level is stepped up by
    ``api.step_up_url`` instead (the code from the app or the card, as ``account`` decides).
    The ``acr`` of the answer is the level actually reached (``idp/oidc/tokens.py``)."""
    return api.card_login_url(
        _resume_url(auth_request),
        url_for("oidc.cancel", request_id=auth_request.id),
        auth_request.ui_locale,
    )


def _fail(auth_request: AuthRequest, error: str, description: str) -> ResponseReturnValue:
    auth_request.discard(oidc().store)
    return error_to_client(auth_request.target, error, description)


def _resume_url(auth_request: AuthRequest) -> str:
    url = url_for("oidc.resume", request_id=auth_request.id)
    return url + (f"?lang={auth_request.ui_locale}" if auth_request.ui_locale else "")


def _issue(
    auth_request: AuthRequest, client: OidcClient, identity: Identity, attributes: set[str]
) -> ResponseReturnValue:
    """The authorization response with a fresh code (RFC 6749 §4.1.2)."""
    if not auth_request.discard(oidc().store):
        return _expired()  # a concurrent tab was first
    grant = Grant(
        client_id=client.client_id,
        citizen_id=identity.citizen_id,
        session_id=identity.session_id,
        scopes=auth_request.scopes,
        attributes=sorted(attributes),
        claims=auth_request.claims,
        auth_time=identity.auth_time,
        level=identity.level.value,
        amr=identity.amr,
    )
    code = grants.issue_code(
        CodeGrant(
            grant, auth_request.target.redirect_uri, auth_request.code_challenge, auth_request.nonce
        )
    )
    api.record_client(identity.session_id, client.client_id)
    audit.record(
        AuditEvent.OIDC_LOGIN,
        now=oidc().now(),
        citizen_id=identity.citizen_id,
        client_address=request.remote_addr,
        client_id=client.client_id,
    )
    db.session.commit()
    return to_client(auth_request.target, {"code": code})


def _consent_page(
    auth_request: AuthRequest, client: OidcClient, identity: Identity, attributes: set[str]
) -> ResponseReturnValue:
    rows = [
        (BY_NAME[name].label, identity.attributes.get(name))
        for name in BY_NAME
        if name in attributes
    ]
    return render_template(
        "oidc/consent.html",
        client=client,
        rows=rows,
        form=ConfirmForm(),
        action=url_for("oidc.decide", request_id=auth_request.id),
    )


def _level_page(
    auth_request: AuthRequest, client: OidcClient, identity: Identity, required: str
) -> ResponseReturnValue:
    return render_template(
        "oidc/level.html",
        client=client,
        required=required,
        current=identity.level.value,
        cancel=url_for("oidc.cancel", request_id=auth_request.id),
    ), 403
