"""What the reviewer found in exports, each held fixed: no silent XLSX truncation, no
personal data at rest in background jobs (sealed search, files deleted after a while,
downloads re-checked against the asker's role now), the penalty ledger behind the
complaint gate and booked by whole months, a search in the audit chain that names nobody,
and export buttons where the lists are."""

from __future__ import annotations

import contextlib
import importlib
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import InvalidInput
from tousu.incidents.activation import incident_open
from tousu.plans.models import PlanRevision
from tousu.reports.choices import JobStatus
from tousu.reports.exports import writers
from tousu.reports.exports.complaints import _masked_query
from tousu.reports.exports.services import NothingToExport, export_prepare, export_write
from tousu.reports.jobs import job_dir, jobs_run
from tousu.reports.models import ReportJob
from tousu.reports.tests.test_exports import (  # noqa: F401  (fixtures)
    URL,
    body,
    cases,
    csv_rows,
    ledger,
    login,
    xlsx_rows,
)
from tousu.supervision.worker import run_once

pytestmark = pytest.mark.django_db


def roles_set(user, *roles: str) -> None:
    user.groups.set([Group.objects.get_or_create(name=r)[0] for r in roles])


# ------------------------------------------------------------- 6. XLSX row limit


def test_more_rows_than_xlsx_holds_is_refused_naming_the_format(cases, org, monkeypatch):  # noqa: F811
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    with pytest.raises(InvalidInput) as refused:
        export_prepare(kind="complaints", user=org.leader, query={}, fmt="xlsx")
    assert list(refused.value.field_errors) == ["format"]
    assert "CSV" in refused.value.detail and "4" in refused.value.detail
    client = login(org.leader)
    page = client.get(URL.format("complaints"), {"format": "xlsx"}, follow=True)
    assert page.request["PATH_INFO"] == "/complaints/"
    said = [str(m) for m in page.context["messages"]]
    assert any("XLSX" in m and "CSV" in m and "4" in m for m in said), said
    assert not AuditEvent.objects.filter(action="export.made").exists()
    # CSV has no such limit: the same rows come out whole.
    header, *rows = csv_rows(body(client.get(URL.format("complaints"), {"format": "csv"})))
    assert len(rows) == 4
    # The writer itself never drops rows silently (rows added after the count).
    with pytest.raises(writers.XlsxTooLarge):
        writers.xlsx_write(
            "/dev/null", [writers.Sheet("x", ["a"], [[1], [2], [3], [4]])], tick=None
        )


def test_exactly_as_many_rows_as_xlsx_holds_still_exports(cases, org, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 4)
    assert export_write("complaints", "xlsx", tmp_path / "four.xlsx", org.leader) == 4
    assert len(xlsx_rows((tmp_path / "four.xlsx").read_bytes())) == 5


# ------------------------------------------------- 7. background jobs at rest


def queue_export(client, kind: str = "complaints", **query) -> ReportJob:
    response = client.get(URL.format(kind), query)
    job = ReportJob.objects.latest("pk")
    assert response["Location"] == f"/reports/jobs/{job.pk}/"
    return job


def test_a_background_export_keeps_the_search_encrypted(cases, org, settings):  # noqa: F811
    settings.EXPORT_STREAM_LIMIT = 0
    phone = "13900001111"
    job = queue_export(login(org.leader), format="csv", q=phone, severity="major")
    assert job.params == {"kind": "complaints", "format": "csv", "filters": {"severity": ["major"]}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT params, sealed FROM reports_reportjob WHERE id = %s", [job.pk])
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert phone not in stored and "1111" not in stored  # neither in clear nor in the JSON
    assert job.sealed_params == {"filters": {"q": [phone]}}
    assert jobs_run() == {"reports": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.personal_data  # the leader sees phones
    download = login(org.leader).get(f"/reports/jobs/{job.pk}/file/csv/")
    header, *rows = csv_rows(b"".join(download.streaming_content))
    assert [r[0] for r in rows] == [cases[1].tracking_no]  # the sealed search applied
    assert rows[0][header.index("电话")] == phone


def test_job_files_are_deleted_after_the_days_kept_and_the_page_says_so(cases, org, settings):  # noqa: F811
    settings.EXPORT_STREAM_LIMIT = 0
    settings.REPORT_FILES_KEPT = 7
    client = login(org.leader)
    old = queue_export(client, format="xlsx", q="13900001111")
    recent = queue_export(client, format="csv")
    assert jobs_run(limit=5) == {"reports": 2}
    now = timezone.now()
    ReportJob.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=8))
    ReportJob.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(days=6))
    assert job_dir(old).is_dir()
    assert run_once().counts.get("reports_expired") == 1  # the worker's pass does it
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.expired_at is not None and old.files == {} and old.sealed == ""
    assert not job_dir(old).exists()
    assert recent.expired_at is None and job_dir(recent).is_dir()
    assert client.get(f"/reports/jobs/{old.pk}/file/xlsx/").status_code == 404
    assert client.get(f"/reports/jobs/{recent.pk}/file/csv/").status_code == 200
    page = client.get(f"/reports/jobs/{old.pk}/").content.decode()
    assert "已删除" in page or "were deleted" in page
    assert f"/reports/jobs/{old.pk}/file/" not in page
    assert jobs_run() == {}  # expired once, not again
    settings.REPORT_FILES_KEPT = timedelta(days=1)
    assert jobs_run() == {"reports_expired": 1}


def test_a_file_with_personal_data_is_refused_once_the_role_no_longer_sees_it(cases, org, settings):  # noqa: F811
    settings.EXPORT_STREAM_LIMIT = 0
    job = queue_export(login(org.leader), format="csv")
    jobs_run()
    url = f"/reports/jobs/{job.pk}/file/csv/"
    assert login(org.leader).get(url).status_code == 200
    roles_set(org.leader, "supervisor")  # may still export complaints, masked now
    assert login(org.leader).get(url).status_code == 403
    page = login(org.leader).get(f"/reports/jobs/{job.pk}/").content.decode()
    assert url not in page


def test_a_file_is_refused_once_the_asker_may_no_longer_make_that_export(ledger, org, settings):  # noqa: F811
    settings.EXPORT_STREAM_LIMIT = 0
    job = queue_export(login(org.supervisor), "penalties", format="xlsx", period=ledger)
    jobs_run()
    job.refresh_from_db()
    assert not job.personal_data  # the ledger holds no complainant's data
    url = f"/reports/jobs/{job.pk}/file/xlsx/"
    assert login(org.supervisor).get(url).status_code == 200
    roles_set(org.supervisor, "department_handler")
    assert login(org.supervisor).get(url).status_code == 403
    org.supervisor.is_active = False
    org.supervisor.save(update_fields=["is_active"])
    roles_set(org.supervisor, "supervisor")
    assert login(org.leader).get(url).status_code == 404  # never anybody else's


def test_jobs_queued_before_are_sealed_by_the_migration(org):
    migration = importlib.import_module("tousu.reports.migrations.0002_reportjob_add_sealed_expiry")
    job = ReportJob.objects.create(
        kind="export",
        title="导出",
        params={"kind": "complaints", "format": "csv", "filters": {"q": ["李小龙"], "x": ["1"]}},
        requested_by=org.leader,
    )
    migration.seal_searches(apps, None)
    job.refresh_from_db()
    assert job.params["filters"] == {"x": ["1"]} and "李小龙" not in str(job.params)
    assert job.sealed_params == {"filters": {"q": ["李小龙"]}} and job.personal_data


# ------------------------------------------- the search in the audit chain


@pytest.mark.parametrize(
    ("search", "secret", "kept"),
    [
        ("李小龙 13900001111", ["李小龙", "13900001111", "1111"], "*" * 15),
        ("张三的邮箱 zhang.san@example.com", ["张三", "zhang", "example"], None),
        ("138-0000-1111", ["13800001111", "0000"], "138****1111"),
        ("好味道餐馆", ["好味道"], "*****"),
    ],
)
def test_the_audit_keeps_no_name_phone_or_address_from_a_search(
    cases,  # noqa: F811
    org,
    search,
    secret,
    kept,
    tmp_path,
):
    # Nothing may match (then nothing is audited, and the masking is checked directly).
    with contextlib.suppress(InvalidInput):
        export_write("complaints", "csv", tmp_path / "x.csv", org.leader, {"q": search})
    shown = _masked_query(search)
    assert not any(s in shown for s in secret), shown
    if kept is not None:
        assert shown == kept
    for event in AuditEvent.objects.filter(action="export.made"):
        assert not any(s in str(event.data) for s in secret)


def test_a_tracking_number_search_is_kept_as_it_is(cases, org, tmp_path):  # noqa: F811
    number = cases[0].tracking_no
    export_write("complaints", "csv", tmp_path / "x.csv", org.leader, {"q": number.lower()})
    event = AuditEvent.objects.get(action="export.made")
    assert event.data["filters"]["q"] == number


# ------------------------------------------- 15. the ledger behind the gate


def test_the_ledger_hides_confidential_complaints_from_a_supervisor(ledger, org, cases):  # noqa: F811
    secret = complaint_make(org.clerk, department="quality", confidential=True)
    PenaltyEntry.objects.create(
        key="test:secret",
        person=org.handler,
        rule="late_slip",
        rule_label="转交单逾期",
        complaint=secret,
        amount=Decimal("200.00"),
        period=ledger,
    )
    supervisor = login(org.supervisor)
    header, *rows = csv_rows(
        body(supervisor.get(URL.format("penalties"), {"format": "csv", "period": ledger}))
    )
    assert len(rows) == 2 and secret.tracking_no not in str(rows)
    page = supervisor.get(f"/supervision/penalties/?period={ledger}").content.decode()
    assert secret.tracking_no not in page and cases[0].tracking_no in page  # the page agrees
    header, *rows = csv_rows(
        body(login(org.leader).get(URL.format("penalties"), {"format": "csv", "period": ledger}))
    )
    assert len(rows) == 3 and secret.tracking_no in str(rows)  # leadership sees it


# ------------------------------------------- 4b. ledger periods by booking moment


def test_a_ledger_period_counts_the_entries_booked_in_it_to_the_day(ledger, org, cases):  # noqa: F811
    today = timezone.localdate()
    first = today.replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    booked = timezone.make_aware(datetime.combine(last_month + timedelta(days=14), time(9)))
    PenaltyEntry.objects.create(
        key="test:old",
        person=org.handler,
        rule="late_slip",
        rule_label="转交单逾期",
        complaint=cases[2],
        amount=Decimal("100.00"),
        period=f"{last_month:%Y-%m}",
        booked_at=booked,
    )

    def count(period: str) -> int:
        return export_prepare(kind="penalties", user=org.supervisor, query={"period": period}).count

    mid = last_month + timedelta(days=14)
    assert count(f"{last_month:%Y-%m}") == 1
    assert count(mid.isoformat()) == 1  # the day of the event
    with pytest.raises(NothingToExport):  # the days of that month before the event
        count(f"{last_month.isoformat()}..{(mid - timedelta(days=1)).isoformat()}")
    assert count(f"{mid.isoformat()}..{today.isoformat()}") == 3  # spans both months
    assert count(today.isoformat()) == 2  # the fixture's entries are booked now
    assert count(str(today.year)) == (3 if last_month.year == today.year else 2)
    with pytest.raises(InvalidInput) as refused:
        count("2026-13")
    assert list(refused.value.field_errors) == ["period"]


# ------------------------------------------- the export buttons


def test_the_ledger_and_incident_pages_offer_the_export(ledger, org, cases):  # noqa: F811
    page = login(org.supervisor).get(f"/supervision/penalties/?period={ledger}").content.decode()
    assert f"/reports/exports/penalties/?format=xlsx&amp;period={ledger}" in page
    assert f"/reports/exports/penalties/?format=csv&amp;period={ledger}" in page
    assert "/reports/exports/penalties/" not in (
        login(org.handler).get(f"/supervision/penalties/?period={ledger}").content.decode()
    )
    incident_open(
        revision=PlanRevision.objects.get(),
        title="同一商家多起投诉",
        level="III",
        source="person",
        actor=org.leader,
        now=timezone.now(),
        complaints=cases[:2],
    )
    leader = login(org.leader)
    html = leader.get("/incidents/?state=open").content.decode()
    assert "/reports/exports/incidents/?format=xlsx&amp;state=open" in html
    header, *rows = xlsx_rows(body(leader.get(URL.format("incidents"), {"state": "open"})))
    assert len(rows) == 1
    closed = leader.get(URL.format("incidents"), {"state": "closed"})
    assert closed.status_code == 302  # nothing closed: a message, not an empty file
    bad = leader.get(URL.format("incidents"), {"state": "gone"}, follow=True)
    assert any("all" in str(m) or "全部" in str(m) for m in bad.context["messages"])
