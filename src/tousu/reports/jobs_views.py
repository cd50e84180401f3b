"""A background job's page: its progress while it runs (polled by HTMX), then its files —
or, once they are deleted (``REPORT_FILES_KEPT``), a message saying so."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from tousu.reports.choices import JobStatus
from tousu.reports.jobs import files_kept, job_file, job_may_download
from tousu.reports.models import ReportJob

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _own_job(request: HttpRequest, pk: int) -> ReportJob:
    # A job's files are the asker's: what they hold went through the gate as that person.
    return get_object_or_404(ReportJob, pk=pk, requested_by=request.user)


def expired_message(job: ReportJob) -> str:
    days = max(int(files_kept().total_seconds() // 86400), 1)
    return _(
        "The files of this job were deleted %(days)d days after they were made, so that "
        "no personal data is kept longer than needed. Ask for it again."
    ) % {"days": days}


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    context = {"job": job, "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING)}
    if request.headers.get("HX-Request"):
        return render(request, "reports/_job_progress.html", context)
    # Said with the page's messages; the list of files is then empty.
    if job.expired_at is not None:
        messages.warning(request, expired_message(job))
    elif job.status == JobStatus.DONE and not job_may_download(job, request.user):
        messages.warning(request, _("You may no longer download these files."))
        job.files = {}
    return render(request, "reports/job.html", context)


@login_required
def job_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    job = _own_job(request, pk)
    if not job_may_download(job, request.user):
        raise PermissionDenied(_("You may no longer download these files."))
    path = job_file(job, fmt)
    if path is None:
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.title}.{fmt}",
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )
