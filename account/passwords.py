"""Password policy and hashing.

Policy per NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 V6.2: at least ``min_length``
(default 8; the page suggests 12) and up to ``max_length`` (≥ 64) Unicode code points after
NFKC normalisation; no composition rules; never truncated; rejected when on the shipped list of
common passwords, when it is only one repeated character, or when it is the e-mail address.

Hashing with Argon2id (RFC 9106) through argon2-cffi; parameters come from the settings and a
hash made with weaker parameters is replaced on the next successful login.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION
from flask_babel import gettext as _

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


def normalise(password: str) -> str:
    """NFKC, as NIST SP 800-63B-4 §3.1.1.2 asks for Unicode passwords."""
    return unicodedata.normalize("NFKC", password)


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    return normalise(password).casefold() in _common()


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    max_length: int

    def problems(self, password: str, email: str = "") -> list[str]:
        """Citizen-facing reasons to refuse ``password`` (empty when acceptable)."""
        value = normalise(password)
        if len(value) < self.min_length:
            return [_("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=self.min_length)]
        if len(value) > self.max_length:
            return [_("Das Passwort darf höchstens %(n)d Zeichen lang sein.", n=self.max_length)]
        folded = value.casefold()
        if len(set(folded)) == 1:
            return [_("Das Passwort besteht nur aus einem wiederholten Zeichen.")]
        if folded in _common():
            return [_("Dieses Passwort ist sehr verbreitet und leicht zu erraten.")]
        if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
            return [_("Das Passwort darf nicht Ihre E-Mail-Adresse sein.")]
        return []


class PasswordHashing:
    """Argon2id hashing with settings-driven cost; verification in constant work."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against for unknown accounts, so they cost the same as known ones.
        self._dummy = self._hasher.hash("not-a-password-of-anyone")

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalise(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True on match. With ``stored_hash`` None the work is done anyway (no timing leak)."""
        target = stored_hash or self._dummy
        try:
            ok = self._hasher.verify(target, normalise(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` is weaker than the configured parameters.

        Only ever upwards: a worker still running with older, lower settings (rolling upgrade)
        must not replace a hash that a newer worker already strengthened.
        """
        try:
            stored = extract_parameters(stored_hash)
        except InvalidHashError:
            return True
        wanted = self._hasher
        return (
            stored.type is not Type.ID
            or stored.version < ARGON2_VERSION
            or stored.memory_cost < wanted.memory_cost
            or stored.time_cost < wanted.time_cost
            or stored.parallelism < wanted.parallelism
            or stored.hash_len < wanted.hash_len
            or stored.salt_len < wanted.salt_len
        )
