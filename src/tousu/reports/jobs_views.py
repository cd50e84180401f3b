"""A background job's page: its progress while it runs (polled by HTMX), then its files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tousu.reports.choices import JobStatus
from tousu.reports.jobs import job_file
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


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    context = {"job": job, "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING)}
    if request.headers.get("HX-Request"):
        return render(request, "reports/_job_progress.html", context)
    return render(request, "reports/job.html", context)


@login_required
def job_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    job = _own_job(request, pk)
    path = job_file(job, fmt)
    if path is None:
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.title}.{fmt}",
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )
