"""The keyring: what the rest of the hub asks to sign, verify and publish.

One :class:`KeyRing` per app (``current_app.extensions["keyring"]``). It keeps a snapshot of
the key table and the private keys it has needed, decrypted and loaded once per process.
Every lifecycle change raises a counter in the database; a process looks at that counter at
most every ``CERTS_CACHE_CHECK_SECONDS`` (by the app's clock) and reloads the snapshot when it
moved (its own changes are seen at once). Private keys of keys that stay are kept across
reloads.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app

from certs import jws, material, models
from certs.kek import KeyEncryption
from certs.material import PrivateKey, PublicKey
from certs.types import (
    JWS_ALGORITHMS,
    PUBLISHED_STATES,
    KeyAlgorithm,
    KeyPurpose,
    KeyState,
    NoActiveKey,
    is_signing,
    key_algorithm_for_jws,
)
from core.clock import Clock

#: JWK ``alg`` of encryption keys (RFC 7518 §4.3). A signing key names its JWS algorithm only
#: when it has exactly one (EC P-256: ES256); an RSA signing key serves RS256 and PS256, so its
#: JWK carries no ``alg`` (RFC 7517 §4.4: OPTIONAL) and verifiers accept either for it.
ENCRYPTION_JWK_ALG = "RSA-OAEP-256"


@dataclass(frozen=True)
class PublishedKey:
    """A snapshot of one stored key: public material, and the sealed private key."""

    id: str
    purpose: KeyPurpose
    algorithm: KeyAlgorithm
    key_size: int
    state: KeyState
    kid: str
    fingerprint: str
    public_key: PublicKey
    certificate: x509.Certificate | None
    chain: tuple[x509.Certificate, ...]
    origin: str
    created_at: datetime
    not_before: datetime
    not_after: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    wrapped_key: bytes = field(repr=False)
    kek_id: str = field(repr=False)

    @property
    def jws_algorithms(self) -> tuple[str, ...]:
        return JWS_ALGORITHMS[self.algorithm]

    @property
    def jwk_alg(self) -> str | None:
        """The JWK's ``alg``: None for a signing key that serves several JWS algorithms."""
        if not is_signing(self.purpose):
            return ENCRYPTION_JWK_ALG
        return self.jws_algorithms[0] if len(self.jws_algorithms) == 1 else None

    def certificate_pem(self) -> bytes | None:
        if self.certificate is None:
            return None
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class SamlKeyDescriptor:
    """What a SAML metadata ``<md:KeyDescriptor>`` needs (SAML Metadata §2.4.1.1)."""

    use: Literal["signing", "encryption"]
    #: Base64 of the certificate's DER, for ``<ds:X509Certificate>``.
    certificate: str
    state: KeyState
    kid: str
    fingerprint: str
    not_after: datetime
    algorithm: KeyAlgorithm


def snapshot_of(row: models.ManagedKey) -> PublishedKey:
    public_key = serialization.load_pem_public_key(row.public_key.encode())
    assert isinstance(public_key, PublicKey)
    certificate = (
        x509.load_pem_x509_certificate(row.certificate.encode()) if row.certificate else None
    )
    chain = tuple(x509.load_pem_x509_certificates(row.chain.encode())) if row.chain else ()
    return PublishedKey(
        id=row.id,
        purpose=KeyPurpose(row.purpose),
        algorithm=KeyAlgorithm(row.algorithm),
        key_size=row.key_size,
        state=KeyState(row.state),
        kid=row.kid,
        fingerprint=row.fingerprint,
        public_key=public_key,
        certificate=certificate,
        chain=chain,
        origin=row.origin,
        created_at=row.created_at,
        not_before=row.not_before,
        not_after=row.not_after,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
        wrapped_key=row.wrapped_key,
        kek_id=row.kek_id,
    )


_STATE_ORDER = {KeyState.ACTIVE: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}


class KeyRing:
    def __init__(self, kek: KeyEncryption, clock: Clock, check_seconds: int) -> None:
        self._kek = kek
        self._clock = clock
        self._check_seconds = check_seconds
        self._lock = threading.RLock()
        self._keys: tuple[PublishedKey, ...] | None = None
        self._version = -1
        self._checked = 0.0
        self._private: dict[str, PrivateKey] = {}

    # --- the snapshot --------------------------------------------------------------------

    def invalidate(self) -> None:
        """Reload on next use (called after every lifecycle change in this process)."""
        with self._lock:
            self._keys = None

    def remember(self, key_id: str, private_key: PrivateKey) -> None:
        """Keep a key this process has just created or imported (no need to decrypt it)."""
        with self._lock:
            self._private[key_id] = private_key

    def _snapshot(self) -> tuple[PublishedKey, ...]:
        with self._lock:
            now = self._clock.now()
            fresh = 0 <= now - self._checked < self._check_seconds
            if self._keys is not None and fresh:
                return self._keys
            version = models.current_version()
            self._checked = now
            if self._keys is None or version != self._version:
                self._keys = tuple(snapshot_of(row) for row in models.all_keys())
                self._version = version
                kept = {k.id for k in self._keys}
                self._private = {i: k for i, k in self._private.items() if i in kept}
            return self._keys

    def published(
        self, purpose: KeyPurpose | None = None, states: Iterable[KeyState] = PUBLISHED_STATES
    ) -> list[PublishedKey]:
        wanted = frozenset(states)
        found = [
            k
            for k in self._snapshot()
            if k.state in wanted and (purpose is None or k.purpose is purpose)
        ]
        return sorted(found, key=lambda k: (_STATE_ORDER[k.state], k.created_at, k.id))

    def active(self, purpose: KeyPurpose, algorithm: KeyAlgorithm | None = None) -> PublishedKey:
        for key in self.published(purpose, (KeyState.ACTIVE,)):
            if algorithm is None or key.algorithm is algorithm:
                return key
        raise NoActiveKey(purpose, algorithm.value if algorithm else None)

    def by_kid(self, purpose: KeyPurpose, kid: str) -> PublishedKey | None:
        return next((k for k in self.published(purpose) if k.kid == kid), None)

    def private_key_of(self, key: PublishedKey) -> PrivateKey:
        """The loaded private key (decrypted once per process and key)."""
        with self._lock:
            loaded = self._private.get(key.id)
            if loaded is None:
                der = self._kek.unwrap(
                    key.id, key.purpose.value, key.algorithm.value, key.wrapped_key, key.kek_id
                )
                loaded = material.load_private_der(der)
                self._private[key.id] = loaded
            return loaded

    # --- JOSE ----------------------------------------------------------------------------

    def jwks(self, purpose: KeyPurpose = KeyPurpose.OIDC_SIGNING) -> dict[str, Any]:
        """The JWK Set (RFC 7517 §5) of every published key of ``purpose``: public only."""
        use = "sig" if is_signing(purpose) else "enc"
        keys = [
            material.public_jwk(
                k.public_key,
                kid=k.kid,
                use=use,
                alg=k.jwk_alg,
                chain=[k.certificate, *k.chain] if k.certificate else None,
            )
            for k in self.published(purpose)
        ]
        return {"keys": keys}

    def available_algorithms(self, purpose: KeyPurpose) -> list[str]:
        """Every JWS algorithm an active key of ``purpose`` signs now (RSA: RS256 and PS256)."""
        found = (a for k in self.published(purpose, (KeyState.ACTIVE,)) for a in k.jws_algorithms)
        return list(dict.fromkeys(found))

    def sign_jwt(
        self,
        purpose: KeyPurpose,
        claims: dict[str, Any],
        *,
        alg: str = "RS256",
        headers: dict[str, Any] | None = None,
    ) -> str:
        """A JWS compact serialisation (RFC 7515 §7.1) by the active key fitting ``alg``.

        ``RS256`` and ``PS256`` are both signed by the active RSA key, whose JWK names no
        ``alg``, so a verifier holding our JWKS accepts either.
        """
        key_algorithm = key_algorithm_for_jws(alg)
        if key_algorithm is None:
            raise ValueError(f"unsupported JWS algorithm {alg!r}")
        key = self.active(purpose, key_algorithm)
        header = {k: v for k, v in (headers or {}).items() if k not in {"alg", "kid"}}
        header["kid"] = key.kid
        return jwt.encode(claims, self.private_key_of(key), algorithm=alg, headers=header)

    def decode_jwt(
        self,
        purpose: KeyPurpose,
        token: str,
        *,
        audience: str | None,
        issuer: str | None,
        algorithms: list[str] | None = None,
        leeway: int = 0,
    ) -> dict[str, Any]:
        """Verify a JWS signed by one of our published keys; see :func:`certs.jws.decode`."""
        return jws.decode(
            token,
            lambda kid: self.by_kid(purpose, kid),
            now=self._clock.now(),
            audience=audience,
            issuer=issuer,
            algorithms=algorithms,
            leeway=leeway,
        )

    # --- SAML ----------------------------------------------------------------------------

    def saml_key_descriptors(self) -> list[SamlKeyDescriptor]:
        """Signing and encryption certificates, current (active) and next, for metadata.

        Retired keys are left out of metadata; they still decrypt until they are removed.
        """
        uses: tuple[tuple[KeyPurpose, Literal["signing", "encryption"]], ...] = (
            (KeyPurpose.SAML_SIGNING, "signing"),
            (KeyPurpose.SAML_ENCRYPTION, "encryption"),
        )
        return [
            SamlKeyDescriptor(
                use=use,
                certificate=base64.b64encode(material.cert_der(k.certificate)).decode(),
                state=k.state,
                kid=k.kid,
                fingerprint=k.fingerprint,
                not_after=k.not_after,
                algorithm=k.algorithm,
            )
            for purpose, use in uses
            for k in self.published(purpose, (KeyState.ACTIVE, KeyState.NEXT))
            if k.certificate is not None
        ]

    # --- certs.xmlsig.KeySource ------------------------------------------------------------

    def current_certificate(self, purpose: Hashable) -> bytes:
        """PEM of the active certificate of ``purpose`` (RSA preferred when both are active)."""
        wanted = KeyPurpose(str(purpose))
        for key in self.published(wanted, (KeyState.ACTIVE,)):
            pem = key.certificate_pem()
            if pem is not None:
                return pem
        raise NoActiveKey(wanted)

    def private_key(self, purpose: Hashable, certificate_pem: bytes) -> bytes:
        """PKCS#8 PEM of the key of ``certificate_pem``: only for :mod:`certs.xmlsig`, which
        hands it to libxmlsec1 once per process; nothing outside ``certs`` calls this."""
        wanted = KeyPurpose(str(purpose))
        target = x509.load_pem_x509_certificate(certificate_pem)
        for key in self.published(wanted):
            if key.certificate is not None and key.certificate == target:
                return self.private_key_of(key).private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
        raise NoActiveKey(wanted)


def keyring() -> KeyRing:
    """The app's keyring (built once per app by :func:`certs.init_certs`)."""
    ring: KeyRing = current_app.extensions["keyring"]
    return ring
