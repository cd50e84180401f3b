"""``make bench``: intake rate and list/search latency on SQLite and PostgreSQL.

For each database:
- intake (``intake.py``) on a scratch database: POST /api/v1/complaints driven by wrk at
  concurrency 8 under several gunicorn configurations, each beside the framework's
  ceiling (a no-op POST through the same stack and auth) and the raw database's
  one-row-per-commit insert rate; SQL queries and CPU ms per registration;
- reads (``reads.py``) over the kept read set (1M complaints, seeded once per migration
  state, see ``cache.py``): list pages, API list, keyset page, search for a rare, a medium
  and a very common term, beside the raw indexed select.
PostgreSQL is measured when it answers at ``TOUSU_TEST_DATABASE_URL``. Other ``TOUSU_*``
variables (e.g. ``TOUSU_DB_CONN_MAX_AGE``) pass through to the server. Figures are
reported, never asserted. ``--quick`` is ``make bench-quick``: a small read set, short
runs, two server configurations.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import cache
import intake
import measure
import reads
import wrk
from report import Report, render
from server import ServerError


def bench_database(vendor: str, intake_opts, read_opts) -> Report:
    report = Report(vendor)
    rows, notes = intake.bench_intake(vendor, intake_opts)
    report.rows += rows
    report.notes += notes
    found = reads.bench_reads(vendor, read_opts)
    rows, notes = reads.rows(found, read_opts)
    report.rows += rows
    report.notes += notes
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="make bench-quick: small, short")
    parser.add_argument("--complaints", type=int, help="size of the kept read set")
    parser.add_argument("--intake-seed", type=int, help="complaints in the intake database")
    parser.add_argument("--seconds", type=float, help="length of each wrk run")
    parser.add_argument("--runs", type=int, help="requests per latency figure")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], action="append", dest="databases"
    )
    args = parser.parse_args()
    quick = args.quick
    intake_opts = intake.IntakeOptions(
        seed=args.intake_seed or (2_000 if quick else 10_000),
        seconds=args.seconds or (5.0 if quick else 20.0),
        warmup_seconds=2.0 if quick else 3.0,
        configs=list(intake.QUICK_CONFIGS if quick else intake.CONFIGS),
        in_process=50 if quick else 200,
        raw_bulk_rows=5_000 if quick else 20_000,
        raw_single_rows=300 if quick else 1_000,
    )
    read_opts = reads.ReadOptions(
        complaints=args.complaints or (20_000 if quick else 1_000_000),
        runs=args.runs or (10 if quick else reads.ReadOptions().runs),
    )
    if why := wrk.available():
        print(f"bench: {why}", file=sys.stderr)
        return 1

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    reports: list[Report] = []
    skipped: list[str] = []
    for vendor in args.databases or ["sqlite", "postgresql"]:
        if vendor == "postgresql" and (why := cache.pg_unreachable()):
            skipped.append(f"postgresql: does not answer at {cache.PG_URL} ({why})")
            continue
        print(f"== {vendor}", file=sys.stderr, flush=True)
        try:
            reports.append(bench_database(vendor, intake_opts, read_opts))
        except (cache.BenchError, ServerError, measure.CheckFailed, wrk.WrkError) as exc:
            print(f"bench: {vendor}: {exc}", file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - started

    print()
    print(render(reports))
    print()
    print(f"databases measured: {', '.join(r.database for r in reports) or 'none'}")
    for reason in skipped:
        print(f"skipped {reason}")
    print(
        f"total wall time: {elapsed:.1f} s ({elapsed / 60:.1f} min); 1-minute load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
