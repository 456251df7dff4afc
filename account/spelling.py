"""How a value read from the ID card is shown: as the citizen would write it.

The card has names and places in capitals (``HEIDESTRAẞE 17``, ``VON DREBENBUSCH-DALGOẞEN``,
``FRANKFURT (ODER)``). The profile keeps that value unchanged — it is what relying parties
receive as read from the card (docs/EID.md "Spelling") — and shows this form beside it:

* each word (split at blanks, hyphens, slashes, brackets and after a full stop) gets a capital
  first letter and small letters after it; ``ẞ`` becomes ``ß``; combining characters stay with
  their letter (``ÖZM̂EN`` -> ``Özm̂en``);
* name particles (von, zu, van, de …) are written small in names, and small inside place names
  and streets except at the start (``Bad Königshofen i. Grabfeld``, ``Am Markt``);
* leading and doubled blanks are dropped;
* codes (nationality, country, document type, postal code, community id) and dates stay as
  they are, and so does a value that already has small letters (the citizen typed it).

This is a display rule, not a truth: the page shows the card's own spelling as well whenever
the two differ.
"""

from __future__ import annotations

import re

#: Attributes shown in the citizen's spelling (the rest are codes or dates).
CASED = frozenset(
    {
        "given_names",
        "family_names",
        "birth_name",
        "place_of_birth",
        "academic_title",
        "street_address",
        "locality",
    }
)
NAMES = frozenset({"given_names", "family_names", "birth_name"})
NAME_PARTICLES = frozenset(
    {"von", "vom", "zu", "zum", "zur", "und", "van", "der", "den", "de", "di", "da", "du", "ter"}
)
PLACE_PARTICLES = frozenset(
    {"am", "an", "im", "in", "bei", "ob", "unter", "vor", "der", "den", "dem", "i.", "a.", "v."}
)
_WORD = re.compile(r"[^\s\-/().]+\.?")


def as_written(attribute: str, value: str) -> str:
    """The citizen's spelling of the card value ``value`` of ``attribute``."""
    text = " ".join(value.split())
    if attribute not in CASED or text != text.upper():
        return text
    particles = NAME_PARTICLES if attribute in NAMES else PLACE_PARTICLES
    start_small = attribute in NAMES
    out: list[str] = []
    position = 0
    for match in _WORD.finditer(text):
        out.append(text[position : match.start()])
        word = match.group(0).lower()
        first = not text[: match.start()].strip()
        if word in particles and (start_small or not first):
            out.append(word)
        else:
            out.append(_capitalised(word))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _capitalised(word: str) -> str:
    head = word[0].upper()
    return (head if len(head) == 1 else word[0]) + word[1:]
