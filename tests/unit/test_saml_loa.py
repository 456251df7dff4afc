"""idp/saml/loa.py: RequestedAuthnContext (SAML Core §3.3.2.2.1) against the performed level."""

from __future__ import annotations

import pytest

from account.identity import Level
from idp.saml import loa
from idp.saml.loa import Comparison, Requested

QAA = {n: f"STORK-QAA-Level-{n}" for n in (1, 2, 3, 4)}
LOW, SUBSTANTIAL, HIGH = (
    "http://eidas.europa.eu/LoA/low",
    "http://eidas.europa.eu/LoA/substantial",
    "http://eidas.europa.eu/LoA/high",
)
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def requested(comparison: str | None, *refs: str) -> Requested:
    found = loa.parse_requested(comparison, list(refs))
    assert found is not None
    return found


# --- parse_requested ----------------------------------------------------------------------


def test_comparison_defaults_to_exact() -> None:
    assert requested(None, QAA[3]) == Requested(Comparison.EXACT, (3,), False)


def test_unknown_comparison_is_malformed() -> None:
    assert loa.parse_requested("sideways", [QAA[1]]) is None
    assert loa.parse_requested("MINIMUM", [QAA[1]]) is None  # xs:token values are exact


def test_both_uri_families_map_to_qaa_ranks() -> None:
    assert requested("minimum", LOW, SUBSTANTIAL, HIGH).ranks == (1, 3, 4)
    assert requested("minimum", *QAA.values()).ranks == (1, 2, 3, 4)
    assert requested("minimum", LOW).eidas and not requested("minimum", QAA[1]).eidas


def test_unknown_class_refs_are_ignored() -> None:
    assert requested("exact", PPT) == Requested(Comparison.EXACT, (), False)
    assert requested("exact", PPT, QAA[4]).ranks == (4,)


# --- satisfied_by, needed_level -----------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "refs", "low", "substantial", "high"),
    [
        ("minimum", (QAA[1],), True, True, True),
        ("minimum", (QAA[2],), False, True, True),
        ("minimum", (QAA[3], QAA[1]), True, True, True),  # at least one of them
        ("minimum", (HIGH,), False, False, True),
        ("exact", (QAA[1],), True, False, False),
        ("exact", (QAA[2],), False, False, False),  # no level of ours is QAA 2
        ("exact", (QAA[1], QAA[4]), True, False, True),
        ("maximum", (QAA[3],), True, True, False),
        ("maximum", (SUBSTANTIAL, QAA[1]), True, True, False),
        ("better", (QAA[1],), False, True, True),
        ("better", (QAA[3],), False, False, True),
        ("better", (QAA[4],), False, False, False),
        ("exact", (), True, True, True),  # nothing asked for
    ],
)
def test_satisfied_by(
    comparison: str, refs: tuple[str, ...], low: bool, substantial: bool, high: bool
) -> None:
    wish = requested(comparison, *refs)
    assert wish.satisfied_by(Level.LOW) is low
    assert wish.satisfied_by(Level.SUBSTANTIAL) is substantial
    assert wish.satisfied_by(Level.HIGH) is high


def test_needed_level_is_the_lowest_that_satisfies_both() -> None:
    assert loa.needed_level(requested("minimum", QAA[1]), Level.LOW) is Level.LOW
    assert loa.needed_level(requested("minimum", QAA[2]), Level.LOW) is Level.SUBSTANTIAL
    assert loa.needed_level(requested("minimum", LOW), Level.HIGH) is Level.HIGH
    assert loa.needed_level(requested("exact", QAA[4]), Level.LOW) is Level.HIGH


def test_the_sp_minimum_cannot_be_lowered_by_a_request() -> None:
    assert loa.needed_level(requested("minimum", QAA[1]), Level.SUBSTANTIAL) is Level.SUBSTANTIAL
    assert loa.needed_level(loa.NOTHING, Level.HIGH) is Level.HIGH
    assert not loa.acceptable(Level.LOW, requested("minimum", QAA[1]), Level.SUBSTANTIAL)


def test_no_level_fits_gives_none() -> None:
    assert loa.needed_level(requested("exact", QAA[2]), Level.LOW) is None
    assert loa.needed_level(requested("maximum", QAA[1]), Level.SUBSTANTIAL) is None
    assert loa.needed_level(requested("exact", QAA[1]), Level.HIGH) is None
    assert loa.needed_level(requested("better", QAA[4]), Level.LOW) is None


def test_acceptable_needs_the_minimum_and_the_request() -> None:
    assert loa.acceptable(Level.HIGH, requested("minimum", QAA[3]), Level.SUBSTANTIAL)
    assert not loa.acceptable(Level.SUBSTANTIAL, requested("minimum", QAA[4]), Level.LOW)
    assert not loa.acceptable(Level.HIGH, requested("maximum", QAA[3]), Level.LOW)
    assert loa.acceptable(Level.LOW, loa.NOTHING, Level.LOW)


# --- class_ref: the performed level, never more ---------------------------------------------


@pytest.mark.parametrize(
    ("performed", "stork", "eidas"),
    [
        (Level.LOW, QAA[1], LOW),
        (Level.SUBSTANTIAL, QAA[3], SUBSTANTIAL),
        (Level.HIGH, QAA[4], HIGH),
    ],
)
def test_class_ref_names_the_performed_level(performed: Level, stork: str, eidas: str) -> None:
    assert loa.class_ref(performed, requested("minimum", QAA[1])) == stork
    assert loa.class_ref(performed, loa.NOTHING) == stork
    assert loa.class_ref(performed, requested("minimum", LOW)) == eidas


@pytest.mark.parametrize("asked", [QAA[4], HIGH, QAA[3]])
def test_class_ref_never_names_what_was_asked_but_not_performed(asked: str) -> None:
    for comparison in ("minimum", "maximum", "exact", "better"):
        assert loa.class_ref(Level.LOW, requested(comparison, asked)) in {QAA[1], LOW}
