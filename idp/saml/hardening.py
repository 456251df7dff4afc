"""Everything an incoming SAML message passes before any SAML code (ours or pysaml2's) sees it.

* size cap on the encoded parameter and on the decoded document;
* HTTP-Redirect: bounded raw-DEFLATE inflate (a deflate bomb stops at the cap), nothing may
  follow the compressed stream (SAML Bindings §3.4.4.1);
* strict base64;
* no DOCTYPE, entities or processing instructions (:mod:`core.safexml`);
* RelayState at most 80 bytes (SAML Bindings §3.4.3, §3.5.3); it is only ever echoed back to
  the SP's registered endpoint, never used as a redirect target;
* the detached Redirect signature is verified over the octets as they arrived (§3.4.4.1);
* IssueInstant within the allowed window, and the request ID remembered in the key-value store
  so a replayed request is refused (checked in :func:`remember_request`).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from lxml import etree

from certs.xmlsig import XmlSecurity, XmlSecurityError
from core import safexml
from core.store.base import KeyValueStore

MAX_RELAY_STATE = 80
_REPLAY_KEY = "saml-request:"


class Refused(Exception):  # noqa: N818
    """An incoming message is refused; ``reason`` is a short English code for logs and tests,
    ``message`` what the citizen reads (German msgid), ``status`` the HTTP status of the page."""

    def __init__(self, reason: str, message: object | None = None, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Incoming:
    root: etree._Element
    xml: bytes
    relay_state: str | None
    binding: str
    #: For HTTP-Redirect: the signed octets, SigAlg and the signature (None when unsigned).
    signed_octets: bytes | None = None
    sig_alg: str | None = None
    signature: bytes | None = None


def _b64(value: str, limit: int) -> bytes:
    if len(value) > limit * 4 // 3 + 8:
        raise Refused("too-large")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("bad-base64") from None


def bounded_inflate(data: bytes, limit: int) -> bytes:
    """Raw DEFLATE (RFC 1951) inflate that stops at ``limit`` bytes."""
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise Refused("bad-deflate") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise Refused("too-large")
    if not inflater.eof or inflater.unused_data:
        raise Refused("bad-deflate")
    return out


def _relay_state(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value.encode("utf-8")) > MAX_RELAY_STATE:
        raise Refused("relay-state-too-long")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise Refused("relay-state-invalid")
    return value


def _parse(xml: bytes, limit: int) -> etree._Element:
    try:
        return safexml.parse(xml, limit)
    except safexml.UnsafeXml as exc:
        raise Refused("unsafe-xml", str(exc)) from None


def _raw_params(query_string: bytes) -> dict[str, str]:
    """The query parameters *as sent* (still URL-encoded) — the Redirect signature covers the
    encoded octets, and re-encoding could differ (SAML Bindings §3.4.4.1)."""
    raw: dict[str, str] = {}
    for part in query_string.decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name in raw:
            raise Refused("duplicate-parameter")
        raw[name] = value
    return raw


def from_redirect(query_string: bytes, message_param: str, limit: int) -> Incoming:
    """HTTP-Redirect binding: ``SAMLRequest`` or ``SAMLResponse`` from the raw query string."""
    if len(query_string) > limit * 2:
        raise Refused("too-large")
    raw = _raw_params(query_string)
    encoded = raw.get(message_param)
    if not encoded:
        raise Refused("no-message")
    xml = bounded_inflate(_b64(unquote_plus(encoded), limit * 2), limit)
    relay = raw.get("RelayState")
    relay_state = _relay_state(unquote_plus(relay) if relay is not None else None)
    sig_alg = raw.get("SigAlg")
    signature = raw.get("Signature")
    signed = None
    if sig_alg is not None or signature is not None:
        if not sig_alg or not signature:
            raise Refused("incomplete-signature")
        parts = [f"{message_param}={encoded}"]
        if relay is not None:
            parts.append(f"RelayState={relay}")
        parts.append(f"SigAlg={sig_alg}")
        signed = "&".join(parts).encode("latin-1")
    return Incoming(
        root=_parse(xml, limit),
        xml=xml,
        relay_state=relay_state,
        binding="redirect",
        signed_octets=signed,
        sig_alg=unquote_plus(sig_alg) if sig_alg else None,
        signature=_b64(unquote_plus(signature), 4096) if signature else None,
    )


def from_post(form_value: str | None, relay_state: str | None, limit: int) -> Incoming:
    """HTTP-POST binding: base64 of the XML, no compression (SAML Bindings §3.5.4)."""
    if not form_value:
        raise Refused("no-message")
    xml = _b64(form_value, limit)
    if len(xml) > limit:
        raise Refused("too-large")
    return Incoming(
        root=_parse(xml, limit), xml=xml, relay_state=_relay_state(relay_state), binding="post"
    )


def verify_signature(
    xs: XmlSecurity, message: Incoming, certificates: tuple[bytes, ...], *, required: bool
) -> bool:
    """True when the message is signed by one of ``certificates``; a bad signature is always
    refused, a missing one only when ``required``."""
    if message.binding == "redirect":
        signed = message.signed_octets is not None
        if signed:
            assert message.signed_octets and message.signature and message.sig_alg
            _try_all(
                lambda c: xs.verify_binary(
                    c, message.signed_octets or b"", message.signature or b"", message.sig_alg or ""
                ),
                certificates,
            )
    else:
        signed = message.root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
        if signed:
            _try_all(
                lambda c: xs.verify(message.root, message.root.get("ID") or "", c), certificates
            )
    if required and not signed:
        raise Refused("unsigned")
    return signed


def _try_all(check: object, certificates: tuple[bytes, ...]) -> None:
    assert callable(check)
    for certificate in certificates:
        try:
            check(certificate)
            return
        except XmlSecurityError:
            continue
    raise Refused("bad-signature")


def instant_of(value: str) -> float:
    """An xs:dateTime (SAML Core §1.3.3: UTC) as a timestamp; Refused when malformed."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused("bad-instant") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def check_instant(issue_instant: str | None, now: float, max_age: int, skew: int) -> None:
    if not issue_instant:
        raise Refused("no-issue-instant")
    ts = instant_of(issue_instant)
    if ts > now + skew:
        raise Refused("issued-in-future")
    if ts < now - max_age - skew:
        raise Refused("too-old")


def remember_request(store: KeyValueStore, issuer: str, request_id: str, ttl: int) -> None:
    """Atomically remember the request ID; a second use is a replay (SAML Profiles §4.1.4.5)."""
    if not request_id or len(request_id) > 256:
        raise Refused("bad-id")
    if not store.add(_REPLAY_KEY + issuer + "|" + request_id, b"1", ttl):
        raise Refused("replayed")
