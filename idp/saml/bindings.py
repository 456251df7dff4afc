"""Sending SAML messages through the browser (SAML Bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST).

Incoming messages are decoded in :mod:`idp.saml.hardening`. Outgoing ones go only to endpoints
from the SP's registered metadata (the caller picks the endpoint); both bindings carry our
signature: detached over the query octets for HTTP-Redirect (§3.4.4.1), enveloped for HTTP-POST.
"""

from __future__ import annotations

import base64
import zlib
from urllib.parse import quote_plus, urlsplit

from flask import Response, make_response, redirect, render_template
from lxml import etree
from werkzeug.wrappers import Response as WerkzeugResponse

from certs.xmlsig import XmlSecurity
from idp.saml import assemble, keys
from idp.saml.spmeta import BINDING_POST, BINDING_REDIRECT, Endpoint


def send(
    xs: XmlSecurity,
    endpoint: Endpoint,
    field: str,
    message: etree._Element,
    relay_state: str | None,
    *,
    response: bool,
    purpose: str = "logout",
) -> WerkzeugResponse:
    """Sign ``message`` for the endpoint's binding and hand it to the browser. ``response``:
    a response goes to the endpoint's ResponseLocation where it has one (Metadata §2.2.2)."""
    url = (endpoint.response_location or endpoint.location) if response else endpoint.location
    if endpoint.binding == BINDING_REDIRECT:
        return redirect(redirect_url(xs, url, field, message, relay_state), 303)
    assert endpoint.binding == BINDING_POST
    assemble.sign(xs, message)
    xml = etree.tostring(message, xml_declaration=True, encoding="UTF-8")
    return post_form(url, field, xml, relay_state, purpose=purpose)


def redirect_url(
    xs: XmlSecurity, url: str, field: str, message: etree._Element, relay_state: str | None
) -> str:
    """The HTTP-Redirect URL: DEFLATE, base64, URL-encode; SigAlg and Signature over exactly the
    encoded octets ``field=…&RelayState=…&SigAlg=…`` (SAML Bindings §3.4.4.1)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = deflater.compress(etree.tostring(message, encoding="UTF-8")) + deflater.flush()
    parts = [f"{field}={quote_plus(base64.b64encode(raw).decode('ascii'))}"]
    if relay_state:
        parts.append(f"RelayState={quote_plus(relay_state)}")
    parts.append(f"SigAlg={quote_plus(assemble.SIGNATURE_ALGORITHM)}")
    octets = "&".join(parts).encode("ascii")
    signature = xs.sign_binary(keys.SIGNING, octets, assemble.SIGNATURE_ALGORITHM)
    query = octets.decode("ascii") + "&Signature=" + quote_plus(base64.b64encode(signature))
    return url + ("&" if urlsplit(url).query else "?") + query


def post_form(
    action: str,
    field: str,
    xml: bytes,
    relay_state: str | None,
    status: int = 200,
    *,
    purpose: str = "login",
) -> Response:
    """The HTTP-POST binding page (SAML Bindings §3.5.4): a form the citizen sends with one
    button (no JavaScript needed); the CSP allows exactly this one form target — and for a
    logout the hub itself: an SP may answer the LogoutRequest by HTTP-Redirect, and Chromium
    holds that redirect, part of this form's submission, to this page's form-action."""
    body = render_template(
        "saml/post.html",
        action=action,
        field=field,
        value=base64.b64encode(xml).decode("ascii"),
        relay_state=relay_state,
        purpose=purpose,
    )
    response = make_response(body, status)
    parts = urlsplit(action)
    hub = " 'self'" if purpose == "logout" else ""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"form-action {parts.scheme}://{parts.netloc}{hub}; frame-ancestors 'none'"
    )
    return response
