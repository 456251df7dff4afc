"""Names of the key world: purposes, algorithms, states, and the errors ``certs`` raises.

Strength rules follow BSI TR-02102-1 (2025): RSA moduli of at least 3000 bits (we generate
3072), ECDSA on P-256 or stronger (we support exactly P-256), hash functions of the SHA-2
family; SHA-1 and MD5 signatures are refused.
"""

from __future__ import annotations

from enum import StrEnum

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l


class KeyPurpose(StrEnum):
    SAML_SIGNING = "saml-signing"
    SAML_ENCRYPTION = "saml-encryption"
    OIDC_SIGNING = "oidc-signing"
    EID_WSSEC = "eid-wssec"
    EID_TLS = "eid-tls"


class KeyAlgorithm(StrEnum):
    #: RSA with a modulus of at least 3072 bits (generated keys have exactly 3072).
    RSA_3072 = "rsa-3072"
    #: ECDSA on NIST P-256 (secp256r1).
    EC_P256 = "ec-p256"


class KeyState(StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


#: States whose public key is published (JWKS, SAML metadata) and verifies.
PUBLISHED_STATES = (KeyState.NEXT, KeyState.ACTIVE, KeyState.RETIRED)

#: Which algorithms may serve which purpose. XML Encryption key transport is RSA-OAEP only
#: (ECDH-ES key agreement is not supported by the SPs we talk to), so SAML encryption is RSA.
ALLOWED_ALGORITHMS: dict[KeyPurpose, tuple[KeyAlgorithm, ...]] = {
    KeyPurpose.SAML_SIGNING: (KeyAlgorithm.RSA_3072, KeyAlgorithm.EC_P256),
    KeyPurpose.SAML_ENCRYPTION: (KeyAlgorithm.RSA_3072,),
    KeyPurpose.OIDC_SIGNING: (KeyAlgorithm.RSA_3072, KeyAlgorithm.EC_P256),
    KeyPurpose.EID_WSSEC: (KeyAlgorithm.RSA_3072, KeyAlgorithm.EC_P256),
    KeyPurpose.EID_TLS: (KeyAlgorithm.RSA_3072, KeyAlgorithm.EC_P256),
}

#: Purposes whose keys come with an X.509 certificate (metadata, WS-Security, TLS client).
CERTIFICATE_PURPOSES = frozenset(
    {KeyPurpose.SAML_SIGNING, KeyPurpose.SAML_ENCRYPTION, KeyPurpose.EID_WSSEC, KeyPurpose.EID_TLS}
)

#: JWS algorithms (RFC 7518 §3.1) each key algorithm can produce; a key with exactly one
#: publishes it as the JWK's ``alg``, an RSA key publishes none (it serves both).
JWS_ALGORITHMS: dict[KeyAlgorithm, tuple[str, ...]] = {
    KeyAlgorithm.RSA_3072: ("RS256", "PS256"),
    KeyAlgorithm.EC_P256: ("ES256",),
}

#: Generated RSA keys; imports may be larger, up to ``RSA_MAX_BITS``.
RSA_BITS = 3072
RSA_MIN_BITS = 3072
RSA_MAX_BITS = 8192
RSA_MIN_PUBLIC_EXPONENT = 65537


def is_signing(purpose: KeyPurpose) -> bool:
    return purpose is not KeyPurpose.SAML_ENCRYPTION


def key_algorithm_for_jws(alg: str) -> KeyAlgorithm | None:
    """The key algorithm that signs JWS ``alg``; None for anything else (``none``, ``HS*``)."""
    for key_alg, jws_algs in JWS_ALGORITHMS.items():
        if alg in jws_algs:
            return key_alg
    return None


class CertsError(Exception):
    """Base of every refusal by ``certs``; the message is German-first and shown to admins."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        if has_request_context() or not has_app_context():
            return str(self.message)
        # CLI and scheduled runs: the default language, without asking for a request's
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "de")):
            return str(self.message)


class NoActiveKey(CertsError):  # noqa: N818
    """No active key of the purpose (and algorithm) can sign right now."""

    def __init__(self, purpose: KeyPurpose, alg: str | None = None) -> None:
        super().__init__(
            _l(
                "Kein aktiver Schlüssel für %(purpose)s (%(alg)s).",
                purpose=purpose.value,
                alg=alg or "-",
            )
        )
        self.purpose = purpose
        self.alg = alg


class WeakKey(CertsError):  # noqa: N818
    """The key or certificate is weaker than BSI TR-02102 allows, or of an unsupported kind."""


class ImportRefused(CertsError):  # noqa: N818
    """An upload could not be read or does not fit (password, mismatch, expiry, garbage)."""


class TransitionRefused(CertsError):  # noqa: N818
    """A lifecycle change that is illegal now (wrong state, too early, the last active key)."""


class KeyNotFound(CertsError):  # noqa: N818
    def __init__(self, key_id: str) -> None:
        super().__init__(_l("Diesen Schlüssel gibt es nicht."))
        self.key_id = key_id


class KeyUnavailable(CertsError):  # noqa: N818
    """The stored key cannot be decrypted: wrong or missing key-encryption key."""
