"""The reports app's part of every worker pass (registered in settings.WORKER_TASKS)."""

from __future__ import annotations

from django_tasks import task

from tousu.reports.jobs import jobs_run


@task()
def make_reports(now: str) -> dict:
    return jobs_run()
