"""The plain-text table ``make bench`` prints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from measure import Latencies

HEADER = ("database", "measure", "value", "raw DB baseline", "ratio")
FOOTNOTE = """\
ratio: for intake, registrations/s / the ceiling's no-op POSTs/s (goal >= 0.20); for
reads, raw ms / app p50 ms (1.0 = as fast as the bare database). Only 201s count as
registrations. Raw baselines run the same SQL through the driver, with no Django and no
HTTP, as medians of the same number of runs:
- ceiling: the same gunicorn configuration answering POST /api/v1/bench/noop (bench/
  noop_wsgi.py) through the same middleware, django-ninja stack and Bearer auth, same wrk;
- reads: "a + b ms" = the indexed select of the page's 25 rows (ORDER BY received_at DESC,
  id DESC LIMIT 25, joined as the page's select_related; for a search the FTS5 MATCH or
  tsvector @@ filter; filtered: category_id and status not closed/archived) + the capped
  COUNT over at most 10,001 rows a page runs above 10,000; the ratio uses their sum;
- inserts: real complaint rows copied into a scratch table with the complaint table's
  columns, constraints and indexes: "bulk" = executemany in one transaction,
  "1 row/commit" = one INSERT per transaction from one connection;
- server CPU ms per registration: user + system CPU of the gunicorn master and workers
  during the wrk run (from /proc) / registrations."""


@dataclass
class Row:
    measure: str
    value: str
    baseline: str = ""
    ratio: float | None = None


@dataclass
class Report:
    database: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ms(value: float) -> str:
    if value >= 10:
        return f"{value:,.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def latency(result: Latencies, runs: int | None = None) -> str:
    text = f"{ms(result.p50)} / {ms(result.p95)}"
    if runs is not None and len(result.ms) < runs:
        text += f"  (n={len(result.ms)})"  # cut short by the time budget
    return text + (f"  ({result.errors} failed)" if result.errors else "")


def render(reports: list[Report]) -> str:
    lines = [
        (r.database, row.measure, row.value, row.baseline, _ratio(row.ratio))
        for r in reports
        for row in r.rows
    ]
    widths = [max(_width(x) for x in column) for column in zip(HEADER, *lines, strict=True)]
    out = []
    previous = None
    for line in [HEADER, *lines]:
        if previous not in (None, HEADER[0], line[0]):
            out.append("")
        previous = line[0]
        out.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(line)).rstrip())
    out.append("")
    out += [f"{r.database}: {note}" for r in reports for note in r.notes]
    out += ["", FOOTNOTE]
    return "\n".join(out)


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:.3f}" if value >= 0.01 else f"{value:.5f}"


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
