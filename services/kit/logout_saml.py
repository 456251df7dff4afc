"""Single logout of a SAML service with the hub (SAML Profiles §4.4, HTTP-Redirect binding),
with python3-saml.

* SP-initiated: the local session ends at once; the browser takes a signed LogoutRequest with
  the NameID and SessionIndex of the login (SAML Core §3.7.1) to the hub's SLO endpoint (from
  its metadata). The hub's LogoutResponse must be signed, be for that request (InResponseTo),
  come back with the RelayState this browser's session holds, and say Success.
* IdP-initiated: the hub ended its session (the citizen logged out there, or at another
  service) and sends the browser here with a signed LogoutRequest; it must be signed by the hub
  (over the raw query string), be addressed here, fresh (IssueInstant, NotOnOrAfter), seen
  once (its ID), and name our NameID. The local sessions of that NameID and SessionIndex end
  (:mod:`services.kit.local_sessions`; the browser's cookie is not needed) and the browser goes
  back with a signed LogoutResponse (§3.7.2), Success: after it, no session of that login is
  left here.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from flask import request, session
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from sqlalchemy.exc import IntegrityError

from services.kit import local_sessions
from services.kit.login_saml import saml
from services.kit.models import UsedAssertion, db, now
from services.kit.visitor import Channel, Visitor

PENDING = "saml_logout"
#: How old (IssueInstant) a LogoutRequest of the hub may be, and the clock skew allowed.
MAX_AGE = datetime.timedelta(minutes=5)
SKEW = datetime.timedelta(minutes=1)


class LogoutRefused(Exception):  # noqa: N818
    pass


def start(visitor: Visitor) -> str:
    """The hub's SLO URL with our signed LogoutRequest (HTTP-Redirect)."""
    auth = saml().auth(visitor.channel)
    relay = secrets.token_urlsafe(16)
    hub = visitor.hub
    url = str(
        auth.logout(
            return_to=relay,
            name_id=visitor.subject,
            session_index=hub.session or None,
            nq=hub.name_qualifier or None,
            name_id_format=hub.name_id_format or None,
            spnq=hub.sp_name_qualifier or None,
        )
    )
    session[PENDING] = {"id": auth.get_last_request_id(), "relay": relay, "ch": visitor.channel}
    return url


def finish(channel: Channel) -> None:
    """The hub's LogoutResponse to our request; raises LogoutRefused unless all is in order."""
    pending = session.pop(PENDING, None)
    if not isinstance(pending, dict) or pending.get("ch") != channel:
        raise LogoutRefused("no logout pending in this browser")
    relay = request.args.get("RelayState", "")
    if not relay or not hmac.compare_digest(relay, str(pending.get("relay", ""))):
        raise LogoutRefused("RelayState differs")
    auth = saml().auth(channel)
    try:
        auth.process_slo(keep_local_session=True, request_id=pending["id"])
    except Exception as exc:  # undecodable message
        raise LogoutRefused(type(exc).__name__) from None
    if auth.get_errors():
        raise LogoutRefused(str(auth.get_last_error_reason() or auth.get_errors()))


def answer(channel: Channel) -> str:
    """End the local sessions the hub's LogoutRequest names; the URL of our LogoutResponse."""
    login = saml()
    auth = login.auth(channel)
    try:
        url = auth.process_slo(keep_local_session=True)
    except Exception as exc:  # undecodable message
        raise LogoutRefused(type(exc).__name__) from None
    if auth.get_errors() or not url:
        raise LogoutRefused(str(auth.get_last_error_reason() or auth.get_errors()))
    xml = auth.get_last_request_xml()
    try:
        name_id = OneLogin_Saml2_Logout_Request.get_nameid_data(xml)
    except Exception:  # no NameID (an EncryptedID this hub does not send)
        raise LogoutRefused("no NameID") from None
    if name_id.get("SPNameQualifier", login.entity_id(channel)) != login.entity_id(channel):
        raise LogoutRefused("NameID of another SP")
    _fresh_and_once(xml)
    indexes = OneLogin_Saml2_Logout_Request.get_session_indexes(xml)
    local_sessions.end(channel, str(name_id["Value"]), [str(i) for i in indexes])
    return str(url)


def _fresh_and_once(xml: str) -> None:
    """python3-saml checks NotOnOrAfter but neither IssueInstant nor replay (DESIGN.md)."""
    root = OneLogin_Saml2_XML.to_etree(xml)
    try:
        issued = datetime.datetime.fromtimestamp(
            OneLogin_Saml2_Utils.parse_SAML_to_time(root.get("IssueInstant", "")), datetime.UTC
        )
    except (TypeError, ValueError):
        raise LogoutRefused("IssueInstant") from None
    moment = now()
    if issued > moment + SKEW or issued < moment - MAX_AGE - SKEW:
        raise LogoutRefused("IssueInstant not fresh")
    digest = hashlib.sha256(str(root.get("ID", "")).encode()).hexdigest()
    try:
        db.session.add(UsedAssertion(id="slo:" + digest, expires_at=moment + MAX_AGE + 2 * SKEW))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LogoutRefused("LogoutRequest replayed") from None
