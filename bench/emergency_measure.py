"""Child of emergency_bench.py: activation to all notifications queued, in the database
named by TOUSU_DATABASE_URL."""

from __future__ import annotations

import json
import os
import statistics
import time

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402

from tousu.accounts.models import Department, User  # noqa: E402
from tousu.complaints.services import ComplainantData, complaint_register  # noqa: E402
from tousu.demo.loader import demo_organisation_create  # noqa: E402
from tousu.incidents.models import Incident  # noqa: E402
from tousu.notifications.models import Notification  # noqa: E402

QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"
RUNS, EXTRA = (5, 10) if QUICK else (30, 40)


def _register(clerk, severity: str, i: int):
    return complaint_register(
        actor=clerk,
        channel="phone",
        title=f"基准{severity}{i}",
        description="冰箱起火冒烟，计时用",
        category="product",
        severity=severity,
        complainant=ComplainantData(name="王芳", phone=f"139{i:08d}"),
    )


def main() -> None:
    users = demo_organisation_create("enterprise")
    # A realistic command structure: the command group's department heads, each with an
    # email address besides the in-app inbox.
    heads = Group.objects.get(name="department_head")
    department = Department.objects.order_by("pk").first()
    for i in range(EXTRA):
        person = User.objects.create_user(
            username=f"head{i}", email=f"head{i}@example.com", department=department
        )
        person.groups.add(heads)
    clerk = users["clerk"]
    timings: dict[str, list[float]] = {"ordinary": [], "urgent": []}
    for i in range(RUNS):
        for severity in ("ordinary", "urgent"):
            started = time.perf_counter()
            _register(clerk, severity, i * 2 + (severity == "urgent"))
            timings[severity].append(time.perf_counter() - started)
    incidents = Incident.objects.count()
    queued = Notification.objects.filter(incident__isnull=False).count()
    print(
        json.dumps(
            {
                "ordinary_ms": statistics.median(timings["ordinary"]) * 1000,
                "urgent_ms": statistics.median(timings["urgent"]) * 1000,
                "incidents": incidents,
                "notifications_per_activation": queued / max(incidents, 1),
                "responders": Incident.objects.first().responders.count() if incidents else 0,
            }
        )
    )


if __name__ == "__main__":
    main()
