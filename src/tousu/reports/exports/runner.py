"""The background runner of large exports: the view queues a ``ReportJob`` of kind
``export`` with ``{"kind", "format", "filters"}`` in its clear parameters and the filters
that may name a person (the search) sealed; the worker writes the file as the person who
asked (their gate, their masks, their language) and reports its progress.

At each download the asker must still be allowed to make that export, and a file that
holds unmasked personal data goes only to a person whose role still sees it
(``jobs.job_may_download``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

from tousu.accounts.models import User
from tousu.core.problems import NotAllowed
from tousu.reports.exports.base import KINDS, query_lists
from tousu.reports.exports.services import export_write
from tousu.reports.jobs import Progress, job_queue, runner
from tousu.reports.models import ReportJob

JOB_KIND = "export"


def export_queue(*, kind: str, fmt: str, title: str, query: Any, user: User) -> ReportJob:
    """Queue the export ``kind`` of ``query`` (a ``QueryDict`` without the format) for
    ``user``; the kind's personal filters are sealed, never stored in clear."""
    filters = query_lists(query)
    personal = set(KINDS[kind].personal_filters())
    sealed = {name: filters.pop(name) for name in sorted(personal & set(filters))}
    return job_queue(
        kind=JOB_KIND,
        title=title,
        params={"kind": kind, "format": fmt, "filters": filters},
        sealed={"filters": sealed} if sealed else None,
        user=user,
    )


def export_may_download(job: ReportJob, user: User) -> bool:
    kind = KINDS.get((job.params or {}).get("kind", ""))
    return kind is not None and kind.allowed(user)


@runner(JOB_KIND, may_download=export_may_download)
def export_run(job: ReportJob, progress: Progress) -> dict[str, bytes | Path]:
    user = job.requested_by
    if user is None:
        raise NotAllowed("an export is made for the person who asked for it")
    params = job.params or {}
    kind = params.get("kind", "")
    fmt = params.get("format", "xlsx")
    filters = {**(params.get("filters") or {}), **job.sealed_params.get("filters", {})}
    scratch = Path(settings.MEDIA_ROOT) / "reports" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="export-", suffix=f".{fmt}", dir=scratch)
    os.close(handle)
    path = Path(name)
    try:
        export_write(kind, fmt, path, user, filters, progress=progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if kind in KINDS and KINDS[kind].holds_personal_data(user):
        ReportJob.objects.filter(pk=job.pk).update(personal_data=True)
    return {fmt: path}
