"""Single logout started at the hub, the identity provider itself being the requester (SAML
Profiles §4.4.3.2–§4.4.3.4 without an SP's request to answer): when the citizen logs out with
the hub's "Abmelden" button or through OpenID Connect RP-initiated logout, the SAML SPs of the
ended session are told over the front channel by the chain of :mod:`idp.saml.slo` — a signed
LogoutRequest with exactly the NameID and SessionIndex each SP received, by its registered SLO
binding, its signed LogoutResponse matched by InResponseTo — and the browser then lands where
that logout lands (a URL its initiator validated).

``account`` calls :func:`continuation` through its front-channel registry
(``account.api.on_front_channel_logout``, wired in ``wsgi.create_app``). It returns the hub's
own URL ``/saml/slo/abmelden/<handle>``: the chain is kept in the store (one use, ten minutes)
and the handle in the browser's session, so only the browser that logged out can walk it.
Sessions ended without a browser (elsewhere, expiry) have no front channel (docs/SAML.md).

The chain is started inside the redirects of a form submission (the "Abmelden" button, the
OpenID Connect logout confirmation), held to that page's ``form-action 'self'``: its first step
off the hub goes by :func:`idp.saml.slo.by_page`, or the chain would never start.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict

from flask import session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from account.api import EndedSession
from core.store.base import dumps, loads
from idp.saml import slo
from idp.saml.service import idp
from idp.saml.sso import SAML_CLIENT, refused_page

log = logging.getLogger("portal.saml")

_KEY = "saml-slo-start:"
_SESSION_KEY = "saml_logout"


def continuation(ended: EndedSession, landing: str) -> str | None:
    """Where the browser goes first after ``ended`` ended in it; None without SAML SPs."""
    if not any(client.startswith(SAML_CLIENT) for client in ended.clients):
        return None
    chain = slo.hub_chain(ended, landing)
    handle = secrets.token_urlsafe(32)
    idp().store.set(_KEY + handle, dumps(asdict(chain)), slo.CHAIN_TTL)
    session[_SESSION_KEY] = handle
    return url_for("saml.slo_from_hub", handle=handle)


def start(handle: str) -> ResponseReturnValue:
    """The browser that logged out sets off along the chain (once)."""
    mine = session.pop(_SESSION_KEY, None) == handle and len(handle) <= 64
    data = loads(idp().store.take(_KEY + handle)) if mine else None
    if not isinstance(data, dict):
        return refused_page(
            "no-pending-logout",
            _("Diese Abmeldung ist abgelaufen oder schon abgeschlossen. Sie sind abgemeldet."),
        )
    return slo.by_page(slo.proceed(slo.Chain(**data)))
