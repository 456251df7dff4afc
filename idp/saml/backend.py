"""pysaml2 ``CryptoBackend`` on the hub's in-process XML security (``certs.xmlsig``).

pysaml2's default backend writes every message and key to temporary files and runs the
``xmlsec1`` program for each signature; this adapter hands the work to
:class:`certs.xmlsig.XmlSecurity` instead, where the private keys stay in memory (loaded once per
process). ``key_file`` arguments are ignored: our keys are chosen by purpose. Encryption
ignores pysaml2's template (which asks for 3DES and a session key type of its choosing) and
always uses AES-256-GCM with RSA-OAEP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree
from saml2.sigver import CryptoBackend, DecryptError, EncryptError, SignatureError

from certs.xmlsig import XmlSecurity, XmlSecurityError
from core import safexml
from idp.saml import keys


def _text(statement: Any) -> bytes:
    if isinstance(statement, bytes):
        return statement
    return str(statement).encode("utf-8")


class InProcessBackend(CryptoBackend):  # type: ignore[misc]
    """The crypto backend pysaml2 calls; every operation goes to ``XmlSecurity``."""

    def __init__(self, xml_security: XmlSecurity, max_bytes: int) -> None:
        super().__init__()
        self._xs = xml_security
        self._max = max_bytes

    @property
    def version(self) -> str:
        import xmlsec

        return str(getattr(xmlsec, "__version__", "1"))

    def sign_statement(
        self, statement: Any, node_name: str, key_file: Any, node_id: str | None
    ) -> str:
        """Sign the element with ID ``node_id`` whose template pysaml2 prepared."""
        try:
            root = safexml.parse(_text(statement), max(self._max, 4 * 1024 * 1024))
            self._xs.sign(keys.SIGNING, root, node_id or root.get("ID") or "")
        except (XmlSecurityError, safexml.UnsafeXml) as exc:
            raise SignatureError(str(exc)) from exc
        return etree.tostring(root, encoding="unicode")

    def validate_signature(
        self, signedtext: Any, cert_file: str, cert_type: str, node_name: str, node_id: str
    ) -> bool:
        """Strict verification (``XmlSecurity.verify``) with the SP's certificate that pysaml2
        took from the SP's metadata (it passes a file name)."""
        if cert_type != "pem":
            raise SignatureError("only PEM certificates")
        certificate = Path(cert_file).read_bytes()
        try:
            root = safexml.parse(_text(signedtext), self._max)
            self._xs.verify(root, node_id, certificate)
        except (XmlSecurityError, safexml.UnsafeXml) as exc:
            raise SignatureError(str(exc)) from exc
        return True

    def encrypt_assertion(
        self,
        statement: Any,
        enc_key: str,
        template: Any,
        key_type: str = "",
        node_xpath: str | None = None,
        node_id: str | None = None,
    ) -> str:
        from idp.saml.assemble import encrypt_assertion

        certificate = Path(enc_key).read_bytes()
        try:
            root = safexml.parse(_text(statement), 4 * 1024 * 1024)
            encrypt_assertion(self._xs, root, certificate)
        except (XmlSecurityError, safexml.UnsafeXml) as exc:
            raise EncryptError(str(exc)) from exc
        return etree.tostring(root, encoding="unicode")

    def encrypt(self, text: Any, recv_key: str, template: Any, key_type: str) -> str:
        raise EncryptError("only assertions are encrypted")

    def decrypt(self, enctext: Any, key_file: Any) -> str:
        """Decrypt every ``xenc:EncryptedData`` in the document with our encryption key."""
        try:
            root = safexml.parse(_text(enctext), self._max)
            found = root.iter("{http://www.w3.org/2001/04/xmlenc#}EncryptedData")
            for encrypted in list(found):
                self._xs.decrypt(keys.ENCRYPTION, encrypted)
        except (XmlSecurityError, safexml.UnsafeXml) as exc:
            raise DecryptError(str(exc)) from exc
        return etree.tostring(root, encoding="unicode")
