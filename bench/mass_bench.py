"""`make bench`, mass-complaint part: the check of one new complaint against its plan's
mass triggers (index its text, find its matter, count the triggers) with 100k and with
1M complaints of history, and the ratio between the two (≈1: the check reads the index
inside the plan's window, not the history). Medians of several complaints; SQLite always,
PostgreSQL when it answers. See mass_measure.py for how the history is built.
Run as `python bench/mass_bench.py`; TOUSU_BENCH_QUICK=1 makes it a smoke run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from worker_bench import _drop_pg, _pg_database

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "tousu_bench_mass"


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
        [sys.executable, str(Path(__file__).with_name("mass_measure.py"))],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    started = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory() as var:
        results["sqlite"] = _child(f"sqlite:///{var}/bench.sqlite3", var)
    pg = _pg_database(PG_NAME)
    if pg:
        with tempfile.TemporaryDirectory() as var:
            try:
                results["postgresql"] = _child(pg, var)
            finally:
                _drop_pg(PG_NAME)
    print()
    print(f"{'database':<11}{'measure':<58}{'value':>12}")
    for db, r in results.items():
        sizes = [key for key in r if key != "matters"]
        for size in sizes:
            figures = r[size]
            rows = [
                (f"mass check per new complaint, {int(size):,} history, median ms", "total_ms"),
                ("  of which indexing and the matter (similar_index), ms", "index_ms"),
                ("  of which counting the triggers (mass_firings), ms", "count_ms"),
            ]
            for name, key in rows:
                print(f"{db:<11}{name:<58}{figures[key]:>12.2f}")
            built = f"{figures['rows']:,} / {figures['fill_s']:.0f} s"
            print(f"{db:<11}{'  index rows / time to build that history':<58}{built:>12}")
        ratio = r[sizes[-1]]["total_ms"] / r[sizes[0]]["total_ms"]
        print(f"{db:<11}{'ratio large / small (≈1: independent of history)':<58}{ratio:>12.2f}")
    print(f"mass bench: {', '.join(results)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
