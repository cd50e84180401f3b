"""The worker: passes over due deadlines and the notification outbox, until stopped.

A pass runs the periodic tasks as of ``now`` and leaves a ``WorkerRun`` row with its
counts or its error. SIGTERM and SIGINT stop the loop after the pass in hand.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone

from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun
from tousu.supervision.tasks import periodic_tasks

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_once(*, now: datetime | None = None) -> WorkerRun:
    """One pass as of ``now`` (the real clock when not given)."""
    now = now or timezone.now()
    # A pass still "running" after an hour belonged to a worker that was killed mid-pass.
    WorkerRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=timezone.now() - timedelta(hours=1)
    ).update(status=RunStatus.FAILED, error="abandoned: the worker stopped mid-pass")
    run = WorkerRun.objects.create(worker=worker_name(), now=now)
    counts: dict[str, int] = {}
    try:
        for job in periodic_tasks():
            result = job.using(backend="worker").enqueue(now.isoformat())
            if result.errors:  # the task's own error, not the backend's "Task failed"
                error = result.errors[-1]
                raise RuntimeError(f"{job.name}: {error.exception_class_path}: {error.traceback}")
            for name, count in (result.return_value or {}).items():
                counts[name] = counts.get(name, 0) + count
    except Exception as exc:
        WorkerRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            counts=counts,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    WorkerRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, finished_at=timezone.now(), counts=counts
    )
    run.refresh_from_db()
    return run


def run_forever(
    *,
    interval: float,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Passes every ``interval`` seconds until a signal or ``stop``; each pass acts as of
    ``clock()`` (the real clock when not given; tests pass a shifted one)."""
    stop = stop or threading.Event()

    def _stop(signum, frame):
        log.info("worker: signal %s, stopping after the pass in hand", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop.is_set():
        close_old_connections()
        try:
            run = run_once(now=clock() if clock else None)
            if any(run.counts.values()):
                log.info("worker pass: %s", run.counts)
        except Exception:
            log.exception("worker pass failed")
        stop.wait(interval)
