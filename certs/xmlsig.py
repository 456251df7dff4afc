"""In-process XML Signature and XML Encryption on the ``xmlsec`` binding (libxmlsec1).

This is the code that touches the hub's private keys for XML, so it lives in ``certs``. Callers
name a *purpose* (signing, encryption), never key bytes: the keys come from a :class:`KeySource`
(the keyring) and are loaded into ``xmlsec.Key`` objects once per process and key — loading an
RSA-3072 PEM costs far more than a signature. Public keys of partners (SP certificates from
their metadata) are loaded once per certificate as well (bounded cache).

Algorithms are pinned (BSI TR-02102-1, XML Signature Best Practices §3, XML Encryption 1.1):
signatures RSA-SHA256/384/512 or ECDSA-SHA256/384/512 with SHA-256/384/512 digests and
exclusive canonicalisation; encryption AES-256-GCM for content and RSA-OAEP for the key. SHA-1,
RSA-1.5 and 3DES are neither produced nor accepted.

Incoming signatures are verified strictly (SAML Core §5.4, against signature wrapping): the
element with the given ID must be unique in the document, the signature must be its direct
child, carry exactly one Reference to exactly that ID, only the enveloped and exclusive-c14n
transforms, and no ``ds:Object``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

import xmlsec
from lxml import etree

from core import safexml

DSIG = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NS = {"ds": DSIG, "xenc": XENC}

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"

SIGNATURE_TRANSFORMS: dict[str, object] = {
    RSA_SHA256: xmlsec.constants.TransformRsaSha256,
    RSA_SHA384: xmlsec.constants.TransformRsaSha384,
    RSA_SHA512: xmlsec.constants.TransformRsaSha512,
    ECDSA_SHA256: xmlsec.constants.TransformEcdsaSha256,
    ECDSA_SHA384: xmlsec.constants.TransformEcdsaSha384,
    ECDSA_SHA512: xmlsec.constants.TransformEcdsaSha512,
}
DIGESTS = frozenset({SHA256, SHA384, SHA512})
_ALLOWED_TRANSFORMS = frozenset({ENVELOPED, EXC_C14N})
_PARTNER_CACHE_SIZE = 256


class XmlSecurityError(Exception):
    """Signing, verification, encryption or decryption refused or failed (no key material in
    the message)."""


class KeySource(Protocol):
    """Where the hub's XML keys come from (the keyring of ``certs``)."""

    def current_certificate(self, purpose: Hashable) -> bytes:
        """PEM of the certificate whose private key signs/decrypts now (cheap to call)."""
        ...

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        """Unencrypted PEM of the private key belonging to ``certificate_pem`` (may be slow)."""
        ...


@dataclass(frozen=True)
class _LoadedKey:
    key: xmlsec.Key
    certificate_pem: bytes


def fingerprint(certificate_pem: bytes) -> str:
    return hashlib.sha256(certificate_pem.strip()).hexdigest()


class XmlSecurity:
    """Signs, verifies, encrypts and decrypts XML; one per process (keys cached inside)."""

    def __init__(self, source: KeySource) -> None:
        self._source = source
        self._own: dict[tuple[Hashable, str], _LoadedKey] = {}
        self._partners: OrderedDict[str, xmlsec.Key] = OrderedDict()
        #: Keys managers for encryption/decryption, one per key: creating one loads the system
        #: CA store (~15 ms here), far more than the encryption itself. Read-only once made.
        self._managers: OrderedDict[str, xmlsec.KeysManager] = OrderedDict()
        self._lock = threading.Lock()

    # --- keys ----------------------------------------------------------------------------

    def _own_key(self, purpose: Hashable) -> _LoadedKey:
        cert = self._source.current_certificate(purpose)
        cache_key = (purpose, fingerprint(cert))
        loaded = self._own.get(cache_key)
        if loaded is None:
            with self._lock:
                loaded = self._own.get(cache_key)
                if loaded is None:
                    pem = self._source.private_key(purpose, cert)
                    key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)
                    key.load_cert_from_memory(cert, xmlsec.constants.KeyDataFormatCertPem)
                    loaded = self._own[cache_key] = _LoadedKey(key, cert)
        return loaded

    def certificate(self, purpose: Hashable) -> bytes:
        """PEM of the certificate that goes with ``purpose`` now."""
        return self._own_key(purpose).certificate_pem

    def _partner_key(self, certificate_pem: bytes) -> xmlsec.Key:
        name = fingerprint(certificate_pem)
        with self._lock:
            key = self._partners.get(name)
            if key is not None:
                self._partners.move_to_end(name)
                return key
        try:
            key = xmlsec.Key.from_memory(certificate_pem, xmlsec.constants.KeyDataFormatCertPem)
        except xmlsec.Error as exc:
            raise XmlSecurityError("partner certificate cannot be loaded") from exc
        with self._lock:
            self._partners[name] = key
            while len(self._partners) > _PARTNER_CACHE_SIZE:
                self._partners.popitem(last=False)
        return key

    def _manager(self, name: str, key: xmlsec.Key) -> xmlsec.KeysManager:
        with self._lock:
            manager = self._managers.get(name)
            if manager is not None:
                self._managers.move_to_end(name)
                return manager
        manager = xmlsec.KeysManager()
        manager.add_key(key)
        with self._lock:
            self._managers[name] = manager
            while len(self._managers) > _PARTNER_CACHE_SIZE:
                self._managers.popitem(last=False)
        return manager

    # --- enveloped signatures --------------------------------------------------------------

    def sign(self, purpose: Hashable, root: etree._Element, node_id: str) -> None:
        """Fill the ``ds:Signature`` template that is a direct child of the element with ID
        ``node_id`` (in place). The template's algorithms must be pinned ones."""
        node = _unique_by_id(root, node_id)
        signature = _own_signature(node)
        _check_algorithms(signature)
        ctx = xmlsec.SignatureContext()
        ctx.register_id(node, "ID")
        ctx.key = self._own_key(purpose).key
        try:
            ctx.sign(signature)
        except xmlsec.Error as exc:
            raise XmlSecurityError("signing failed") from exc

    def verify(self, root: etree._Element, node_id: str, certificate_pem: bytes) -> None:
        """Verify the enveloped signature of the element with ID ``node_id`` (SAML Core §5.4)
        with ``certificate_pem``; :class:`XmlSecurityError` unless it is valid."""
        node = _unique_by_id(root, node_id)
        signature = _own_signature(node)
        _check_algorithms(signature)
        _check_reference(signature, node_id)
        ctx = xmlsec.SignatureContext()
        ctx.register_id(node, "ID")
        ctx.key = self._partner_key(certificate_pem)
        try:
            ctx.verify(signature)
        except xmlsec.Error as exc:
            raise XmlSecurityError("signature invalid") from exc

    # --- detached signatures (HTTP-Redirect binding) -----------------------------------------

    def sign_binary(self, purpose: Hashable, data: bytes, algorithm: str) -> bytes:
        transform = _signature_transform(algorithm)
        ctx = xmlsec.SignatureContext()
        ctx.key = self._own_key(purpose).key
        return ctx.sign_binary(data, transform)  # type: ignore[arg-type]

    def verify_binary(
        self, certificate_pem: bytes, data: bytes, signature: bytes, algorithm: str
    ) -> None:
        transform = _signature_transform(algorithm)
        ctx = xmlsec.SignatureContext()
        ctx.key = self._partner_key(certificate_pem)
        try:
            ctx.verify_binary(data, transform, signature)  # type: ignore[arg-type]
        except xmlsec.Error as exc:
            raise XmlSecurityError("signature invalid") from exc

    # --- encryption --------------------------------------------------------------------------

    def encrypt(self, element: etree._Element, certificate_pem: bytes) -> etree._Element:
        """Replace ``element`` (in its tree) by an ``xenc:EncryptedData`` for the holder of
        ``certificate_pem``: AES-256-GCM content, RSA-OAEP key transport (XML Encryption 1.1
        §5.2.4, §5.5.2). The element should declare every namespace it uses."""
        parent = element.getparent()
        if parent is None:
            raise XmlSecurityError("only an element inside a document can be encrypted")
        template = _encryption_template(element)
        name = "partner:" + fingerprint(certificate_pem)
        ctx = xmlsec.EncryptionContext(self._manager(name, self._partner_key(certificate_pem)))
        ctx.key = xmlsec.Key.generate(
            xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
        )
        try:
            return ctx.encrypt_xml(template, element)
        except xmlsec.Error as exc:
            raise XmlSecurityError("encryption failed") from exc

    def decrypt(self, purpose: Hashable, encrypted_data: etree._Element) -> etree._Element:
        """Decrypt an ``xenc:EncryptedData`` addressed to our key for ``purpose``; the
        algorithms must be the pinned ones."""
        _check_encryption_algorithms(encrypted_data)
        own = self._own_key(purpose)
        name = f"own:{purpose}:{fingerprint(own.certificate_pem)}"
        ctx = xmlsec.EncryptionContext(self._manager(name, own.key))
        try:
            result = ctx.decrypt(encrypted_data)
        except xmlsec.Error as exc:
            raise XmlSecurityError("decryption failed") from exc
        if not isinstance(result, etree._Element):
            raise XmlSecurityError("decrypted content is not an element")
        return result


# --- helpers ---------------------------------------------------------------------------------


def _unique_by_id(root: etree._Element, node_id: str) -> etree._Element:
    if not node_id:
        raise XmlSecurityError("no ID to verify")
    matches = [e for e in root.iter(etree.Element) if e.get("ID") == node_id]
    if len(matches) != 1:
        raise XmlSecurityError("the signed ID must occur exactly once in the document")
    return matches[0]


def _own_signature(node: etree._Element) -> etree._Element:
    signatures = node.findall(f"{{{DSIG}}}Signature")
    if len(signatures) != 1:
        raise XmlSecurityError("the element must carry exactly one enveloped signature")
    signature = signatures[0]
    if signature.find(f"{{{DSIG}}}Object") is not None:
        raise XmlSecurityError("ds:Object is not accepted in a signature")
    return signature


def _check_algorithms(signature: etree._Element) -> None:
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    digests = signature.findall("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)
    if method is None or method.get("Algorithm") not in SIGNATURE_TRANSFORMS:
        raise XmlSecurityError("signature algorithm not accepted")
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise XmlSecurityError("canonicalisation method not accepted")
    if not digests or any(d.get("Algorithm") not in DIGESTS for d in digests):
        raise XmlSecurityError("digest algorithm not accepted")


def _check_reference(signature: etree._Element, node_id: str) -> None:
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    if len(references) != 1 or references[0].get("URI") != "#" + node_id:
        raise XmlSecurityError("the signature must reference exactly the signed element")
    transforms = [
        t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", NS)
    ]
    if ENVELOPED not in transforms or not set(transforms) <= _ALLOWED_TRANSFORMS:
        raise XmlSecurityError("signature transforms not accepted")
    if len(transforms) > 2:
        raise XmlSecurityError("signature transforms not accepted")


def _signature_transform(algorithm: str) -> object:
    transform = SIGNATURE_TRANSFORMS.get(algorithm)
    if transform is None:
        raise XmlSecurityError("signature algorithm not accepted")
    return transform


def _encryption_template(element: etree._Element) -> etree._Element:
    template = xmlsec.template.encrypted_data_create(
        element.getroottree().getroot(),
        xmlsec.constants.TransformAes256Gcm,
        type=xmlsec.constants.TypeEncElement,
        ns="xenc",
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    key_info_inner = xmlsec.template.encrypted_data_ensure_key_info(encrypted_key, ns="ds")
    x509 = xmlsec.template.add_x509_data(key_info_inner)
    xmlsec.template.x509_data_add_certificate(x509)
    return template


def _check_encryption_algorithms(encrypted_data: etree._Element) -> None:
    content = encrypted_data.find("xenc:EncryptionMethod", NS)
    key = encrypted_data.find("ds:KeyInfo/xenc:EncryptedKey/xenc:EncryptionMethod", NS)
    if content is None or content.get("Algorithm") != AES256_GCM:
        raise XmlSecurityError("content encryption algorithm not accepted")
    if key is None or key.get("Algorithm") != RSA_OAEP_MGF1P:
        raise XmlSecurityError("key transport algorithm not accepted")


def parse(data: bytes | str, max_bytes: int = safexml.DEFAULT_MAX_BYTES) -> etree._Element:
    """Hardened parse (see :mod:`core.safexml`)."""
    try:
        return safexml.parse(data, max_bytes)
    except safexml.UnsafeXml as exc:
        raise XmlSecurityError(str(exc)) from exc
