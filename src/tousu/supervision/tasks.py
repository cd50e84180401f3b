"""Background jobs, on Django's task API (the django-tasks backport).

The worker enqueues them on every pass; with the default immediate backend they run in
the worker's own process, and an installation that wants a queue sets ``TASKS`` to
another backend (database, RQ, Celery) without touching this code. Each task is a thin
wrapper over a service and takes only JSON values.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django_tasks import task

from tousu.audit.services import SEAL_BATCH, audit_seal
from tousu.notifications.services import outbox_deliver
from tousu.supervision.sweep import deadlines_sweep


def _moment(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError(f"not an ISO date and time: {text!r}")
    return moment


@task()
def sweep_deadlines(now: str) -> dict:
    return deadlines_sweep(now=_moment(now))


@task()
def deliver_notifications(now: str) -> dict:
    return outbox_deliver(now=parse_datetime(now))


@task()
def seal_audit_log(now: str) -> dict:
    """Seal the audit chains that moved: last in the pass, so its own events are sealed.

    Seals are made at the real clock's time, whatever ``now`` the pass acts as of; a
    tail of events deleted from a chain can go unseen only until it is sealed, so for
    at most one worker interval.
    """
    chains = 0
    while (seal := audit_seal(limit=SEAL_BATCH)) is not None:
        chains += len(seal.heads)
        if len(seal.heads) < SEAL_BATCH:  # every chain that moved and is free is sealed
            break
    return {"sealed": chains} if chains else {}


# The periodic work, in the order of each pass: registered here and, for apps above this
# one (reports), in settings.WORKER_TASKS, which run before the seal.
PERIODIC = (sweep_deadlines, deliver_notifications, seal_audit_log)


def periodic_tasks() -> tuple:
    extra = tuple(import_string(path) for path in settings.WORKER_TASKS)
    return (*PERIODIC[:-1], *extra, PERIODIC[-1])
