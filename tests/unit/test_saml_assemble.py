"""The encrypted assertion's plaintext stands on its own: every namespace it uses is declared on
it, whatever the document around the EncryptedAssertion declares (SPs decrypt differently)."""

from __future__ import annotations

import copy
import time
import xml.etree.ElementTree as ET
from collections.abc import Hashable

import pytest
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


class _Keys:
    def __init__(self, name: str) -> None:
        self.pair = sp_keys(name)

    def current_certificate(self, purpose: Hashable) -> bytes:
        return self.pair.cert_pem.encode()

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        return self.pair.key_pem.encode()


def test_each_sp_gets_its_own_encryption_with_cached_key_managers() -> None:
    """The keys managers are cached per certificate; alternating SPs never get each other's."""
    from certs.xmlsig import XmlSecurityError

    idp = XmlSecurity(EphemeralKeys())
    one, two = _Keys("sp-one"), _Keys("sp-two")
    for _ in range(2):
        for mine, other in ((one, two), (two, one)):
            wrapper = assemble.encrypt(idp, _assertion(), mine.pair.cert_pem.encode())
            data = wrapper.find(f"{{{XENC}}}EncryptedData")
            assert data is not None
            with pytest.raises(XmlSecurityError):
                XmlSecurity(other).decrypt("sp", _in_holder(copy.deepcopy(data)))
            plaintext = XmlSecurity(mine).decrypt("sp", _in_holder(copy.deepcopy(data)))
            assert plaintext.tag == f"{{{assemble.SAML}}}Assertion"


def _in_holder(element: etree._Element) -> etree._Element:
    holder = etree.Element("holder")
    holder.append(element)
    return element
