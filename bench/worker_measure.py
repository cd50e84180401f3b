"""Child of worker_bench.py: measures in the database named by TOUSU_DATABASE_URL."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from tousu.deadlines.models import Deadline  # noqa: E402
from tousu.demo.loader import demo_organisation_create  # noqa: E402
from tousu.notifications.models import Notification  # noqa: E402
from tousu.notifications.services import outbox_deliver  # noqa: E402
from tousu.supervision.sweep import deadlines_sweep  # noqa: E402

QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"  # a smoke run for developers
DUE, RUNS, SIZES = (100, 1, (1_000, 5_000)) if QUICK else (1000, 3, (10_000, 1_000_000))
TWO_DUE = 300 if QUICK else 2_000  # due deadlines the two-worker run breaches


def _complaints(count: int):
    from tousu.complaints.services import ComplainantData, complaint_register

    users = demo_organisation_create("market")
    return [
        complaint_register(
            actor=users["clerk"],
            channel="phone",
            title=f"基准投诉{i}",
            description="计时用",
            category="quality",
            complainant=ComplainantData(name="王芳", phone="13900000000"),
        )
        for i in range(count)
    ]


def _fill_open(complaint_id: int, target: int) -> None:
    """Open deadlines far in the future, inserted in bulk by the database itself."""
    have = Deadline.objects.filter(closed_at__isnull=True).count()
    missing = target - have
    if missing <= 0:
        return
    far, now = "2031-01-01 00:00:00", timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    columns = (
        "complaint_id, stage, kind, anchor_at, amount, unit, due_at, warn_at, "
        "provisional, pauses, closed_reason, created_at"
    )
    values = (
        f"{complaint_id}, 'investigation', 'investigation', '{now}', 5, 'working_days', "
        f"'{far}', '{far}', {'false' if connection.vendor == 'postgresql' else '0'}, "
        f"'[]', '', '{now}'"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO deadlines_deadline ({columns}) "  # noqa: S608
                f"SELECT {values} FROM generate_series(1, {missing})"
            )
        else:
            cursor.execute(
                f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "  # noqa: S608
                f"WHERE i < {missing}) INSERT INTO deadlines_deadline ({columns}) "
                f"SELECT {values} FROM n"
            )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE deadlines_deadline")


def _due_batch(complaints, now) -> None:
    past = now - timedelta(hours=1)
    Deadline.objects.bulk_create(
        [
            Deadline(
                complaint=complaints[i % len(complaints)],
                stage="investigation",
                kind="investigation",
                anchor_at=past - timedelta(days=7),
                amount=5,
                unit="working_days",
                due_at=past,
                warn_at=None,
                pauses=[],
            )
            for i in range(DUE)
        ],
        batch_size=500,
    )


def _sweep_times(complaints) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    now = timezone.now()
    for size in SIZES:
        _fill_open(complaints[0].pk, size)
        times[str(size)] = []
        for run in range(RUNS):
            moment = now + timedelta(minutes=run + 1)
            _due_batch(complaints, moment)
            started = time.perf_counter()
            counts = deadlines_sweep(now=moment)
            times[str(size)].append(time.perf_counter() - started)
            assert counts["breached"] == DUE, counts
    return times


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _deliver_rate(complaint) -> float:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                key=f"bench:{i}",
                channel="webhook",
                address=url,
                subject="基准",
                body="计时用",
                complaint=complaint,
                next_attempt_at=now,
            )
            for i in range(DUE)
        ],
        batch_size=500,
    )
    started, delivered = time.perf_counter(), 0
    while delivered < DUE:
        counts = outbox_deliver(now=now, limit=200)
        if not sum(counts.values()):
            break
        delivered += counts["delivered"]
    elapsed = time.perf_counter() - started
    server.shutdown()
    return delivered / elapsed


def _sweeper(moment: str) -> None:
    """A child: sweep as of ``moment`` until nothing is due, once told to go on stdin;
    prints what it did and when it started and finished (wall clock)."""
    now = datetime.fromisoformat(moment)
    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    started, total = time.time(), {}
    while True:
        counts = deadlines_sweep(now=now)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if not counts["breached"]:
            break
    print(json.dumps({"started": started, "ended": time.time(), "counts": total}), flush=True)


def _two_workers(complaints) -> dict:
    """Deadline events per second with two sweeping processes on ``TWO_DUE`` due
    deadlines, from the first start to the last finish; and how many each breached."""
    moment = timezone.now() + timedelta(hours=1)
    Deadline.objects.bulk_create(
        [
            Deadline(
                complaint=complaints[i % len(complaints)],
                stage="investigation",
                kind="investigation",
                anchor_at=moment - timedelta(days=8),
                amount=5,
                unit="working_days",
                due_at=moment - timedelta(minutes=1),
                warn_at=None,
                pauses=[],
            )
            for i in range(TWO_DUE)
        ],
        batch_size=500,
    )
    command = [sys.executable, __file__, "sweep", moment.isoformat()]
    children = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    breached = [r["counts"]["breached"] for r in results]
    return {"due": TWO_DUE, "breached": breached, "seconds": seconds}


def main() -> None:
    if sys.argv[1:2] == ["sweep"]:
        _sweeper(sys.argv[2])
        return
    # A due deadline a complaint, as in an office: none shares its complaint's lock,
    # version or audit chain with another in the same chunk.
    complaints = _complaints(TWO_DUE)
    result = {
        "sweep": _sweep_times(complaints),
        "two_workers": _two_workers(complaints),
        "deliver_rate": _deliver_rate(complaints[0]),
    }
    print(json.dumps(result))


main()
