"""Password policy (NIST SP 800-63B-4 §3.1.1.2, OWASP ASVS 5.0 V6.2) and Argon2id hashing.

At least 8 characters, at least 64 (here 256) allowed, any Unicode after NFKC, no composition
rules, never truncated, refused when on the shipped list of common passwords.
"""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher

from account.passwords import PasswordHashing, PasswordPolicy, is_common, normalise
from core.settings import ARGON2_MIN_MEMORY_KIB, Settings

DEFAULTS = Settings()
POLICY = PasswordPolicy(DEFAULTS.password_min_length, DEFAULTS.password_max_length)


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing(
        DEFAULTS.argon2_time_cost, DEFAULTS.argon2_memory_kib, DEFAULTS.argon2_parallelism
    )


# --- length ---------------------------------------------------------------------------------


def test_eight_characters_are_enough() -> None:
    assert POLICY.problems("kxq7#vzp") == []


def test_seven_characters_are_too_short() -> None:
    problems = POLICY.problems("kxq7#vz")
    assert len(problems) == 1 and "mindestens 8 Zeichen" in problems[0]


def test_an_empty_password_is_too_short() -> None:
    assert POLICY.problems("") != []


@pytest.mark.parametrize("length", [64, 200, 256])
def test_long_passwords_are_accepted(length: int) -> None:
    password = ("Ein langer Satz über den Rhein " * 10)[:length]
    assert len(password) == length
    assert POLICY.problems(password) == []


def test_beyond_the_configured_maximum_the_password_is_refused_not_cut() -> None:
    problems = POLICY.problems("x" + "Ein langer Satz " * 20)  # 321 characters
    assert len(problems) == 1 and "höchstens 256 Zeichen" in problems[0]


def test_length_counts_characters_not_bytes() -> None:
    eight_umlauts = "äöüßÄÖÜé"
    assert len(eight_umlauts.encode()) > 8
    assert POLICY.problems(eight_umlauts) == []
    assert POLICY.problems("äöüßÄÖÜ") != []


def test_length_counts_after_normalisation() -> None:
    # U+FB03 (ﬃ) is one character and becomes three under NFKC.
    assert POLICY.problems("ﬃ" + "bqzw7") == []  # 6 code points, 8 after NFKC


# --- no composition rules, any Unicode ------------------------------------------------------


def test_an_all_lowercase_passphrase_needs_no_digits_or_symbols() -> None:
    assert POLICY.problems("korrektes pferd batterie heftklammer") == []


@pytest.mark.parametrize(
    "password",
    [
        "🐕🐈🦔🦉🐝🐞🦋🐢",
        "Straße am Märchenbrunnen",
        "пароль-на-русском",
        "日本語のパスワードです",
        "   leer  zeichen   ",
        "tab\tund\tmehr",
    ],
)
def test_any_unicode_is_allowed(password: str) -> None:
    assert POLICY.problems(password) == []


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password1", "PASSWORD1", "Passwort123", "iloveyou"])
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    problems = POLICY.problems(password)
    assert len(problems) == 1 and "sehr verbreitet" in problems[0]
    assert is_common(password)


def test_common_passwords_are_refused_in_fullwidth_too() -> None:
    fullwidth = "ｐａｓｓｗｏｒｄ１"  # NFKC turns it into password1
    assert is_common(fullwidth)
    assert POLICY.problems(fullwidth) != []


def test_an_uncommon_password_is_not_on_the_list() -> None:
    assert not is_common("Ein langer Satz als Passwort")


def test_a_single_repeated_character_is_refused() -> None:
    assert "wiederholten Zeichen" in POLICY.problems("aaaaaaaaaaaa")[0]
    assert POLICY.problems("aAaAaAaAaAaA") != []


def test_the_email_address_or_its_local_part_is_refused() -> None:
    assert (
        "E-Mail-Adresse"
        in POLICY.problems("erika.mustermann@example.org", "erika.mustermann@example.org")[0]
    )
    assert POLICY.problems("Erika.Mustermann", "erika.mustermann@example.org") != []
    assert POLICY.problems("Erika.Mustermann", "someone@example.org") == []


# --- hashing --------------------------------------------------------------------------------


def test_hashes_are_argon2id_with_the_configured_parameters(hashing: PasswordHashing) -> None:
    stored = hashing.hash("Ein langer Satz als Passwort")
    assert stored.startswith("$argon2id$v=19$")
    assert f"m={ARGON2_MIN_MEMORY_KIB},t=2,p=1" in stored
    assert "Ein langer Satz" not in stored


def test_the_same_password_hashes_differently_each_time(hashing: PasswordHashing) -> None:
    assert hashing.hash("Ein langer Satz") != hashing.hash("Ein langer Satz")


def test_the_right_password_verifies_and_a_wrong_one_does_not(hashing: PasswordHashing) -> None:
    stored = hashing.hash("Ein langer Satz als Passwort")
    assert hashing.verify(stored, "Ein langer Satz als Passwort")
    assert not hashing.verify(stored, "Ein langer Satz als passwort")
    assert not hashing.verify(stored, "")


@pytest.mark.parametrize("length", [64, 100, 200])
def test_long_passwords_are_never_truncated(hashing: PasswordHashing, length: int) -> None:
    password = ("Die Würde des Menschen ist unantastbar. " * 6)[: length - 1] + "A"
    other = password[:-1] + "B"
    stored = hashing.hash(password)
    assert hashing.verify(stored, password)
    assert not hashing.verify(stored, other), "only the last character differs"


def test_composed_and_decomposed_characters_are_the_same_password(
    hashing: PasswordHashing,
) -> None:
    composed = "Caf\u00e9 au lait am Rhein"
    decomposed = "Cafe\u0301 au lait am Rhein"
    assert composed != decomposed
    assert unicodedata.normalize("NFC", decomposed) == composed
    stored = hashing.hash(composed)
    assert hashing.verify(stored, decomposed)
    assert hashing.verify(hashing.hash(decomposed), composed)


def test_fullwidth_characters_are_the_same_password(hashing: PasswordHashing) -> None:
    stored = hashing.hash("Ｓｃｈｌｏｓｓ ２０２６")
    assert hashing.verify(stored, "Schloss 2026")
    assert normalise("Ｓｃｈｌｏｓｓ") == "Schloss"


def test_emoji_and_spaces_verify(hashing: PasswordHashing) -> None:
    stored = hashing.hash("  🐕 mein Hund heißt Bello 🐕  ")
    assert hashing.verify(stored, "  🐕 mein Hund heißt Bello 🐕  ")
    assert not hashing.verify(stored, "🐕 mein Hund heißt Bello 🐕"), "spaces are not stripped"


def test_an_unknown_account_never_verifies(hashing: PasswordHashing) -> None:
    assert hashing.verify(None, "not-a-password-of-anyone") is False
    assert hashing.verify(None, "anything at all") is False


def test_a_corrupt_stored_hash_does_not_verify_or_raise(hashing: PasswordHashing) -> None:
    assert hashing.verify("not a hash", "Ein langer Satz") is False
    assert hashing.verify("$argon2id$v=19$m=19456,t=2,p=1$broken", "Ein langer Satz") is False


def test_hashes_with_weaker_parameters_need_a_rehash(hashing: PasswordHashing) -> None:
    stronger = PasswordHashing(3, ARGON2_MIN_MEMORY_KIB, 1)
    old = hashing.hash("Ein langer Satz")
    assert not hashing.needs_rehash(old)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, "Ein langer Satz"), "old hashes still verify"
    assert not stronger.needs_rehash(stronger.hash("Ein langer Satz"))


def test_an_argon2i_hash_would_be_replaced_by_argon2id(hashing: PasswordHashing) -> None:
    from argon2 import Type

    argon2i = PasswordHasher(time_cost=2, memory_cost=ARGON2_MIN_MEMORY_KIB, type=Type.I)
    assert hashing.needs_rehash(argon2i.hash("Ein langer Satz"))


def test_a_stronger_hash_is_never_replaced_by_a_weaker_one(hashing: PasswordHashing) -> None:
    stronger = PasswordHashing(3, ARGON2_MIN_MEMORY_KIB * 2, 1)
    assert not hashing.needs_rehash(stronger.hash("Ein langer Satz"))


def test_an_unreadable_stored_hash_is_replaced_at_the_next_login(hashing: PasswordHashing) -> None:
    assert hashing.needs_rehash("not a hash")
