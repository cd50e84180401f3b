"""The plain-text table ``make bench`` prints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from measure import Latencies

HEADER = ("database", "measure", "value", "raw DB baseline", "ratio")
FOOTNOTE = """\
ratio = application speed / raw database speed: req/s / rows/s, or raw ms / app p50 ms
(1.0 = as fast as the bare database). Raw baselines run the same SQL through the driver,
with no Django and no HTTP, as medians of the same number of runs:
- reads: "a + b ms" = the indexed select of the page's 25 rows (ORDER BY received_at DESC,
  id DESC LIMIT 25, joined as the page's select_related; for a search the FTS5 MATCH or
  tsvector @@ filter) + the COUNT(*) behind the pager; the ratio uses their sum;
- inserts: real complaint rows copied into a scratch table with the complaint table's
  columns, constraints and indexes: "bulk" = executemany in one transaction,
  "1 row/commit" = one INSERT per transaction from one connection."""


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


def latency_row(label: str, app: Latencies, rows_ms: float, count_ms: float, runs: int) -> Row:
    """A page's latency beside the raw time of its two queries (25 rows, the count)."""
    raw_ms = rows_ms + count_ms
    return Row(
        f"{label} p50 / p95 ms",
        latency(app, runs),
        f"{ms(rows_ms)} + {ms(count_ms)} ms",
        raw_ms / app.p50 if app.p50 else None,
    )


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
