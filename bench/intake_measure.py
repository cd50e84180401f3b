"""Child of the intake bench: queries and CPU per registration, in process.

``python bench/intake_measure.py BODIES TOKEN COUNT`` against ``TOUSU_DATABASE_URL``:
posts COUNT bodies (after a few unmeasured) through Django's test client — the whole
middleware and API stack, no HTTP server — counting the SQL queries of each and the
process's CPU time. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")

WARMUP = 5


def main() -> None:
    bodies_path, token, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from data import OUTLETS

    bodies = bodies_path.read_text(encoding="utf-8").splitlines()
    outlets = random.Random(11)  # the merchant's outlet, as the load client draws it
    client = Client(headers={"Authorization": f"Bearer {token}"}, SERVER_NAME="127.0.0.1")
    statuses: dict[int, int] = {}
    queries: list[int] = []
    heaviest: list[tuple[str, int]] = []

    def post(index: int) -> int:
        body = bodies[index % len(bodies)].replace("@@PHONE@@", f"1370{index:07d}")
        body = body.replace("@@OUTLET@@", str(outlets.randint(1, OUTLETS)), 1)
        response = client.post("/api/v1/complaints", body, content_type="application/json")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return response.status_code

    for index in range(WARMUP):
        post(index)
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(WARMUP, WARMUP + count):
        post(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    # Counting queries costs time of its own, so it runs apart from the timed loop.
    for index in range(WARMUP + count, WARMUP + count + min(count, 20)):
        with CaptureQueriesContext(connection) as captured:
            status = post(index)
        if status == 201:
            queries.append(len(captured))
            if len(captured) >= max(queries):
                heaviest = Counter(q["sql"][:60] for q in captured).most_common(3)
    json.dump(
        {
            "count": count,
            "statuses": statuses,
            "cpu_ms": 1000 * cpu / count,
            "wall_ms": 1000 * wall / count,
            "queries": statistics.median(queries) if queries else None,
            "queries_max": max(queries) if queries else None,
            "queries_top": heaviest,  # the most repeated statements of the heaviest one
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
