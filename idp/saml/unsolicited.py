"""IdP-initiated ("unsolicited") Web Browser SSO (SAML Profiles §4.1.5), started the way
Shibboleth's Unsolicited SSO endpoint is started:

    GET /saml/unsolicited?providerId=<SP entityID>[&target=<RelayState>][&shire=<ACS URL>]

* ``providerId`` (required): the entityID of a registered, enabled SP whose administrator
  allowed IdP-initiated SSO (``allow_idp_initiated``);
* ``shire`` (optional): the ACS to answer to — only one of the SP's registered
  AssertionConsumerService endpoints; without it the SP's default ACS (Profiles §4.1.5,
  SAML Metadata §2.2.3);
* ``target`` (optional): sent as RelayState, at most 80 bytes (SAML Bindings §3.5.3), printable
  characters only; it is the SP's business what it means (usually a path there).

Anything else refuses with the error page (4xx), never a redirect: a missing, repeated or
unknown ``providerId``, an SP that is disabled or does not allow it, an unregistered ``shire``,
a bad ``target``. Then the citizen goes the way of an SP-initiated request
(:func:`idp.saml.sso.start`): login, step-up to the SP's minimum level, and a Response signed
(and encrypted) as configured for the SP — with no InResponseTo in the Response or in the
SubjectConfirmationData, as §4.1.5 demands, since no request was made.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from idp.saml import loa, registry, sso
from idp.saml.hardening import Refused
from idp.saml.models import ServiceProvider, sp_by_entity_id
from idp.saml.service import idp
from idp.saml.spmeta import MetadataRefused, SpMetadata

PROVIDER, ACS, TARGET = "providerId", "shire", "target"
#: SAML Bindings §3.5.3 (HTTP-POST, by which the Response goes): RelayState ≤ 80 bytes.
MAX_RELAY_STATE_BYTES = 80
_MAX_PARAMETER = 1024


def start() -> ResponseReturnValue:
    try:
        params = _parameters()
        sp, metadata = _provider(_single(params, PROVIDER))
        acs = _acs(metadata, _single(params, ACS))
        relay_state = _relay_state(_single(params, TARGET))
    except Refused as exc:
        return sso.refused_page(exc.reason, exc.message, exc.status)
    return sso.start(_pending(sp, acs, relay_state))


def _parameters() -> list[tuple[str, str]]:
    """The query, percent-decoded strictly as UTF-8 (werkzeug would keep bad octets as text)."""
    try:
        query = request.query_string.decode("ascii")
        return parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refused("bad-query") from None


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    """The parameter's one value (None when absent or empty); repeated → refused."""
    values = [value for key, value in params if key == name]
    if len(values) > 1:
        raise Refused("repeated-parameter")
    value = values[0] if values else ""
    if len(value) > _MAX_PARAMETER:
        raise Refused("parameter-too-long")
    return value or None


def _provider(entity_id: str | None) -> tuple[ServiceProvider, SpMetadata]:
    sp = sp_by_entity_id(entity_id) if entity_id else None
    if sp is None or not sp.enabled:
        raise Refused("unknown-sp", _("Dieser Dienst ist beim Bürgerportal nicht registriert."))
    if not sp.allow_idp_initiated:
        raise Refused("idp-initiated-not-allowed", sso.NOT_ALLOWED, 403)
    try:
        return sp, registry.metadata_of(sp)
    except MetadataRefused:
        raise Refused("sp-metadata-invalid") from None


def _acs(metadata: SpMetadata, shire: str | None) -> str:
    """The SP's default ACS, or ``shire`` when it is one of its registered ACS endpoints."""
    if shire is None:
        return metadata.default_acs().location
    if shire not in {endpoint.location for endpoint in metadata.acs}:
        raise Refused("unregistered-acs", _("Die Rücksprungadresse ist nicht registriert."))
    return shire


def _relay_state(target: str | None) -> str | None:
    if target is None:
        return None
    if not target.isprintable() or len(target.encode("utf-8")) > MAX_RELAY_STATE_BYTES:
        raise Refused("bad-relay-state", _("Das Sprungziel (target) ist ungültig."))
    return target


def _pending(sp: ServiceProvider, acs: str, relay_state: str | None) -> sso.Pending:
    """A request nobody sent: no ID, no wishes beyond the SP's own settings."""
    return sso.Pending(
        sp_id=sp.id,
        request_id=None,
        acs=acs,
        relay_state=relay_state,
        name_id_format=None,
        sp_name_qualifier=None,
        comparison=loa.NOTHING.comparison.value,
        ranks=[],
        eidas=False,
        force_authn=False,
        is_passive=False,
        started_at=idp().clock.now(),
        binding="redirect",
        unsolicited=True,
    )
