"""`make bench`, emergency part: activation to all notifications queued.

Registering an urgent complaint under the enterprise template activates the plan: the
incident, its command structure (here ~45 people), tasks and reports as deadline rows,
the linked complaint's deadlines scaled, and the plan's emergency message queued for
everyone on every channel — all in the registration's transaction. The baseline in the
same run is an ordinary complaint (no activation); the figure is the difference and the
ratio. Medians; SQLite always, PostgreSQL when it answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from worker_bench import _drop_pg, _pg_database

ROOT = Path(__file__).resolve().parents[1]


def _child(url: str, var: str) -> dict:
    env = {
        **os.environ,
        "TOUSU_DATABASE_URL": url,
        "TOUSU_VAR_DIR": var,
        "DJANGO_SETTINGS_MODULE": "tousu.settings",
        "TOUSU_LOG_LEVEL": "ERROR",
    }
    subprocess.run([sys.executable, "-m", "tousu", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("emergency_measure.py"))],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory() as var:
        results["sqlite"] = _child(f"sqlite:///{var}/bench.sqlite3", var)
    pg = _pg_database("tousu_bench_emergency")
    if pg:
        with tempfile.TemporaryDirectory() as var:
            try:
                results["postgresql"] = _child(pg, var)
            finally:
                _drop_pg("tousu_bench_emergency")
    print()
    print(f"{'database':<11}{'measure':<58}{'value':>12}")
    for db, r in results.items():
        rows = [
            ("register ordinary complaint, median ms (baseline)", f"{r['ordinary_ms']:.1f}"),
            ("register urgent complaint + activation, median ms", f"{r['urgent_ms']:.1f}"),
            (
                "activation to all notifications queued, ms",
                f"{r['urgent_ms'] - r['ordinary_ms']:.1f}",
            ),
            ("ratio urgent / ordinary", f"{r['urgent_ms'] / r['ordinary_ms']:.2f}"),
            ("people in the command structure", f"{r['responders']}"),
            ("notifications queued per activation", f"{r['notifications_per_activation']:.0f}"),
        ]
        for name, value in rows:
            print(f"{db:<11}{name:<58}{value:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
