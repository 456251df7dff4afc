"""pysaml2 as a service provider of the hub, configured from the hub's metadata alone.

By default the SP uses pysaml2's *stock* crypto backend, which runs the ``xmlsec1`` program (Debian
package xmlsec1; ``tests/saml_setup.py`` installs it, ``make test`` runs that): the hub is then
proven against XML security code we did not write. ``in_process=True`` swaps in the hub's own
backend adapter (:class:`idp.saml.backend.InProcessBackend`) with the SP's keys, for the tests
that would otherwise spend most of their time in subprocesses.
"""

from __future__ import annotations

import shutil
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID
from saml2.sigver import RSACrypto, import_rsa_key_from_file
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from certs.xmlsig import XmlSecurity
from idp.saml.backend import InProcessBackend
from tests.saml_support import KeyPair, PostedForm, sp_keys

XMLSEC1 = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
HOST = "https://pysaml2.example.org"


def require_xmlsec1() -> str:
    """The xmlsec1 program for pysaml2's stock backend; skipped loudly when it is missing."""
    if not Path(XMLSEC1).exists():
        pytest.skip(
            "pysaml2 stock-backend tests skipped: xmlsec1 is not installed "
            "(run `python tests/saml_setup.py` or `make test`, which installs it)"
        )
    return XMLSEC1


class SpKeySource:
    """The SP's own key pair for every purpose (this is the SP side, not the hub)."""

    def __init__(self, keys: KeyPair) -> None:
        self._keys = keys

    def current_certificate(self, purpose: Hashable) -> bytes:
        return self._keys.cert_pem.encode()

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        return self._keys.key_pem.encode()


@dataclass(frozen=True)
class Sent:
    """A message the SP hands to the browser: a redirect URL or an HTTP-POST form."""

    binding: str
    url: str
    fields: dict[str, str]


class PySaml2Sp:
    """A service provider on pysaml2's ``Saml2Client``."""

    def __init__(
        self,
        idp_metadata: str,
        workdir: Path,
        host: str = HOST,
        keys: KeyPair | None = None,
        in_process: bool = False,
        want_response_signed: bool = True,
        want_assertions_signed: bool = True,
        allow_unsolicited: bool = False,
        slo_bindings: tuple[str, ...] = (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST),
    ) -> None:
        self.keys = keys or sp_keys("pysaml2-sp")
        self.entity_id = host + "/metadata"
        self.acs_url, self.slo_url = host + "/acs", host + "/slo"
        workdir.mkdir(parents=True, exist_ok=True)
        key_file, cert_file = workdir / "sp.key", workdir / "sp.crt"
        key_file.write_text(self.keys.key_pem)
        cert_file.write_text(self.keys.cert_pem)
        pair = {"key_file": str(key_file), "cert_file": str(cert_file)}
        config: dict[str, Any] = {
            "entityid": self.entity_id,
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "encryption_keypairs": [pair],
            "metadata": {"inline": [idp_metadata]},
            "allow_unknown_attributes": True,
            "accepted_time_diff": 30,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(self.acs_url, BINDING_HTTP_POST)],
                        "single_logout_service": [(self.slo_url, b) for b in slo_bindings],
                    },
                    "authn_requests_signed": True,
                    "logout_requests_signed": True,
                    "logout_responses_signed": True,
                    "want_response_signed": want_response_signed,
                    "want_assertions_signed": want_assertions_signed,
                    "allow_unsolicited": allow_unsolicited,
                    # under service.sp, or pysaml2 silently signs with RSA-SHA1 (DESIGN.md)
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                },
            },
        }
        if not in_process:
            config["xmlsec_binary"] = require_xmlsec1()
        self.config = SPConfig().load(config)
        if in_process:
            # pysaml2 checks for the xmlsec1 program when it builds the security context
            self.config.crypto_backend = "XMLSecurity"
        self.client = Saml2Client(self.config)
        if in_process:
            xml = XmlSecurity(SpKeySource(self.keys))
            self.client.sec.crypto = InProcessBackend(xml, 256 * 1024)
            self.client.sec.sec_backend = RSACrypto(import_rsa_key_from_file(str(key_file)))
        self.outstanding: dict[str, str] = {}
        self.name_id: Any = None
        self.idp_entity_id = next(iter(self.client.metadata.identity_providers()))

    @property
    def stock_backend(self) -> bool:
        return not isinstance(self.client.sec.crypto, InProcessBackend)

    def metadata(self) -> str:
        data = create_metadata_string(None, config=self.config, valid=None)
        return data.decode() if isinstance(data, bytes) else str(data)

    # --- SSO --------------------------------------------------------------------------------

    def login(
        self, binding: str = BINDING_HTTP_REDIRECT, relay_state: str = "/p2", **kw: Any
    ) -> Sent:
        """An AuthnRequest, signed (detached for Redirect, enveloped for POST)."""
        request_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp_entity_id,
            relay_state=relay_state,
            binding=binding,
            sign=True,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            **kw,
        )
        self.outstanding[request_id] = relay_state
        return _sent(binding, info)

    def acs(self, form: PostedForm) -> Any:
        """Process the hub's Response at the ACS; pysaml2 raises on anything it refuses."""
        response = self.client.parse_authn_request_response(
            form.fields["SAMLResponse"], BINDING_HTTP_POST, outstanding=self.outstanding
        )
        if response is not None:
            self.name_id = response.name_id
        return response

    # --- single logout ----------------------------------------------------------------------

    def logout(self, binding: str) -> Sent:
        """A signed LogoutRequest for the subject of the last login (SP-initiated SLO)."""
        assert self.name_id is not None, "log in first"
        self.client.config.preferred_binding["single_logout_service"] = [binding]
        answers = self.client.global_logout(self.name_id, sign=True, sign_alg=SIG_RSA_SHA256)
        ((_, (sent_binding, info)),) = answers.items()
        assert sent_binding == binding
        return _sent(binding, info)

    def logout_done(self, sent: Sent) -> Any:
        """The SP's SLO endpoint receiving the hub's LogoutResponse (pysaml2 checks it)."""
        assert sent.url.startswith(self.slo_url), sent.url
        fields = _fields(sent)
        return self.client.parse_logout_request_response(fields["SAMLResponse"], sent.binding)

    def answer_logout_request(self, sent: Sent, knows_the_user: bool = True) -> Sent:
        """The SP's SLO endpoint receiving the hub's LogoutRequest: log out, answer signed.
        ``knows_the_user=False``: the SP has someone else logged in and answers pysaml2's
        own error (UnknownPrincipal)."""
        assert sent.url.startswith(self.slo_url), sent.url
        fields = _fields(sent)
        stranger = NameID(text="someone-else", format=NAMEID_FORMAT_TRANSIENT)
        info = self.client.handle_logout_request(
            fields["SAMLRequest"],
            self.name_id if knows_the_user else stranger,
            sent.binding,
            sign=True,
            sign_alg=SIG_RSA_SHA256,
            relay_state=fields.get("RelayState"),
            sigalg=fields.get("SigAlg"),
            signature=fields.get("Signature"),
        )
        answered_by = BINDING_HTTP_REDIRECT if info.get("method") == "GET" else BINDING_HTTP_POST
        return _sent(answered_by, info)  # the first binding the IdP has of the request's own


def _fields(sent: Sent) -> dict[str, str]:
    if sent.binding == BINDING_HTTP_REDIRECT:
        return dict(parse_qsl(urlsplit(sent.url).query))
    return sent.fields


def _sent(binding: str, info: dict[str, Any]) -> Sent:
    if binding == BINDING_HTTP_REDIRECT:
        location = dict(info["headers"])["Location"]
        return Sent(binding, location, {})
    return Sent(binding, info["url"], _form_fields(info["data"]))


def _form_fields(page: str) -> dict[str, str]:
    import html
    import re

    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
