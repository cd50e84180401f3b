"""Background jobs, on Django's task API (the django-tasks backport).

The worker enqueues them on every pass; with the default immediate backend they run in
the worker's own process, and an installation that wants a queue sets ``TASKS`` to
another backend (database, RQ, Celery) without touching this code. Each task is a thin
wrapper over a service and takes only JSON values.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime
from django_tasks import task

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


# The periodic work, in the order of each pass: registered here and nowhere else.
PERIODIC = (sweep_deadlines, deliver_notifications)
