"""Background report jobs: a page queues a ``ReportJob``, the worker makes it.

A runner is a function ``(job, progress) -> {format: bytes-or-path}`` registered under
its kind with ``@runner("kind")``; it reads its parameters from ``job.params``, calls
``progress(done, total, step)`` as it goes, and returns the files it made. The files are
written under ``<media>/reports/<job id>/`` (private: media is not served) and served
only to the person who asked, while they may still have them (``job_may_download``: the
runner's own check, and unmasked personal data only to a role that sees it).

Parameters that may name a person (a search for a phone number or a name) are queued in
``sealed`` and kept encrypted (``ReportJob.sealed``). Files are kept
``settings.REPORT_FILES_KEPT`` days (default 7; a number of days or a ``timedelta``): each
worker pass deletes older ones and marks their jobs expired (``jobs_expire``).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
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
# (job, user) -> may ``user`` (the asker) still download the job's files?
DownloadCheck = Callable[[ReportJob, Any], bool]
RUNNERS: dict[str, Runner] = {}
DOWNLOAD_CHECKS: dict[str, DownloadCheck] = {}
# Jobs made in one worker pass, so a pass stays short; the rest wait for the next.
PER_PASS = 2
# A job running this long was left by a worker that stopped (the longest, a yearly report
# over a million complaints, takes minutes).
ABANDONED_AFTER = timedelta(hours=1)
DEFAULT_FILES_KEPT_DAYS = 7


def runner(kind: str, *, may_download: DownloadCheck | None = None) -> Callable[[Runner], Runner]:
    """Register a runner for ``kind``; ``may_download`` re-checks, at each download, that
    the asker may still have what the files hold (their role may have changed)."""

    def register(function: Runner) -> Runner:
        RUNNERS[kind] = function
        if may_download is not None:
            DOWNLOAD_CHECKS[kind] = may_download
        return function

    return register


def files_kept() -> timedelta:
    """How long a job's files are kept after it is made (``settings.REPORT_FILES_KEPT``)."""
    kept = getattr(settings, "REPORT_FILES_KEPT", DEFAULT_FILES_KEPT_DAYS)
    return kept if isinstance(kept, timedelta) else timedelta(days=float(kept))


def job_dir(job: ReportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / str(job.pk)


def job_file(job: ReportJob, fmt: str) -> Path | None:
    """The path of the job's file in ``fmt``, if it was made and not yet deleted."""
    name = (job.files or {}).get(fmt)
    if job.status != JobStatus.DONE or job.expired_at is not None or not name:
        return None
    path = job_dir(job) / name
    return path if path.is_file() else None


def job_may_download(job: ReportJob, user: Any) -> bool:
    """May ``user`` download ``job``'s files now: they asked for it, are still active, may
    still see unmasked personal data if the files hold it, and pass the runner's check."""
    if user is None or not user.is_active or job.requested_by_id != user.pk:
        return False
    if job.personal_data and not user.sees_personal_data:
        return False
    check = DOWNLOAD_CHECKS.get(job.kind)
    return check is None or check(job, user)


def job_queue(
    *,
    kind: str,
    title: str,
    params: dict[str, Any],
    user: Any,
    sealed: dict[str, Any] | None = None,
) -> ReportJob:
    """Queue a job. ``params`` are kept in clear (no personal data in them); ``sealed``
    (what may name a person) is kept encrypted and read back with ``job.sealed_params``."""
    if kind not in RUNNERS:
        raise KeyError(kind)
    return ReportJob.objects.create(
        kind=kind,
        title=title,
        params=params,
        sealed=json.dumps(sealed, ensure_ascii=False) if sealed else "",
        requested_by=user,
    )


def jobs_expire(*, now: datetime | None = None) -> int:
    """Delete the files of jobs made more than ``files_kept()`` ago and mark those jobs
    expired (their page says so); the number of jobs expired. Their sealed parameters
    go too: nothing of the request is needed any more."""
    now = now or timezone.now()
    old = ReportJob.objects.filter(
        status=JobStatus.DONE, expired_at__isnull=True, finished_at__lt=now - files_kept()
    )
    expired = 0
    for job in old.only("pk").iterator():
        shutil.rmtree(job_dir(job), ignore_errors=True)
        expired += ReportJob.objects.filter(pk=job.pk, expired_at__isnull=True).update(
            expired_at=now, files={}, sealed=""
        )
    return expired


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


def jobs_abandon(*, now: datetime | None = None) -> int:
    """Jobs still "running" ``ABANDONED_AFTER`` after they started belonged to a worker
    that stopped mid-job: they fail, and their page says so instead of waiting forever."""
    now = now or timezone.now()
    return ReportJob.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=now - ABANDONED_AFTER
    ).update(
        status=JobStatus.FAILED,
        error="abandoned: the worker stopped while making it",
        finished_at=now,
    )


def jobs_run(*, now: datetime | None = None, limit: int = PER_PASS) -> dict[str, int]:
    """The worker's part: fail abandoned jobs, delete expired files, then make up to
    ``limit`` queued jobs, oldest first."""
    counts: dict[str, int] = {}
    abandoned = jobs_abandon()
    if abandoned:
        counts["reports_abandoned"] = abandoned
    expired = jobs_expire(now=now)
    if expired:
        counts["reports_expired"] = expired
    made = 0
    for _ in range(limit):
        job = _claim()
        if job is None:
            break
        job_run(job)
        made += 1
    if made:
        counts["reports"] = made
    return counts
