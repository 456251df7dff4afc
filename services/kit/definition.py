"""A service as data: its fields, prefill, level, fee, workflow, login protocol.

Each city service is one small module that builds a :class:`Service`; the kit does the rest
(login, form, payment, receipt, back office, status push).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from services.kit.i18n import _, _l

Protocol = Literal["oidc", "saml"]
Kind = Literal["text", "date", "select", "textarea", "number", "persons", "checkbox", "file"]
#: Extra check of a whole application: returns (field, message) problems.
Rule = Callable[[dict[str, str]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind = "text"
    required: bool = True
    #: Internal attribute name (DESIGN.md table) this field is prefilled from.
    prefill: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int = 200
    pattern: str | None = None
    pattern_message: str = ""
    hint: str = ""
    autocomplete: str | None = None
    #: For dates: allowed range in days from today (None: open).
    min_days: int | None = None
    max_days: int | None = None
    #: For numbers.
    min_value: int | None = None
    max_value: int | None = None
    #: For ``persons``: how many at most (each: names and date of birth).
    max_items: int = 0
    section: str = ""
    #: Only for one choice of another field, e.g. ``("vorgang", "abmeldung")``: otherwise the
    #: field is neither checked nor stored nor shown on the receipt.
    when: tuple[str, str] | None = None

    def applies(self, data: Mapping[str, object]) -> bool:
        """Whether this field belongs to the application ``data`` (its ``when`` choice)."""
        return self.when is None or data.get(self.when[0]) == self.when[1]

    def check(self, raw: str, today: date) -> str | None:
        """The problem with ``raw`` (a German message), or None."""
        value = raw.strip()
        if not value:
            return _("Bitte ausfüllen.") if self.required else None
        if len(value) > self.max_length:
            return _("Höchstens %(n)d Zeichen.", n=self.max_length)
        if self.kind == "select" and value not in {c for c, _ in self.choices}:
            return _("Bitte eine der Möglichkeiten wählen.")
        if self.kind == "date":
            return _date_problem(value, today, self.min_days, self.max_days)
        if self.kind == "number":
            return _number_problem(value, self.min_value, self.max_value)
        if self.pattern and not re.fullmatch(self.pattern, value):
            return str(self.pattern_message) or _("Bitte prüfen Sie das Format.")
        return None


def _date_problem(value: str, today: date, lo: int | None, hi: int | None) -> str | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return _("Bitte ein Datum (TT.MM.JJJJ) angeben.")
    if lo is not None and (day - today).days < lo:
        return _("Dieses Datum liegt zu früh.")
    if hi is not None and (day - today).days > hi:
        return _("Dieses Datum liegt zu spät.")
    return None


def _number_problem(value: str, lo: int | None, hi: int | None) -> str | None:
    if not value.isdigit():
        return _("Bitte eine ganze Zahl angeben.")
    number = int(value)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        return _("Erlaubt sind %(lo)s bis %(hi)s.", lo=lo, hi=hi)
    return None


@dataclass(frozen=True)
class Fee:
    """The fee comes from configuration (``fees.toml``): ``by_field`` picks the entry by a
    field's value (e.g. simple/extended certificate); otherwise the entry ``default``."""

    by_field: str | None = None


@dataclass(frozen=True)
class FreeQuota:
    """Free up to N applications per citizen and calendar year, then a fee (SERVICES.md:
    Sperrmüll). N and the fee come from configuration (``fees.toml``: ``frei_pro_jahr``,
    ``gebuehr_je_weitere``); the year is the calendar year of the date field ``year_field``
    (e.g. the requested pickup date, since the statute limits pickups per year)."""

    year_field: str
    #: What is counted, for the citizen: e.g. "Gebührenfreie Abholungen".
    label: str
    #: Which year counts, in a sentence for the form.
    year_hint: str = ""


#: The common clerk workflow (SERVICES.md): state -> states it may move to.
COMMON_WORKFLOW: dict[str, tuple[str, ...]] = {
    "eingegangen": ("in_bearbeitung", "abgelehnt"),
    "in_bearbeitung": ("rueckfrage", "abgeschlossen", "abgelehnt"),
    "rueckfrage": ("in_bearbeitung", "abgelehnt"),
    "abgeschlossen": ("archiviert",),
    "abgelehnt": ("archiviert",),
    "archiviert": (),
}
STATE_LABELS = {
    "eingegangen": _l("Eingegangen"),
    "in_bearbeitung": _l("In Bearbeitung"),
    "rueckfrage": _l("Rückfrage"),
    "abgeschlossen": _l("Abgeschlossen"),
    "abgelehnt": _l("Abgelehnt"),
    "archiviert": _l("Archiviert"),
}
#: Changes into these states need a note for the citizen.
NOTE_REQUIRED = frozenset({"rueckfrage", "abgelehnt"})
#: A rejected application gives its free place in the yearly quota back.
REJECTED = "abgelehnt"


@dataclass(frozen=True)
class CertificateText:
    """What a certificate says (German: official documents are issued in German)."""

    #: E.g. "Erweiterte Meldebescheinigung".
    title: str
    legal_basis: str
    #: The sentence above the data, e.g. what the authority certifies.
    statement: str
    rows: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Certificate:
    """The document a completed application yields (SERVICES.md "outcome"): issued when the
    clerk moves the application to ``abgeschlossen`` (services/kit/certificate.py)."""

    #: Shown on the pages (translated there); the document itself is always German.
    name: str
    #: The issuing office within the city, e.g. "Bürgeramt – Meldebehörde".
    office: str
    #: (the service, the application's data) -> the text; called with German as the locale.
    text: Callable[[Service, Mapping[str, Any]], CertificateText]
    #: Whether the citizen downloads it (else it goes by post: the clerk prints it).
    online: Callable[[Mapping[str, Any]], bool] = lambda data: True
    #: The ASCII start of the file name, e.g. "Meldebescheinigung".
    file_name: str = "Bescheinigung"


@dataclass(frozen=True)
class Service:
    key: str
    title: str
    protocol: Protocol
    level: str
    fields: tuple[Field, ...]
    #: Short prefix of reference numbers, e.g. "SPM".
    prefix: str
    intro: str = ""
    legal_basis: str = ""
    fee: Fee | None = None
    #: Free up to N a year, then a fee (instead of ``fee``).
    free_quota: FreeQuota | None = None
    workflow: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(COMMON_WORKFLOW))
    rules: tuple[Rule, ...] = ()
    #: Attributes the service needs from the hub (its release list there).
    attributes: tuple[str, ...] = ()
    #: The document issued on completion, if the service has one.
    certificate: Certificate | None = None

    @property
    def clerk_role(self) -> str:
        return f"clerk:{self.key}"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def prefilled(self) -> dict[str, str]:
        return {f.name: f.prefill for f in self.fields if f.prefill}
