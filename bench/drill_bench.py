"""`make bench`, drill part: the drill engine's event rate at full speed (events/s).

A fresh SQLite organisation of the dealer_315 template (``tousu demo --complaints 0``)
runs the shipped 3·15 scenario unattended (``tousu drill run … --speed 0``): 200
complaints registered, the scripted participants' actions, the incidents' work and the
worker's passes, all on the drill clock in the drill's own database. The figure is the
engine's events (replayed complaints and events, scripted actions, worker passes) per
second of its run, beside the whole command's time (copying the configuration, building
the drill's database, the report and its PDF). Reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ = (
    "import json, django; django.setup();"
    "from tousu.incidents.models import Drill;"
    "d = Drill.objects.latest('pk');"
    "print(json.dumps({'status': d.status, 'error': d.error,"
    " 'engine': d.figures.get('engine'), 'complaints': d.figures.get('complaints')}))"
)


def _run(env: dict[str, str], command: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tousu", *command],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="dealer_315")
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    rates, seconds, totals, events = [], [], [], 0
    with tempfile.TemporaryDirectory() as var:
        env = {
            **{k: v for k, v in os.environ.items() if k != "TOUSU_DATABASE_URL"},
            "TOUSU_VAR_DIR": var,
            "DJANGO_SETTINGS_MODULE": "tousu.settings",
            "TOUSU_LOG_LEVEL": "ERROR",
        }
        _run(env, ["migrate", "-v0"])
        _run(env, ["demo", "--plan", options.plan, "--complaints", "0"])
        for _ in range(options.runs):
            began = time.monotonic()
            _run(env, ["drill", "run", options.plan, "--scenario", f"{options.plan}.yaml"])
            totals.append(time.monotonic() - began)
            read = subprocess.run(
                [sys.executable, "-c", READ],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(read.stdout.strip().splitlines()[-1])
            if result["status"] != "finished":
                print(f"drill failed: {result['error']}", file=sys.stderr)
                return 1
            engine = result["engine"]
            rates.append(engine["rate"])
            seconds.append(engine["seconds"])
            events = engine["events"]
    print()
    print(f"{'database':<11}{'measure':<58}{'value':>12}")
    rows = [
        (f"drill {options.plan}: engine events per run", f"{events}"),
        (
            "drill engine event rate at full speed, events/s (median)",
            f"{statistics.median(rates):.1f}",
        ),
        ("drill engine run, s (median)", f"{statistics.median(seconds):.1f}"),
        (
            "whole `tousu drill run` incl. setup and report, s (median)",
            f"{statistics.median(totals):.1f}",
        ),
    ]
    for name, value in rows:
        print(f"{'sqlite':<11}{name:<58}{value:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
