"""The hub's keys towards the eID-Server (TR-03130-1 §2.3): the WS-Security signing key and the
TLS client identity, for ``connectors/eid`` — without the key bytes leaving ``certs``.

The signing key is handed out as a loaded ``xmlsec.Key`` (with its certificate), the TLS client
identity as a ready ``ssl.SSLContext``; both are built here from the active key of their purpose
and rebuilt when that key changes (rollover), never per message. Both need an app context (the
keyring reads the key table).
"""

from __future__ import annotations

import os
import ssl
import tempfile
import threading

import xmlsec
from cryptography.hazmat.primitives import serialization

from certs.keyring import KeyRing, PublishedKey
from certs.types import KeyPurpose


def _pem(ring: KeyRing, key: PublishedKey) -> bytes:
    return ring.private_key_of(key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificates_pem(key: PublishedKey) -> bytes:
    certificates = [key.certificate, *key.chain] if key.certificate is not None else []
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


class EidSigningKey:
    """``connectors.eid.wssec.SigningKeySource`` on the active ``eid-wssec`` key."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._lock = threading.Lock()
        self._loaded: tuple[str, xmlsec.Key, bytes] | None = None

    def signing_key(self) -> tuple[xmlsec.Key, bytes]:
        key = self._ring.active(KeyPurpose.EID_WSSEC)
        with self._lock:
            if self._loaded is None or self._loaded[0] != key.id:
                loaded = xmlsec.Key.from_memory(
                    _pem(self._ring, key), xmlsec.constants.KeyDataFormatPem
                )
                cert = key.certificate_pem()
                if cert is None:
                    raise ValueError("the eid-wssec key has no certificate")
                self._loaded = (key.id, loaded, cert)
            return self._loaded[1], self._loaded[2]


class EidTlsIdentity:
    """``connectors.eid.transport.TlsIdentity`` on the active ``eid-tls`` key and its chain;
    the eID-Server's certificate is checked against ``server_ca_pem`` (None: system CAs)."""

    def __init__(self, ring: KeyRing, server_ca_pem: bytes | None) -> None:
        self._ring = ring
        self._server_ca = server_ca_pem
        self._lock = threading.Lock()
        self._built: tuple[str, ssl.SSLContext] | None = None

    def ssl_context(self) -> ssl.SSLContext:
        key = self._ring.active(KeyPurpose.EID_TLS)
        with self._lock:
            if self._built is None or self._built[0] != key.id:
                self._built = (key.id, self._context(key))
            return self._built[1]

    def _context(self, key: PublishedKey) -> ssl.SSLContext:
        cadata = self._server_ca.decode() if self._server_ca is not None else None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cadata)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # ssl loads a client key only from a file: a private one (0600), removed at once.
        with tempfile.TemporaryDirectory(prefix="eid-tls-") as directory:
            path = os.path.join(directory, "identity.pem")
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(_pem(self._ring, key) + b"\n" + _certificates_pem(key))
            context.load_cert_chain(path)
        return context
