"""TOTP arithmetic against RFC 6238 Appendix B (SHA-1 test vectors, the last six digits) and
pyotp as the independent side; recovery codes; the secret sealed under the KEK."""

from __future__ import annotations

import base64
import os

import pyotp
import pytest

from account.totp import codes
from certs import KeyUnavailable
from certs.kek import KeyEncryption
from certs.sealing import SecretSealing

#: RFC 6238 Appendix B: the ASCII seed "12345678901234567890" for HMAC-SHA-1.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("at", "eight_digits"), RFC_VECTORS)
def test_the_rfc_6238_vectors_match_in_their_current_step(at: int, eight_digits: str) -> None:
    code = eight_digits[-6:]
    assert codes.matching_step(RFC_SECRET, code, at) == at // 30


def test_one_step_either_side_matches_and_two_do_not() -> None:
    secret, now = codes.new_secret(), 1_780_000_000.0
    app = pyotp.TOTP(secret)
    assert codes.matching_step(secret, app.at(now - 30), now) == int(now) // 30 - 1
    assert codes.matching_step(secret, app.at(now + 30), now) == int(now) // 30 + 1
    assert codes.matching_step(secret, app.at(now - 60), now) is None
    assert codes.matching_step(secret, app.at(now + 60), now) is None


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "12a456", "１２３４５６", "١٢٣٤٥٦", "-12345"]
)
def test_anything_but_six_ascii_digits_is_no_code(typed: str) -> None:
    assert codes.normalise_code(typed) is None
    assert codes.matching_step(RFC_SECRET, typed, 59) is None


def test_blanks_in_a_code_are_ignored() -> None:
    assert codes.normalise_code(" 287 082 ") == "287082"


def test_a_secret_has_160_bits_and_every_app_reads_the_uri() -> None:
    secret = codes.new_secret()
    assert len(base64.b32decode(secret)) == 20 and "=" not in secret
    parsed = pyotp.parse_uri(codes.provisioning_uri(secret, "erika@example.org"))
    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.secret, parsed.digits, parsed.interval) == (secret, 6, 30)
    assert parsed.issuer == "Bürgerportal" and parsed.name == "erika@example.org"
    assert codes.new_secret() != secret


def test_the_qr_code_is_inline_svg_without_script() -> None:
    svg = codes.qr_svg(codes.provisioning_uri(codes.new_secret(), "erika@example.org"))
    assert svg.startswith('<svg aria-hidden="true" focusable="false" ') and svg.endswith("</svg>")
    assert "<script" not in svg and "<?xml" not in svg


def test_recovery_codes_are_ten_distinct_80_bit_codes_kept_as_digests() -> None:
    made = codes.new_recovery_codes("citizen-1")
    assert len({c.shown for c in made}) == 10
    for code in made:
        assert len(code.shown) == 19 and code.shown.count("-") == 3
        typed = code.shown.upper().replace("-", " ")
        normalised = codes.normalise_recovery(typed)
        assert normalised is not None
        assert codes.recovery_digest("citizen-1", normalised) == code.digest
        assert codes.recovery_digest("citizen-2", normalised) != code.digest


@pytest.mark.parametrize("typed", ["", "abcd", "abcd-efgh-ijkl-mno1", "a" * 17, "ä" * 16])
def test_malformed_recovery_codes_are_refused(typed: str) -> None:
    assert codes.normalise_recovery(typed) is None


def test_a_sealed_secret_opens_only_in_its_context_and_under_a_known_kek() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealing = SecretSealing(KeyEncryption(old))
    sealed = sealing.seal("account.totp:citizen-1", b"JBSWY3DPEHPK3PXP")
    assert b"JBSWY3DPEHPK3PXP" not in sealed.blob
    assert sealing.open("account.totp:citizen-1", sealed) == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(KeyUnavailable):
        sealing.open("account.totp:citizen-2", sealed)  # copied to another account
    rotated = SecretSealing(KeyEncryption(new, [old]))
    assert rotated.open("account.totp:citizen-1", sealed) == b"JBSWY3DPEHPK3PXP"
    assert rotated.current_id != sealed.kek_id
    with pytest.raises(KeyUnavailable):
        SecretSealing(KeyEncryption(new)).open("account.totp:citizen-1", sealed)


def test_a_sealed_secret_never_opens_as_a_private_key() -> None:
    kek = KeyEncryption(os.urandom(32))
    sealed = SecretSealing(kek).seal("k1\x00saml-signing\x00rsa-3072", b"x")
    with pytest.raises(KeyUnavailable):
        kek.unwrap("k1", "saml-signing", "rsa-3072", sealed.blob, sealed.kek_id)
