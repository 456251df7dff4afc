"""RestrictedID as AusweisApp's simulator computes it (TR-03110-2 Restricted Identification):
SHA-256 of the x-coordinate of ECDH(brainpoolP256r1, card private key, sector public key).

Keys of the simulated world are derived deterministically, so a test card always has the same
pseudonym at the same service:

* card key   = HKDF-SHA256(ikm = "<card id>#<generation>", salt = "buergerportal eid simulator",
  info = "card key") reduced into [1, n-1]. A new card of the same person is generation 2, 3, …:
  a different key, hence a different RestrictedID (the citizen must link the new card).
* sector key = the same derivation with ikm = the sector named in the service's authorization
  certificate and info = "sector key"; its public key is the sector public key.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Order of the brainpoolP256r1 base point (RFC 5639 §3.4).
BRAINPOOL_P256R1_ORDER = 0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7
_SALT = b"buergerportal eid simulator"


def _derive(ikm: str, info: bytes) -> ec.EllipticCurvePrivateKey:
    material = HKDF(algorithm=hashes.SHA256(), length=40, salt=_SALT, info=info).derive(
        ikm.encode()
    )
    scalar = int.from_bytes(material, "big") % (BRAINPOOL_P256R1_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.BrainpoolP256R1())


def card_key(card_id: str, generation: int = 1) -> ec.EllipticCurvePrivateKey:
    return _derive(f"{card_id}#{generation}", b"card key")


def sector_public_key(sector: str) -> ec.EllipticCurvePublicKey:
    return _derive(sector, b"sector key").public_key()


def restricted_id(card_id: str, generation: int, sector: str) -> str:
    """Upper-case hex of the 32-byte pseudonym."""
    shared_x = card_key(card_id, generation).exchange(ec.ECDH(), sector_public_key(sector))
    return hashlib.sha256(shared_x).hexdigest().upper()
