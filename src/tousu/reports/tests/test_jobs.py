"""Reports made in the background: queued from a page, made by the worker's pass,
downloaded by the person who asked and nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tousu.reports import jobs
from tousu.reports.choices import JobStatus
from tousu.reports.models import ReportJob
from tousu.supervision.worker import run_once


@pytest.fixture
def kinds():
    def fine(job, progress):
        progress(1, 2, "half")
        return {"csv": "\ufeff类别,件数\r\n商品质量,3\r\n".encode()}

    def broken(job, progress):
        raise ValueError("no figures")

    jobs.RUNNERS.update({"test-fine": fine, "test-broken": broken})
    yield
    jobs.RUNNERS.pop("test-fine")
    jobs.RUNNERS.pop("test-broken")


def test_the_worker_pass_makes_a_queued_job_and_only_its_asker_downloads_it(org, client, kinds):
    job = jobs.job_queue(kind="test-fine", title="导出", params={}, user=org.leader)
    client.force_login(org.leader)
    page = client.get(reverse("reports:job", args=[job.pk]))
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()
    run = run_once()
    assert run.counts.get("reports") == 1
    job.refresh_from_db()
    assert (job.status, job.percent, job.step) == (JobStatus.DONE, 100, "half")
    download = client.get(reverse("reports:job_file", args=[job.pk, "csv"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode("utf-8-sig").startswith("类别,件数")
    assert client.get(reverse("reports:job_file", args=[job.pk, "pdf"])).status_code == 404
    client.force_login(org.clerk)
    assert client.get(reverse("reports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:job_file", args=[job.pk, "csv"])).status_code == 404


def test_a_job_that_fails_says_so_and_the_next_one_is_still_made(org, client, kinds):
    broken = jobs.job_queue(kind="test-broken", title="坏", params={}, user=org.leader)
    fine = jobs.job_queue(kind="test-fine", title="好", params={}, user=org.leader)
    assert jobs.jobs_run() == {"reports": 2}
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == JobStatus.FAILED and "no figures" in broken.error
    assert fine.status == JobStatus.DONE
    client.force_login(org.leader)
    page = client.get(reverse("reports:job", args=[broken.pk])).content.decode()
    assert "hx-trigger" not in page
    assert jobs.jobs_run() == {}
    assert ReportJob.objects.filter(status=JobStatus.QUEUED).count() == 0


def test_an_unknown_kind_is_not_queued(org):
    with pytest.raises(KeyError):
        jobs.job_queue(kind="nothing", title="x", params={}, user=org.leader)


def test_sealed_parameters_are_encrypted_and_old_files_expire(org, client, kinds, settings):
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    settings.REPORT_FILES_KEPT = 2
    job = jobs.job_queue(
        kind="test-fine", title="导出", params={}, user=org.leader, sealed={"q": "王小明"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM reports_reportjob WHERE id = %s", [job.pk])
        assert "王小明" not in cursor.fetchone()[0]
    job.refresh_from_db()
    assert job.sealed_params == {"q": "王小明"}
    jobs.jobs_run()
    later = timezone.now() + timedelta(days=2, minutes=1)
    assert jobs.jobs_run(now=later) == {"reports_expired": 1}
    job.refresh_from_db()
    assert job.expired_at == later and job.files == {} and not jobs.job_dir(job).exists()
    client.force_login(org.leader)
    assert client.get(reverse("reports:job_file", args=[job.pk, "csv"])).status_code == 404
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "2" in page and ("已删除" in page or "were deleted" in page)


def test_a_job_left_running_by_a_stopped_worker_fails_instead_of_waiting_forever(org, kinds):
    from datetime import timedelta

    from django.utils import timezone

    job = jobs.job_queue(kind="test-fine", title="导出", params={}, user=org.leader)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    fresh = jobs.job_queue(kind="test-fine", title="新", params={}, user=org.leader)
    ReportJob.objects.filter(pk=fresh.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=5)
    )
    assert jobs.jobs_run().get("reports_abandoned") == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == JobStatus.FAILED and "abandoned" in job.error
    assert fresh.status == JobStatus.RUNNING
