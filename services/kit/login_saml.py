"""Login over SAML 2.0 Web Browser SSO with python3-saml (OneLogin), configured only from the
hub's metadata URL and this service's own SP key and certificate.

The key pair (RSA-3072, BSI TR-02102) is generated at first start into the service's var dir
and never committed. Two SP entities share it: the citizen SP and the back-office SP (whose
clerks may arrive with a lower level than the service asks of citizens). The minimum level goes
out as RequestedAuthnContext Comparison="minimum" (SAML Core §3.3.2.2.1); the AuthnContext and
the level attribute of the answer are checked again here.

python3-saml leaves replay protection and RelayState validation to its caller (DESIGN.md field
notes): the request ID is kept in the server-side session and must match InResponseTo, the
RelayState must be the one handle we sent, and every accepted assertion ID is stored until it
expires, so the same assertion is refused a second time.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, current_app, request, session
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from sqlalchemy.exc import IntegrityError

from services.kit import attributes
from services.kit.attributes import BY_SAML_NAME, PROVENANCE_NS, STORK
from services.kit.config import ServiceConfig
from services.kit.models import UsedAssertion, db, now
from services.kit.visitor import Channel, HubSession, Value, Visitor

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
PATHS = {"citizen": "", "clerk": "/verwaltung"}
_REQUEST = "saml_request"


class LoginRefused(Exception):  # noqa: N818
    pass


@dataclass(frozen=True)
class SpKeys:
    key_pem: str
    cert_pem: str

    @property
    def cert_b64(self) -> str:
        return "".join(
            line for line in self.cert_pem.strip().splitlines() if not line.startswith("-----")
        )


def sp_keys(var_dir: Path, common_name: str) -> SpKeys:
    """The SP key pair from ``var_dir/saml``; created (0600) on first start."""
    folder = var_dir / "saml"
    key_path, cert_path = folder / "sp-key.pem", folder / "sp-cert.pem"
    if not key_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
        start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3 * 365))
            .sign(key, hashes.SHA256())
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_path.touch(mode=0o600)
        key_path.write_bytes(pem)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SpKeys(key_path.read_text(), cert_path.read_text())


class SamlLogin:
    def __init__(self, config: ServiceConfig, keys: SpKeys, level: str) -> None:
        self.config = config
        self.keys = keys
        self.level = level
        self._idp: dict[str, Any] | None = None

    def entity_id(self, channel: Channel) -> str:
        return self.config.base_url + PATHS[channel] + "/saml/metadata"

    def acs_url(self, channel: Channel) -> str:
        return self.config.base_url + PATHS[channel] + "/saml/acs"

    def slo_url(self, channel: Channel) -> str:
        return self.config.base_url + PATHS[channel] + "/saml/slo"

    def _idp_settings(self) -> dict[str, Any]:
        """The hub's metadata, fetched on first use (the service may start before the hub)."""
        if self._idp is None:
            url = self.config.hub_url.rstrip("/") + "/saml/metadata"
            parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(
                url, timeout=10, required_sso_binding=C.BINDING_HTTP_REDIRECT
            )
            self._idp = parsed["idp"]
        return self._idp

    def settings(self, channel: Channel, with_idp: bool = True) -> dict[str, Any]:
        level = self.level if channel == "citizen" else "low"
        data: dict[str, Any] = {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": self.entity_id(channel),
                "assertionConsumerService": {
                    "url": self.acs_url(channel),
                    "binding": C.BINDING_HTTP_POST,
                },
                "singleLogoutService": {
                    "url": self.slo_url(channel),
                    "binding": C.BINDING_HTTP_REDIRECT,
                },
                "NameIDFormat": PERSISTENT,
                "x509cert": self.keys.cert_b64,
                "privateKey": self.keys.key_pem,
            },
            "security": {
                "authnRequestsSigned": True,
                "logoutRequestSigned": True,
                "logoutResponseSigned": True,
                "wantMessagesSigned": True,
                "wantAssertionsSigned": True,
                "wantNameId": True,
                "signatureAlgorithm": C.RSA_SHA256,
                "digestAlgorithm": C.SHA256,
                "requestedAuthnContext": [STORK[level]],
                "requestedAuthnContextComparison": "minimum",
                "rejectDeprecatedAlgorithm": True,
                "wantXMLValidation": True,
                # the hub refuses expired metadata; python3-saml's default is two days
                "metadataValidUntil": now() + datetime.timedelta(days=365),
            },
        }
        if with_idp:
            data["idp"] = self._idp_settings()
        return data

    def metadata(self, channel: Channel) -> str:
        settings = OneLogin_Saml2_Settings(self.settings(channel, False), sp_validation_only=True)
        xml = settings.get_sp_metadata()
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def auth(self, channel: Channel) -> OneLogin_Saml2_Auth:
        """python3-saml on this request; a signed HTTP-Redirect message is checked over the raw
        query string as received (SAML Bindings §3.4.4.1), not one python3-saml re-encodes."""
        parts = urlsplit(self.config.base_url)
        data = {
            "https": "on" if parts.scheme == "https" else "off",
            "http_host": parts.netloc,
            "script_name": request.path,
            "get_data": request.args.to_dict(),
            "post_data": request.form.to_dict(),
            "query_string": request.query_string.decode("latin-1"),
            "validate_signature_from_qs": True,
        }
        return OneLogin_Saml2_Auth(data, self.settings(channel))

    def start(self, channel: Channel) -> str:
        """The hub's SSO URL with a signed AuthnRequest (HTTP-Redirect binding)."""
        auth = self.auth(channel)
        relay = secrets.token_urlsafe(16)
        url = str(auth.login(return_to=relay))
        session[_REQUEST] = {"id": auth.get_last_request_id(), "relay": relay, "ch": channel}
        return url

    def finish(self, channel: Channel) -> Visitor:
        pending = session.pop(_REQUEST, None)
        if not isinstance(pending, dict) or pending.get("ch") != channel:
            raise LoginRefused("no pending request in this browser")
        if request.form.get("RelayState") != pending.get("relay"):
            raise LoginRefused("RelayState differs")
        auth = self.auth(channel)
        auth.process_response(request_id=pending["id"])
        if auth.get_errors() or not auth.is_authenticated():
            raise LoginRefused(str(auth.get_last_error_reason() or auth.get_errors()))
        if auth.get_nameid_format() != PERSISTENT:
            raise LoginRefused("not a persistent NameID")
        _not_replayed(auth)
        level = _level(auth)
        wanted = self.level if channel == "citizen" else "low"
        if not attributes.at_least(level, wanted):
            raise LoginRefused(f"level {level}")
        raw = auth.get_attributes()
        roles = tuple(r for r in raw.get(attributes.SAML_ROLES_ATTRIBUTE, ()) if isinstance(r, str))
        return Visitor(
            subject=str(auth.get_nameid()),
            level=level,
            channel=channel,
            values=_values(auth, raw),
            roles=roles,
            hub=HubSession(
                session=str(auth.get_session_index() or ""),
                name_id_format=str(auth.get_nameid_format() or ""),
                name_qualifier=str(auth.get_nameid_nq() or ""),
                sp_name_qualifier=str(auth.get_nameid_spnq() or ""),
            ),
        )


def _not_replayed(auth: OneLogin_Saml2_Auth) -> None:
    assertion_id = auth.get_last_assertion_id()
    expires = auth.get_last_assertion_not_on_or_after()
    until = (
        datetime.datetime.fromtimestamp(expires, datetime.UTC)
        if expires
        else now() + datetime.timedelta(hours=1)
    )
    try:
        db.session.add(UsedAssertion(id=str(assertion_id)[:128], expires_at=until))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LoginRefused("assertion replayed") from None


def _level(auth: OneLogin_Saml2_Auth) -> str:
    contexts = [attributes.LEVEL_OF.get(c, "") for c in auth.get_last_authn_contexts()]
    claimed = auth.get_attributes().get(attributes.SAML_LEVEL_ATTRIBUTE, [""])
    levels = [c for c in contexts if c] or [attributes.LEVEL_OF.get(claimed[0], "")]
    return levels[0] if len(set(levels)) == 1 else ""


def _values(auth: OneLogin_Saml2_Auth, raw: dict[str, list[str]]) -> dict[str, Value]:
    """Values by attribute name; provenance from the validated assertion itself."""
    provenance = _provenance(auth)
    found = {}
    for saml_name, values in raw.items():
        published = BY_SAML_NAME.get(saml_name)
        if published is None or not values:
            continue
        found[published.name] = Value(str(values[0])[:400], provenance.get(saml_name) == "eid")
    return found


def _provenance(auth: OneLogin_Saml2_Auth) -> dict[str, str]:
    xml = auth.get_last_response_xml()
    if not xml:
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    assertions = root.findall(f".//{{{ASSERTION_NS}}}Assertion")
    if len(assertions) != 1 or assertions[0].get("ID") != auth.get_last_assertion_id():
        return {}
    return {
        str(a.get("Name")): str(a.get(f"{{{PROVENANCE_NS}}}provenance", "self"))
        for a in assertions[0].iter(f"{{{ASSERTION_NS}}}Attribute")
    }


def init(app: Flask, config: ServiceConfig, level: str, title: str) -> SamlLogin:
    login = SamlLogin(config, sp_keys(config.var_dir, title), level)
    app.extensions["kit_saml"] = login
    return login


def saml() -> SamlLogin:
    login: SamlLogin = current_app.extensions["kit_saml"]
    return login
