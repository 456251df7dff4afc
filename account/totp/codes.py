"""TOTP arithmetic (RFC 6238 with the RFC 4226 HOTP algorithm) and recovery codes.

The parameters are the ones every authenticator app supports: HMAC-SHA-1, 6 digits, time step
30 s (RFC 6238 §4, §5.1; the Key Uri Format that apps read from the QR code). The shared secret
has 160 bits from :mod:`secrets` (RFC 4226 §4 R6 recommends 160). A code is accepted for the
current time step and one step either side (RFC 6238 §5.2, a network delay and a phone clock a
little off); which step matched is returned so that the caller refuses a second use of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
#: Time steps accepted either side of the current one (RFC 6238 §5.2).
WINDOW = 1
SECRET_BYTES = 20
ISSUER = "Bürgerportal"

RECOVERY_CODES = 10
#: 16 characters of the RFC 4648 Base32 alphabet: 80 random bits per recovery code.
RECOVERY_LENGTH = 16
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_CODE_RE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """A fresh shared secret, Base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def time_step(now: float) -> int:
    """T = floor((now - T0) / X) with T0 = 0 (RFC 6238 §4.2)."""
    return int(now) // STEP_SECONDS


def normalise_code(code: str) -> str | None:
    """The six digits as typed (blanks removed), or None when it is not a six-digit code."""
    cleaned = re.sub(r"\s", "", code)
    return cleaned if _CODE_RE.fullmatch(cleaned) else None


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within the window whose code is ``code``, or None (constant-time
    comparisons; the current step first, then the earlier, then the later one)."""
    typed = normalise_code(code)
    if typed is None:
        return None
    totp, current = _totp(secret), time_step(now)
    steps: list[int] = [current, *range(current - WINDOW, current)]
    steps += range(current + 1, current + WINDOW + 1)
    for step in steps:
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def provisioning_uri(secret: str, account_name: str) -> str:
    """The ``otpauth://totp/…`` URI the authenticator app reads (Key Uri Format)."""
    return _totp(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret for typing it in by hand, in groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The URI as a QR code, inline SVG (dark on light, quiet zone), hidden from assistive
    technology: the page offers the same as text."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


# --- recovery codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryCode:
    shown: str
    digest: str


def new_recovery_codes(citizen_id: str) -> list[RecoveryCode]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_LENGTH))
        shown = "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))
        codes.append(RecoveryCode(shown, recovery_digest(citizen_id, raw)))
    return codes


def normalise_recovery(code: str) -> str | None:
    """The 16 characters as generated (case, blanks and hyphens ignored), or None."""
    cleaned = re.sub(r"[\s-]", "", code).lower()
    if len(cleaned) != RECOVERY_LENGTH or any(c not in _BASE32 for c in cleaned):
        return None
    return cleaned


def recovery_digest(citizen_id: str, normalised: str) -> str:
    """SHA-256 over the account and the code: 80 random bits need no slow hash."""
    message = b"\x00".join(
        (b"buergerportal/totp-recovery/v1", citizen_id.encode(), normalised.encode())
    )
    return hashlib.sha256(message).hexdigest()
