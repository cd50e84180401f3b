"""What the health and metrics endpoints read: a few indexed look-ups, none of which
grows with the number of complaints (docs/operations.md, "Monitoring").

Each figure names the index it reads (checked with EXPLAIN on PostgreSQL in the tests):

- complaints registered: the highest complaint id (primary key, one index probe). On
  PostgreSQL a registration that rolled back leaves a gap in the sequence, so the counter
  may run a little ahead of the rows; ``rate()`` over it is the intake rate.
- outbox depth: pending and delivering notifications (partial index ``notification_due``);
  delivered and dead rows are history and are not counted.
- report jobs queued and running (index ``reportjob_status``).
- deadlines overdue: running deadlines past due that the worker has not marked breached
  yet (partial index ``deadline_due_running``) — the worker's backlog — and open
  deadlines already breached (the open rows only).
- tasks waiting in the shared queue (django-tasks-db's partial index on ready tasks).
- the worker's last finished pass (primary key, newest first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django_tasks_db.models import DBTaskResult

from tousu.complaints.models import Complaint
from tousu.deadlines.models import OPEN, RUNNING, Deadline
from tousu.notifications.choices import DeliveryStatus
from tousu.notifications.models import Notification
from tousu.reports.choices import JobStatus
from tousu.reports.models import ReportJob
from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun

QUEUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.DELIVERING)
JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True)
class WorkerPass:
    """The newest pass of the worker that finished without error."""

    started_at: datetime
    finished_at: datetime

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.finished_at).total_seconds())

    @property
    def duration_seconds(self) -> float:
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Sample:
    """The figures of one scrape of /metrics."""

    complaints_registered: int
    outbox: dict[str, int] = field(default_factory=dict)
    report_jobs: dict[str, int] = field(default_factory=dict)
    deadlines_overdue_unmarked: int = 0
    deadlines_breached_open: int = 0
    tasks_ready: int = 0
    worker: WorkerPass | None = None


def database_answers() -> bool:
    """Does the database answer a trivial query now?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to connect or to answer is "no"
        return False
    return True


def _worker_passes() -> QuerySet[WorkerRun]:
    # The newest rows first by primary key: a handful are read before a finished one.
    return WorkerRun.objects.filter(status=RunStatus.DONE, finished_at__isnull=False).order_by(
        "-pk"
    )


def worker_last_pass() -> WorkerPass | None:
    row = _worker_passes().values_list("started_at", "finished_at").first()
    if row is None or row[1] is None:
        return None
    return WorkerPass(started_at=row[0], finished_at=row[1])


def metric_querysets(*, now: datetime) -> dict[str, QuerySet[Any]]:
    """The querysets of a scrape, by figure (the tests EXPLAIN each on PostgreSQL)."""
    return {
        "complaints": Complaint.objects.order_by("-pk").values_list("pk", flat=True),
        "outbox": Notification.objects.filter(status__in=QUEUE_STATUSES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by(),
        "report_jobs": ReportJob.objects.filter(status__in=JOB_STATUSES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by(),
        "overdue_unmarked": Deadline.objects.filter(
            RUNNING, breached_at__isnull=True, due_at__lt=now
        ).order_by(),
        "breached_open": Deadline.objects.filter(OPEN & Q(breached_at__isnull=False)).order_by(),
        "tasks_ready": DBTaskResult.objects.filter(status="READY").order_by(),
        "worker": _worker_passes(),
    }


def metrics_sample(*, now: datetime) -> Sample:
    """Seven queries, whatever the size of the tables (a test pins the number)."""
    q = metric_querysets(now=now)
    outbox = dict(q["outbox"])
    jobs = dict(q["report_jobs"])
    return Sample(
        complaints_registered=int(q["complaints"].first() or 0),
        outbox={str(status): int(outbox.get(status, 0)) for status in QUEUE_STATUSES},
        report_jobs={str(status): int(jobs.get(status, 0)) for status in JOB_STATUSES},
        deadlines_overdue_unmarked=q["overdue_unmarked"].count(),
        deadlines_breached_open=q["breached_open"].count(),
        tasks_ready=q["tasks_ready"].count(),
        worker=worker_last_pass(),
    )
