"""The encrypted assertion's plaintext stands on its own: every namespace it uses is declared on
it, whatever the document around the EncryptedAssertion declares (SPs decrypt differently)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Hashable

from lxml import etree

from certs.xmlsig import XENC, XmlSecurity
from idp.saml import assemble
from idp.saml.keys import EphemeralKeys
from tests.saml_support import sp_keys


class _SpKeys:
    def current_certificate(self, purpose: Hashable) -> bytes:
        return sp_keys().cert_pem.encode()

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        return sp_keys().key_pem.encode()


def _assertion() -> etree._Element:
    now = time.time()
    spec = assemble.AssertionSpec(
        issuer="https://idp.example/saml/metadata",
        audience="https://sp.example.org/metadata",
        recipient="https://sp.example.org/acs",
        in_response_to="_request",
        name_id=assemble.NameId("abc", "urn:x", "https://idp.example", "https://sp.example.org"),
        authn_instant=now,
        session_index="_session",
        class_ref="STORK-QAA-Level-1",
        attributes=(
            assemble.ReleasedAttribute("urn:oid:2.5.4.42", "given_names", ("Erika",), "self"),
        ),
        now=now,
        lifetime=300,
        skew=90,
    )
    return assemble.build_assertion(spec)


def test_plaintext_declares_its_own_namespaces() -> None:
    idp = XmlSecurity(EphemeralKeys())
    wrapper = assemble.encrypt(idp, _assertion(), sp_keys().cert_pem.encode())
    # the SP's view: the response re-serialised with other prefixes (as pysaml2 does)
    document = etree.fromstring(
        b'<ns0:Response xmlns:ns0="urn:oasis:names:tc:SAML:2.0:protocol" '
        b'xmlns:ns1="urn:oasis:names:tc:SAML:2.0:assertion"><ns1:EncryptedAssertion/>'
        b"</ns0:Response>"
    )
    encrypted_data = wrapper.find(f"{{{XENC}}}EncryptedData")
    assert encrypted_data is not None
    document[0].append(encrypted_data)
    document = etree.fromstring(etree.tostring(document))
    encrypted = document[0][0]
    plaintext = XmlSecurity(_SpKeys()).decrypt("sp", encrypted)
    alone = etree.tostring(plaintext)  # the element without the declarations around it
    parsed = ET.fromstring(alone)  # noqa: S314
    assert parsed.tag == f"{{{assemble.SAML}}}Assertion"
    assert b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"' in alone


def test_only_aes_gcm_and_rsa_oaep() -> None:
    wrapper = assemble.encrypt(
        XmlSecurity(EphemeralKeys()), _assertion(), sp_keys().cert_pem.encode()
    )
    methods = {e.get("Algorithm") for e in wrapper.iter(f"{{{XENC}}}EncryptionMethod")}
    assert methods == {
        "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    }
