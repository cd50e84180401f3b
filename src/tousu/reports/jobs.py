"""Background report jobs: a page queues a ``ReportJob``, the worker makes it.

A runner is a function ``(job, progress) -> {format: bytes-or-path}`` registered under
its kind with ``@runner("kind")``; it reads its parameters from ``job.params``, calls
``progress(done, total, step)`` as it goes, and returns the files it made. The files are
written under ``<media>/reports/<job id>/`` (private: media is not served) and served
only to the person who asked (``job_file``).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tousu.reports.choices import JobStatus
from tousu.reports.models import ReportJob

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
Runner = Callable[[ReportJob, Progress], dict[str, bytes | Path]]
RUNNERS: dict[str, Runner] = {}
# Jobs made in one worker pass, so a pass stays short; the rest wait for the next.
PER_PASS = 2


def runner(kind: str) -> Callable[[Runner], Runner]:
    def register(function: Runner) -> Runner:
        RUNNERS[kind] = function
        return function

    return register


def job_dir(job: ReportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / str(job.pk)


def job_file(job: ReportJob, fmt: str) -> Path | None:
    """The path of the job's file in ``fmt``, if it was made."""
    name = (job.files or {}).get(fmt)
    if job.status != JobStatus.DONE or not name:
        return None
    path = job_dir(job) / name
    return path if path.is_file() else None


def job_queue(*, kind: str, title: str, params: dict[str, Any], user: Any) -> ReportJob:
    if kind not in RUNNERS:
        raise KeyError(kind)
    return ReportJob.objects.create(kind=kind, title=title, params=params, requested_by=user)


def _claim() -> ReportJob | None:
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(skip_locked=True)
            .filter(status=JobStatus.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def job_run(job: ReportJob) -> None:
    """Make one claimed job: its runner's files are written, or its error recorded."""

    def progress(done: int, total: int, step: str = "") -> None:
        ReportJob.objects.filter(pk=job.pk).update(done=done, total=total, step=step[:200])

    directory = job_dir(job)
    try:
        made = RUNNERS[job.kind](job, progress)
        directory.mkdir(parents=True, exist_ok=True)
        files = {}
        for fmt, content in made.items():
            name = f"{job.kind}-{job.pk}.{fmt}"
            if isinstance(content, Path):
                shutil.move(str(content), directory / name)
            else:
                (directory / name).write_bytes(content)
            files[fmt] = name
    except Exception as exc:
        log.exception("report job %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, files=files, finished_at=timezone.now()
    )


def jobs_run(*, now: datetime | None = None, limit: int = PER_PASS) -> dict[str, int]:
    """The worker's part: make up to ``limit`` queued jobs, oldest first."""
    made = 0
    for _ in range(limit):
        job = _claim()
        if job is None:
            break
        job_run(job)
        made += 1
    return {"reports": made} if made else {}
