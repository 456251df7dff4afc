"""The IdP's own metadata (SAML Metadata §2.4.3), signed, at ``/saml/metadata``.

It names the entityID, SSO and SLO endpoints for HTTP-Redirect and HTTP-POST, the NameID formats,
one signing and one encryption KeyDescriptor per published certificate (current and next, so SPs
can roll over without downtime), the encryption methods we accept, and the signing/digest
methods we use (SAML Metadata Extensions for Algorithm Support). The document is signed through
pysaml2's security context with our in-process backend. There is no ``validUntil`` (a
validUntil that passes unnoticed breaks every SP); ``cacheDuration`` asks SPs to refresh daily.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from saml2.sigver import SecurityContext

from certs.xmlsig import AES256_GCM, DSIG, RSA_OAEP_MGF1P
from idp.saml.assemble import (
    DIGEST_ALGORITHM,
    SIGNATURE_ALGORITHM,
    new_id,
    pem_body,
    q,
    signature_template,
)
from idp.saml.nameid import EMAIL, PERSISTENT, TRANSIENT
from idp.saml.spmeta import ALG, BINDING_POST, BINDING_REDIRECT, MD, PROTOCOL

CACHE_DURATION = "PT24H"


def build(
    entity_id: str,
    sso_url: str,
    slo_url: str | None,
    signing_certs: list[bytes],
    encryption_certs: list[bytes],
    want_signed_requests: bool = True,
) -> etree._Element:
    root = etree.Element(q(MD, "EntityDescriptor"), nsmap={"md": MD, "ds": DSIG, "alg": ALG})
    root.set("entityID", entity_id)
    root.set("ID", new_id())
    root.set("cacheDuration", CACHE_DURATION)
    extensions = etree.SubElement(root, q(MD, "Extensions"))
    etree.SubElement(extensions, q(ALG, "DigestMethod")).set("Algorithm", DIGEST_ALGORITHM)
    etree.SubElement(extensions, q(ALG, "SigningMethod")).set("Algorithm", SIGNATURE_ALGORITHM)
    idp = etree.SubElement(root, q(MD, "IDPSSODescriptor"))
    idp.set("protocolSupportEnumeration", PROTOCOL)
    idp.set("WantAuthnRequestsSigned", "true" if want_signed_requests else "false")
    for certificate in signing_certs:
        _key_descriptor(idp, "signing", certificate)
    for certificate in encryption_certs:
        _key_descriptor(idp, "encryption", certificate)
    for binding in (BINDING_REDIRECT, BINDING_POST) if slo_url else ():
        _endpoint(idp, "SingleLogoutService", binding, slo_url or "")
    for fmt in (PERSISTENT, TRANSIENT, EMAIL):
        etree.SubElement(idp, q(MD, "NameIDFormat")).text = fmt
    for binding in (BINDING_REDIRECT, BINDING_POST):
        _endpoint(idp, "SingleSignOnService", binding, sso_url)
    return root


def _key_descriptor(parent: etree._Element, use: str, certificate: bytes) -> None:
    descriptor = etree.SubElement(parent, q(MD, "KeyDescriptor"))
    descriptor.set("use", use)
    key_info = etree.SubElement(descriptor, q(DSIG, "KeyInfo"))
    x509_data = etree.SubElement(key_info, q(DSIG, "X509Data"))
    etree.SubElement(x509_data, q(DSIG, "X509Certificate")).text = pem_body(certificate)
    if use == "encryption":
        for algorithm in (AES256_GCM, RSA_OAEP_MGF1P):
            etree.SubElement(descriptor, q(MD, "EncryptionMethod")).set("Algorithm", algorithm)


def _endpoint(parent: etree._Element, name: str, binding: str, location: str) -> None:
    element = etree.SubElement(parent, q(MD, name))
    element.set("Binding", binding)
    element.set("Location", location)


def signed(root: etree._Element, backend: object, signing_cert: bytes) -> bytes:
    """Sign through pysaml2's SecurityContext (the adapter does the cryptography)."""
    signature = signature_template(root, root.get("ID") or "")
    certificate = signature.find(f"{{{DSIG}}}KeyInfo/{{{DSIG}}}X509Data/{{{DSIG}}}X509Certificate")
    assert certificate is not None
    certificate.text = pem_body(signing_cert)
    context = SecurityContext(backend, key_file="", cert_file="")
    text = context.sign_statement(
        etree.tostring(root, encoding="unicode"), q(MD, "EntityDescriptor"), node_id=root.get("ID")
    )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + str(text).encode("utf-8")


MetadataFactory = Callable[[], bytes]
