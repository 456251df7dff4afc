"""What every benchmark shares: repeated timing (warm-up, fixed rounds, median) and a table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Config:
    """How much to measure. The defaults give stable figures in about a minute."""

    #: Operations per round (fixed, so runs are comparable).
    n: int = 100
    #: Rounds; the median round is reported.
    rounds: int = 5
    #: Untimed operations of each kind before the first round (caches, lazy imports, pools).
    warmup: int = 10
    #: Also measure through gunicorn over HTTP (starts a server process).
    gunicorn: bool = True


Op = Callable[[], float | None]


def interleaved_rounds(config: Config, ops: Mapping[str, Op]) -> dict[str, list[float]]:
    """Seconds per operation of every round, for each of ``ops``.

    Each op is warmed up, then the rounds run interleaved (one round of each op in turn), so a
    change in the machine's load hits every op alike and differences between them stay fair.
    An op does one operation; when it returns a float, that is the time to count for it (so an
    untimed preparation, like fetching a form, stays out); when it returns None, the whole call
    is timed.
    """
    for op in ops.values():
        for _ in range(config.warmup):
            op()
    results: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(config.rounds):
        for name, op in ops.items():
            results[name].append(_one_round(config.n, op))
    return results


def _one_round(n: int, op: Op) -> float:
    total = 0.0
    for _ in range(n):
        start = time.perf_counter()
        counted = op()
        total += counted if counted is not None else time.perf_counter() - start
    return total / n


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Table:
    """A plain-text table with a title and notes under it."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)

    def render(self) -> str:
        widths = [
            max(len(str(c)) for c in column)
            for column in zip(self.columns, *self.rows, strict=True)
        ]

        def line(cells: Sequence[str]) -> str:
            first, *rest = cells
            parts = [first.ljust(widths[0])]
            parts += [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
            return "  ".join(parts).rstrip()

        rule = "-" * len(line(self.columns))
        out = [self.title, rule, line(self.columns), rule]
        out += [line(r) for r in self.rows]
        out.append(rule)
        out += self.notes
        return "\n".join(out)


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"
