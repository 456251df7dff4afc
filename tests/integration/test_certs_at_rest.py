"""The database alone never reveals a private key: every column of every row is searched for
every private key of the hub in every encoding we can think of."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask
from sqlalchemy import MetaData, select

from certs import KeyAlgorithm, KeyPurpose
from certs.exports import private_pkcs12
from certs.kek import DEV_KEK_FILE
from certs.lifecycle import Actor, KeyManager
from certs.material import PrivateKey
from core.db import db
from core.settings import Settings
from tests.unit.test_certs_imports import PASSWORD, city_pki, ec_key, pem

ADMIN = Actor("00000000-0000-4000-8000-00000000a0a0", "192.0.2.7", "web")
EXPORT_PASSWORD = "ein langes Export-Passwort"


@pytest.fixture
def keys(app: Flask) -> Iterator[KeyManager]:
    with app.app_context():
        yield app.extensions["certs"]


def database_dump() -> bytes:
    """Every column of every row of every table, as bytes."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    parts: list[bytes] = []
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    else:
                        parts.append(str(value).encode())
    return b"\n".join(parts)


def _b64(data: bytes) -> list[bytes]:
    return [base64.b64encode(data), base64.urlsafe_b64encode(data).rstrip(b"=")]


def _number(value: int) -> list[bytes]:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), str(value).encode(), *_b64(raw)]


def needles(key: PrivateKey) -> list[bytes]:
    """Ways a private key could sit in a database in the clear."""
    found = [b"PRIVATE KEY"]
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
        found += [der, der.hex().encode(), *(b[:48] for b in _b64(der))]
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        for value in (n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp):
            found += _number(value)
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        found += _number(key.private_numbers().private_value)
    return found


def in_clear(dump: bytes, key: PrivateKey) -> list[bytes]:
    return [n for n in needles(key) if n in dump]


def test_the_search_finds_a_key_that_is_there() -> None:
    """Positive control: the search would notice a key stored in the clear."""
    key = ec_key()
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert in_clear(b"xx" + pem(key=key) + b"yy", key)
    assert in_clear(der.hex().encode(), key)
    assert in_clear(str(key.private_numbers().private_value).encode(), key)
    assert not in_clear(b"nothing here", key)


def test_no_private_key_in_the_database(keys: KeyManager, settings: Settings) -> None:
    keys.create(KeyPurpose.EID_TLS, KeyAlgorithm.EC_P256, ADMIN)
    pki, imported = city_pki(), ec_key()
    bundle = pem(pki.leaf(imported), pki.intermediate, key=imported, password=PASSWORD)
    keys.import_key(KeyPurpose.OIDC_SIGNING, bundle, password=PASSWORD, actor=ADMIN)
    keys.rollover(KeyPurpose.SAML_SIGNING, KeyAlgorithm.RSA_3072, ADMIN, reason="Test")

    private_keys: list[PrivateKey] = [imported]
    for row in keys.rows():
        exported = private_pkcs12(keys, row.id, EXPORT_PASSWORD, ADMIN)
        key, _, _ = pkcs12.load_key_and_certificates(exported, EXPORT_PASSWORD.encode())
        assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        private_keys.append(key)
    assert len(private_keys) >= 7

    dump = database_dump()
    assert b"BEGIN CERTIFICATE" in dump and b"BEGIN PUBLIC KEY" in dump  # the dump is real
    for key in private_keys:
        assert in_clear(dump, key) == []
    kek = (settings.var_dir / DEV_KEK_FILE).read_text().strip().encode()
    assert kek not in dump and base64.b64decode(kek) not in dump
