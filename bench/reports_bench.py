"""`make bench`, reports part (issue 12): over a year of complaints (1M; QUICK: 20k) on
SQLite and, when it answers, PostgreSQL —
- the dashboard JSON (GET /api/v1/stats/) as a leader (sees all) and a department
  handler (the visibility gate narrows): median ms of several requests and SQL queries
  per request;
- the monthly analysis report of the latest full month: its figures and writing it as
  DOCX + PDF;
- complaint exports to CSV and XLSX of ~100k rows and of all of them, each in a fresh
  process: time, rows/s, RSS before the export and peak RSS (bounded memory: the growth
  does not scale with the rows).
See reports_measure.py for how the data is made; the database is made once and kept
between runs (cache.py: remade when the migrations or reports_measure.py change). Run as
`python bench/reports_bench.py`; TOUSU_BENCH_QUICK=1 makes it a smoke run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cache

ROOT = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"
LABEL = "reports20k" if QUICK else "reports1m"


MEASURE = Path(__file__).with_name("reports_measure.py")
HEADER = ("figure", "value", "unit", "note")


def _child(db: str, *, export_all: bool) -> None:
    """One database's leg: the kept year of complaints (made once, see cache.py), the
    figures measured in a child, then the exports; prints its rows as they come (a leg
    takes minutes)."""
    env, _target, made = cache.kept(db, LABEL, _make, digest=_digest())
    env["TOUSU_LOG_LEVEL"] = "ERROR"
    out = subprocess.run(
        [sys.executable, str(MEASURE)],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        timeout=1800,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["data"] = made
    _print(db, _rows(result))
    sizes = [("small", result["small_export_from"])] + ([("all", "")] if export_all else [])
    for _size, since in sizes:
        for fmt in ("csv", "xlsx"):
            _print(db, [_export_row(fmt, _export(env, fmt, since))], header=False)


def _make(env: dict) -> dict:
    """Migrate the empty database and make the year of complaints; what was made."""
    cache.step("migrate", [sys.executable, "-m", "tousu", "migrate", "-v0"], env)
    out = cache.step("a year of complaints", [sys.executable, str(MEASURE), "seed"], env)
    return json.loads(out.strip().splitlines()[-1])


def _digest() -> str:
    """What the kept year depends on besides the migrations: how it is made."""
    return hashlib.sha256(MEASURE.read_bytes()).hexdigest()[:8]


def _export(env: dict, fmt: str, received_from: str) -> dict:
    """One complaint export by the leader (sees all) in a fresh process: rows, seconds,
    resident set before the export, and the process's peak resident set. Started from
    this small process: a child's peak counts the memory of the process it was forked
    from."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "result.json"
        path = Path(directory) / f"export.{fmt}"
        args = [sys.executable, str(MEASURE), "export", fmt, str(path), "leader", received_from]
        with out.open("w") as sink:
            child = subprocess.Popen(args, stdout=sink, env=env, cwd=ROOT)  # noqa: S603
            _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"export {fmt} from {received_from or 'the start'} failed")
        result = json.loads(out.read_text().strip().splitlines()[-1])
        result["peak_kb"] = usage.ru_maxrss
        result["bytes"] = path.stat().st_size
    return result


def _rows(r: dict) -> list[tuple[str, str, str, str]]:
    d = r["data"]
    rows = [
        ("complaints / complainants", f"{d['complaints']:,} / {d['complainants']:,}", "rows", ""),
        ("deadlines", f"{d['deadlines']:,}", "rows", ""),
        (
            "seeding time",
            f"{d['seed_s'] + d['shape_s'] + d['multiply_s']:.0f}",
            "s",
            ("kept from an earlier run: " if d.get("reused") else "")
            + f"bulk_create {d['seed_s']:.0f} + stages/deadlines {d['shape_s']:.0f} "
            f"+ SQL copies, indexes, analyze {d['multiply_s']:.0f}",
        ),
    ]
    for key, m in r["dashboard"].items():
        user, query = key.split("|")
        rows.append(
            (
                f"stats API, {user}, {query}",
                f"{m['ms']:.0f}",
                "ms",
                f"{m['queries']} SQL queries; {m['received']:,} received; median of "
                f"{m['runs']}" + ("" if m["via"] == "api" else f"; {m['via']}, no HTTP"),
            )
        )
    a = r["analysis"]
    rows += [
        (
            f"analysis figures, {a['period']}",
            f"{a['figures_s']:.2f}",
            "s",
            f"median of {a['runs']}; {a['complaints']:,} complaints in the month",
        ),
        (
            "analysis report written (DOCX + PDF)",
            f"{a['write_s']:.2f}",
            "s",
            " + ".join(f"{fmt} {size // 1024} kB" for fmt, size in a["sizes"].items()),
        ),
    ]
    return rows


def _export_row(fmt: str, e: dict) -> tuple[str, str, str, str]:
    growth = (e["peak_kb"] - e["rss_before_kb"]) / 1024
    return (
        f"export {fmt.upper()} of {e['rows']:,} complaints",
        f"{e['s']:.1f}",
        "s",
        f"{e['rows'] / e['s']:,.0f} rows/s; RSS {e['rss_before_kb'] / 1024:.0f} MB before, "
        f"peak {e['peak_kb'] / 1024:.0f} MB (+{growth:.0f} MB); file {e['bytes'] / 2**20:.0f} MB",
    )


def _width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _print(db: str, rows: list[tuple[str, str, str, str]], *, header: bool = True) -> None:
    for figure, value, unit, note in [HEADER] * header + rows:
        pad = " " * max(0, 46 - _width(figure))
        print(f"{db:<11}{figure}{pad}{value:>18}  {unit:<4}  {note}".rstrip(), flush=True)


def main() -> int:
    started = time.monotonic()
    only = os.environ.get("TOUSU_BENCH_REPORTS_DB", "")  # one leg: sqlite or postgresql
    done = []
    pg = only in ("", "postgresql") and not cache.pg_unreachable()
    # The export of every complaint (minutes) runs on one database: PostgreSQL, the
    # production one, when it answers; the ~100k exports run on both.
    if only in ("", "sqlite"):
        _child("sqlite", export_all=not pg and not only)
        done.append("sqlite")
    if pg:
        _child("postgresql", export_all=True)
        done.append("postgresql")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"reports bench: {', '.join(done)} in {time.monotonic() - started:.0f} s "
        f"({os.cpu_count()} CPUs, load average at the end {load})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
