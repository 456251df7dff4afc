"""SAML test support: key pairs, service providers built with python3-saml and pysaml2, and a
browser that carries SAML messages between SP library and hub as a real browser would."""

from __future__ import annotations

import base64
import datetime
import functools
import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from werkzeug.test import TestResponse

from tests.helpers import Browser

FORM_RE = re.compile(r'<form id="saml-post" method="post" action="([^"]+)"')
INPUT_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str

    @property
    def cert_b64(self) -> str:
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def make_key_pair(cn: str, bits: int = 3072, digest: Any = None) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, digest or hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5


def sha1_key_pair(cn: str, bits: int = 3072) -> KeyPair:
    """A key pair whose certificate is signed with SHA-1 (``cryptography`` no longer makes
    one): a SHA-256 certificate with both signature OIDs swapped (same length) and the
    to-be-signed part signed again with SHA-1."""
    pair = make_key_pair(cn, bits)
    key = serialization.load_pem_private_key(pair.key_pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    cert = x509.load_pem_x509_certificate(pair.cert_pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes
    assert der.count(_SHA256_RSA) == 2 and der.endswith(cert.signature)
    new_tbs = tbs.replace(_SHA256_RSA, _SHA1_RSA)
    signature = key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    body = der[: -len(cert.signature)].replace(tbs, new_tbs).replace(_SHA256_RSA, _SHA1_RSA)
    patched = x509.load_der_x509_certificate(body + signature)
    assert isinstance(patched.signature_hash_algorithm, hashes.SHA1)
    return KeyPair(pair.key_pem, patched.public_bytes(serialization.Encoding.PEM).decode())


@functools.cache
def sp_keys(name: str = "sp") -> KeyPair:
    """One RSA-3072 key pair per name per test session (generation is slow)."""
    return make_key_pair(name)


@dataclass(frozen=True)
class PostedForm:
    action: str
    fields: dict[str, str]


def posted_form(page: TestResponse) -> PostedForm:
    """The HTTP-POST binding form the hub rendered (what the browser would submit)."""
    assert page.status_code == 200, page.text[:500]
    match = FORM_RE.search(page.text)
    assert match, "no POST binding form on the page"
    form_html = page.text[match.start() : page.text.index("</form>", match.start())]
    fields = {name: html.unescape(value) for name, value in INPUT_RE.findall(form_html)}
    return PostedForm(html.unescape(match.group(1)), fields)


def decoded(form: PostedForm, field: str = "SAMLResponse") -> str:
    return base64.b64decode(form.fields[field]).decode()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def follow(browser: Browser, response: TestResponse, limit: int = 10) -> TestResponse:
    """Follow the hub's own redirects (303) like a browser."""
    for _ in range(limit):
        if response.status_code not in (302, 303):
            return response
        response = browser.get(path_of(response.headers["Location"]))
    raise AssertionError("too many redirects")


# --- python3-saml as SP --------------------------------------------------------------------


class OneLoginSp:
    """A service provider on python3-saml (OneLogin), configured from the hub's metadata."""

    def __init__(
        self,
        idp_metadata: str,
        entity_id: str = "https://sp.example.org/metadata",
        keys: KeyPair | None = None,
        want_encrypted: bool = False,
        authn_context: list[str] | None = None,
        comparison: str = "minimum",
        name_id_format: str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        base_url: str = "https://sp.example.org",
    ) -> None:
        """``base_url``: where the SP's endpoints ``/acs`` and ``/sls`` are (scheme, host and
        path prefix; a browser test serves them for real)."""
        self.keys = keys or sp_keys()
        self.entity_id = entity_id
        self.base_url = base_url
        idp = OneLogin_Saml2_IdPMetadataParser.parse(
            idp_metadata, required_sso_binding=C.BINDING_HTTP_REDIRECT
        )
        self.settings_data: dict[str, Any] = {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": entity_id,
                "assertionConsumerService": {
                    "url": base_url + "/acs",
                    "binding": C.BINDING_HTTP_POST,
                },
                "singleLogoutService": {
                    "url": base_url + "/sls",
                    "binding": C.BINDING_HTTP_REDIRECT,
                },
                "NameIDFormat": name_id_format,
                "x509cert": self.keys.cert_b64,
                "privateKey": self.keys.key_pem,
            },
            "idp": idp["idp"],
            "security": {
                "authnRequestsSigned": True,
                "logoutRequestSigned": True,
                "logoutResponseSigned": True,
                "wantMessagesSigned": True,
                "wantAssertionsSigned": True,
                "wantAssertionsEncrypted": want_encrypted,
                "wantNameIdEncrypted": False,
                "signatureAlgorithm": C.RSA_SHA256,
                "digestAlgorithm": C.SHA256,
                "requestedAuthnContext": authn_context or ["STORK-QAA-Level-1"],
                "requestedAuthnContextComparison": comparison,
                "rejectDeprecatedAlgorithm": True,
                "wantXMLValidation": True,
            },
        }
        self.last_request_id: str | None = None
        self.last_logout_id: str | None = None
        self.logged_in: Any = None

    def metadata(self) -> str:
        settings = OneLogin_Saml2_Settings(self.settings_data, sp_validation_only=True)
        data = settings.get_sp_metadata()
        return data.decode() if isinstance(data, bytes) else str(data)

    def _auth(
        self,
        post: dict[str, str] | None = None,
        get: dict[str, str] | None = None,
        path: str = "/acs",
    ) -> Any:
        base = urlsplit(self.base_url)
        request = {
            "https": "on" if base.scheme == "https" else "off",
            "http_host": base.netloc,
            "script_name": base.path + path,
            "get_data": get or {},
            "post_data": post or {},
        }
        return OneLogin_Saml2_Auth(request, self.settings_data)

    def login_url(self, relay_state: str = "/dienst/start", **kwargs: Any) -> str:
        auth = self._auth()
        url = auth.login(return_to=relay_state, **kwargs)
        self.last_request_id = auth.get_last_request_id()
        return str(url)

    def acs(self, form: PostedForm, path: str = "/acs") -> Any:
        """Process the Response as the SP's ACS at ``path``; returns the Auth object (errors
        inside). Without a login_url() before, it expects an unsolicited Response."""
        auth = self._auth(post=form.fields, path=path)
        auth.process_response(request_id=self.last_request_id)
        if not auth.get_errors():
            self.logged_in = auth
        return auth

    def logout_url(self, relay_state: str = "/tschuess") -> str:
        """A signed LogoutRequest (HTTP-Redirect) for the subject of the last login."""
        done = self.logged_in
        assert done is not None, "log in first"
        auth = self._auth()
        url = auth.logout(
            return_to=relay_state,
            name_id=done.get_nameid(),
            session_index=done.get_session_index(),
            nq=done.get_nameid_nq(),
            name_id_format=done.get_nameid_format(),
            spnq=done.get_nameid_spnq(),
        )
        self.last_logout_id = auth.get_last_request_id()
        return str(url)

    def sls(self, url: str) -> tuple[Any, str | None]:
        """The SP's SLO endpoint receiving ``url`` (a LogoutResponse to our request, or the
        IdP's LogoutRequest); returns the Auth object and, for a request, the redirect with
        the SP's signed LogoutResponse."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.base_url + "/sls"
        auth = self._auth(get=dict(parse_qsl(parts.query)), path="/sls")
        answer = auth.process_slo(keep_local_session=True, request_id=self.last_logout_id)
        return auth, answer

    def logout_response_url(self, in_response_to: str, status: str = C.STATUS_SUCCESS) -> str:
        """A LogoutResponse signed for HTTP-Redirect to the hub's SLO endpoint, built by
        python3-saml as process_slo() builds its own, for any request ID and status."""
        auth = self._auth(path="/sls")
        settings = auth.get_settings()
        response = OneLogin_Saml2_Logout_Response(settings)
        response.build(in_response_to, status)
        params = {"SAMLResponse": response.get_response()}
        auth.add_response_signature(params, C.RSA_SHA256)
        return str(auth.redirect_to(settings.get_idp_data()["singleLogoutService"]["url"], params))


def register_sp(app: Flask, metadata: str, **settings: Any) -> None:
    """Register an SP through the registry, as an administrator would."""
    from idp.saml import registry
    from idp.saml.registry import SpSettings

    with app.test_request_context():
        registry.register(registry.read_metadata(metadata), SpSettings(**settings))


def hub_metadata(browser: Browser) -> str:
    page = browser.get("/saml/metadata")
    assert page.status_code == 200
    return page.text
