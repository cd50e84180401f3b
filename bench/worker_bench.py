"""`make bench`, worker part: deadline sweep and notification delivery.

For each database (SQLite always, PostgreSQL when it answers) in a scratch database:
- the cost of one sweep over 1,000 due deadlines when 10k and when 1M deadlines are open
  (medians of several sweeps; the two should be close: the sweep reads the due-time index,
  not the open complaints), and the ratio between them;
- worker throughput: deadline events (breaches with escalation, timeline and
  notifications) per second in one process and with two sweeping processes at once
  (first start to last finish), beside the raw rate of one UPDATE plus one INSERT per
  commit on the same database; notifications delivered per second to a webhook.
Run as `python bench/worker_bench.py`; it starts one child process per database.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TOUSU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"  # a smoke run for developers
DUE, RUNS, SIZES = (100, 1, (1_000, 5_000)) if QUICK else (1000, 3, (10_000, 1_000_000))
RAW_ROWS = 300 if QUICK else 2_000
GOAL_SHARE, GOAL_COST_RATIO = 0.25, 1.2


def _pg_database(name: str) -> str | None:
    """Create a fresh scratch database next to the test one; None when PG is down."""
    try:
        import psycopg
    except ImportError:
        return None
    base = PG_URL.rsplit("/", 1)[0]
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL leg
        print(f"PostgreSQL leg skipped: {exc}", file=sys.stderr)
        return None
    return f"{base}/{name}"


def _drop_pg(name: str) -> None:
    import psycopg

    base = PG_URL.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _raw_rate(vendor: str, target: str) -> float:
    """The raw database's commits/s of one UPDATE plus one INSERT, beside the worker."""
    sys.path.insert(0, str(Path(__file__).parent))
    import raw

    db = raw.Raw(vendor, target)
    try:
        return db.update_insert_rate(rows=RAW_ROWS)
    finally:
        db.close()


def _child(url: str, var: str) -> dict:
    env = {
        **os.environ,
        "TOUSU_DATABASE_URL": url,
        "TOUSU_VAR_DIR": var,
        "DJANGO_SETTINGS_MODULE": "tousu.notifications.tests.settings_loopback",
        "TOUSU_LOG_LEVEL": "ERROR",
    }
    subprocess.run(
        [sys.executable, "-m", "tousu", "migrate", "-v0"],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("worker_measure.py"))],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=900,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    started = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory() as var:
        results["sqlite"] = _child(f"sqlite:///{var}/bench.sqlite3", var)
        results["sqlite"]["raw_rate"] = _raw_rate("sqlite", f"{var}/bench.sqlite3")
    pg = _pg_database("tousu_bench_worker")
    if pg:
        with tempfile.TemporaryDirectory() as var:
            try:
                results["postgresql"] = _child(pg, var)
                results["postgresql"]["raw_rate"] = _raw_rate("postgresql", pg)
            finally:
                _drop_pg("tousu_bench_worker")
    print()
    print(f"{'database':<11}{'measure':<58}{'value':>14}")
    notes = []
    for db, r in results.items():
        small, large = (statistics.median(r["sweep"][str(n)]) for n in SIZES)
        two = r["two_workers"]
        two_rate = sum(two["breached"]) / two["seconds"]
        share = two_rate / r["raw_rate"]
        rows = [
            (f"sweep of {DUE} due, {SIZES[0]:,} open (median of {RUNS}) s", f"{small:.3f}"),
            (f"sweep of {DUE} due, {SIZES[1]:,} open (median of {RUNS}) s", f"{large:.3f}"),
            (f"ratio large / small (goal <= {GOAL_COST_RATIO})", f"{large / small:.2f}"),
            ("deadline events per second, one process", f"{DUE / small:.0f}"),
            (f"deadline events per second, two workers ({two['due']:,} due)", f"{two_rate:.0f}"),
            ("raw UPDATE + INSERT per commit, commits/s (c=1)", f"{r['raw_rate']:.0f}"),
            (f"two workers / raw (goal >= {GOAL_SHARE})", f"{share:.3f}"),
            ("notifications delivered per second (webhook)", f"{r['deliver_rate']:.0f}"),
        ]
        for name, value in rows:
            print(f"{db:<11}{name:<58}{value:>14}")
        once = "exactly once" if sum(two["breached"]) == two["due"] else "NOT exactly once"
        notes.append(
            f"{db}: two workers breached {' + '.join(map(str, two['breached']))} of "
            f"{two['due']:,} due deadlines ({once}) in {two['seconds']:.2f} s"
        )
    print()
    print("\n".join(notes))
    print(f"worker bench: {', '.join(results)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
