"""Logout endpoints: the citizen's (or clerk's) logout here, which continues at the hub, and the
hub's word that its session ended (OIDC back-channel, SAML LogoutRequest)."""

from __future__ import annotations

import logging

from flask import (
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from services.kit import context, local_sessions, logout_oidc, logout_saml
from services.kit.blueprint import bp
from services.kit.i18n import _
from services.kit.login_views import _channel
from services.kit.session import regenerate, session_id
from services.kit.visitor import Channel, Visitor, current

log = logging.getLogger("service.logout")


@bp.post("/abmelden")
def logout() -> ResponseReturnValue:
    """End the local session at once, then the hub's (RP-Initiated Logout / SP-initiated SLO)."""
    first: Channel = "clerk" if request.form.get("bereich") == "verwaltung" else "citizen"
    second: Channel = "citizen" if first == "clerk" else "clerk"
    visitor = current(first) or current(second)
    local_sessions.forget_browser(session_id(session))
    session.clear()
    regenerate(session)
    url = _at_the_hub(visitor) if visitor is not None else None
    if url is None:
        flash(_("Sie sind bei diesem Dienst abgemeldet."), "success")
        return redirect(url_for("kit.index"), 303)
    return _onward(url)


def _onward(url: str) -> ResponseReturnValue:
    """To the hub by a page of ours that moves on by itself (the ``Refresh`` header, no
    JavaScript), not by a redirect: Chromium holds every redirect after a form submission to
    the form page's CSP ``form-action`` (w3c/webappsec-csp#8), and the hub's logout goes on to
    other services' origins. A new navigation from this page is not the form's."""
    page = make_response(render_template("kit/leaving.html", url=url))
    page.headers["Refresh"] = f"0; url={url}"  # HTML Standard: the Refresh header
    return page


def _at_the_hub(visitor: Visitor) -> str | None:
    """Where the browser continues the logout; None when the hub cannot be reached for it."""
    try:
        if context.service().protocol == "oidc":
            return logout_oidc.end_session_url(context.oauth(), visitor, context.config())
        return logout_saml.start(visitor)
    except Exception as exc:  # the hub's discovery document or metadata unreachable
        log.warning("logout at the hub not started: %s", type(exc).__name__)
        return None


def _logged_out(confirmed: bool) -> ResponseReturnValue:
    if confirmed:
        return render_template(
            "kit/logged_out.html",
            message=_("Sie sind bei diesem Dienst und im Bürgerportal abgemeldet."),
        )
    message = _(
        "Die Abmeldung im Bürgerportal ließ sich nicht bestätigen. Bei diesem Dienst sind Sie "
        "abgemeldet; melden Sie sich im Bürgerportal bitte selbst ab, wenn Sie dort noch "
        "angemeldet sind."
    )
    return render_template("kit/logged_out.html", message=message), 400


@bp.get("/abgemeldet")
def oidc_logged_out() -> ResponseReturnValue:
    """The registered post_logout_redirect_uri (RP-Initiated Logout 1.0 §3)."""
    confirmed = logout_oidc.returned_in_order()
    if not confirmed:
        log.info("post-logout return without the expected state")
    return _logged_out(confirmed)


def _backchannel_answer(status: int, error: str = "", description: str = "") -> Response:
    """§2.8: 200 when logged out, 400 (``invalid_request``) when not; never cached."""
    response = jsonify(error=error, error_description=description) if error else Response()
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oidc/backchannel-logout/<channel>")
def backchannel_logout(channel: str) -> ResponseReturnValue:
    """OpenID Connect Back-Channel Logout 1.0 §2.5 (csrf-exempt: the hub posts, no browser)."""
    chosen = _channel(channel)
    token = request.form.get("logout_token", "")
    try:
        claims = logout_oidc.verify_logout_token(token, context.oauth(), chosen)
    except logout_oidc.HubUnavailable:
        return _backchannel_answer(503, "temporarily_unavailable", "the hub's keys are away")
    except logout_oidc.LogoutTokenRefused as exc:
        log.info("logout token refused: %s", exc)
        return _backchannel_answer(400, "invalid_request", "the logout token is not valid")
    sid = claims.get("sid")
    local_sessions.end(chosen, claims.get("sub"), [sid] if sid else [])
    return _backchannel_answer(200)


def _slo(channel: Channel) -> ResponseReturnValue:
    if "SAMLResponse" in request.args:
        try:
            logout_saml.finish(channel)
        except logout_saml.LogoutRefused as exc:
            log.info("logout response refused: %s", str(exc)[:200])
            return _logged_out(False)
        return _logged_out(True)
    try:
        url = logout_saml.answer(channel)
    except logout_saml.LogoutRefused as exc:
        log.info("logout request refused: %s", str(exc)[:200])
        message = _("Diese Abmeldeanfrage ist ungültig; es wurde nichts geändert.")
        return render_template("kit/error.html", message=message), 400
    return redirect(url, 303)


@bp.get("/saml/slo")
def saml_slo() -> ResponseReturnValue:
    return _slo("citizen")


@bp.get("/verwaltung/saml/slo")
def clerk_saml_slo() -> ResponseReturnValue:
    return _slo("clerk")
