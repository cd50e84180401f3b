"""Exports of complaints, the penalty ledger and incidents: the file a person downloads
holds exactly the rows their list shows, in labels, masked unless their role may see
personal data, and the export is in the audit chain."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.tests.factories import complainant, complaint_make
from tousu.conftest import PASSWORD
from tousu.deadlines.models import Deadline
from tousu.incidents.activation import incident_open
from tousu.plans.models import PlanRevision
from tousu.plans.services import organisation_plan_adopt, plan_load, template_source
from tousu.reports.choices import JobStatus
from tousu.reports.exports.services import NothingToExport, export_write
from tousu.reports.jobs import jobs_run
from tousu.reports.models import ReportJob

pytestmark = pytest.mark.django_db

URL = "/reports/exports/{}/"


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def cases(org):
    """Three complaints of the quality department, one of after-sales, under the market
    plan: two phones, a major one, an amount and a spreadsheet formula in a title."""
    plan_load(source=template_source("market"))
    organisation_plan_adopt(key="market")
    made = [
        complaint_make(org.clerk, department="quality", amount_involved=Decimal("199.50")),
        complaint_make(
            org.clerk,
            department="quality",
            severity="major",
            title='=HYPERLINK("http://x")',
            complainant=complainant(name="李小龙", phone="13900001111"),
        ),
        complaint_make(org.clerk, department="food", merchant="好味道餐馆"),
        complaint_make(org.clerk, department="after_sales", category="after_sales"),
    ]
    return made


def xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return b"".join(response) if hasattr(response, "file_to_stream") else response.content


def by_tracking(rows: list[list], header: list) -> dict[str, dict]:
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def list_tracking_numbers(client: Client, query: str = "") -> set[str]:
    html = client.get(f"/complaints/?{query}").content.decode()
    return set(re.findall(r'class="tracking-no"><a [^>]*>(TS-\d{8}-\d{6})<', html))


# ---------------------------------------------------------------- complaints


def test_xlsx_opens_with_chinese_headers_labels_and_clear_data_for_the_leader(cases, org):
    response = login(org.leader).get(URL.format("complaints"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = xlsx_rows(body(response))
    assert header[:7] == ["投诉编号", "标题", "类别", "级别", "性质", "状态", "阶段"], header
    assert len(rows) == 4
    row = by_tracking(rows, header)[cases[1].tracking_no]
    assert row["级别"] == "重大"  # the plan's label, not "major"
    assert row["性质"] == "问题型"
    assert row["阶段"] == "投诉受理"
    assert row["类别"] == "商品质量"
    assert row["标题"] == '=HYPERLINK("http://x")'  # text, not a formula
    assert row["电话"] == "13900001111" and row["投诉人"] == "李小龙"
    first = by_tracking(rows, header)[cases[0].tracking_no]
    assert first["涉及金额（元）"] == 199.5 and row["涉及金额（元）"] is None
    received = timezone.localtime(cases[0].received_at).replace(tzinfo=None)
    assert abs((first["受理时间"] - received).total_seconds()) < 60  # local time, a real date
    assert first["状态"] == "已登记" or first["状态"] not in ("registered", "", None)
    values = {str(v) for r in rows for v in r if v is not None}
    assert not values & {"major", "ordinary", "problem", "intake", "registered", "phone"}


def test_csv_starts_with_the_bom_and_masks_personal_data_for_a_supervisor(cases, org):
    assert not org.supervisor.sees_personal_data
    response = login(org.supervisor).get(URL.format("complaints"), {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    header, *rows = csv_rows(body(response))
    assert len(rows) == 4
    row = by_tracking(rows, header)[cases[1].tracking_no]
    assert row["电话"] == "139****1111" and row["投诉人"] == "李**"
    assert row["标题"] == '\'=HYPERLINK("http://x")'  # defused for spreadsheets
    assert "13900001111" not in body(
        login(org.supervisor).get(URL.format("complaints"), {"format": "csv"})
    ).decode("utf-8-sig")


def test_the_export_is_in_the_audit_chain_without_personal_data(cases, org):
    login(org.leader).get(
        URL.format("complaints"), {"format": "xlsx", "severity": "major", "q": "13900001111"}
    )
    event = AuditEvent.objects.get(action="export.made")
    assert event.actor == org.leader and event.object_id == "complaints"
    assert event.data["format"] == "xlsx" and event.data["rows"] == 1
    assert event.data["filters"]["severity"] == "major"
    assert event.data["personal_data"] is True
    assert "13900001111" not in str(event.data) and event.data["filters"]["q"] == "139****1111"


def test_a_filtered_export_has_exactly_the_rows_of_the_filtered_list(cases, org):
    client = login(org.leader)
    for query in ("severity=major", "department=food", "category=quality", "q=好味道餐馆", ""):
        params = dict(p.split("=") for p in query.split("&") if p)
        response = client.get(URL.format("complaints"), {"format": "csv", **params})
        header, *rows = csv_rows(body(response))
        assert {r[0] for r in rows} == list_tracking_numbers(client, query), query


def test_a_handler_exports_only_the_complaints_their_gate_shows(cases, org):
    client = login(org.handler)  # quality, with the food group below it
    header, *rows = xlsx_rows(body(client.get(URL.format("complaints"))))
    mine = {c.tracking_no for c in cases[:3]}
    assert {r[0] for r in rows} == mine == list_tracking_numbers(client)
    assert by_tracking(rows, header)[cases[0].tracking_no]["电话"] == "13812345678"


def test_zero_rows_give_a_message_on_the_list_not_an_empty_file(cases, org):
    client = login(org.leader)
    response = client.get(URL.format("complaints"), {"format": "xlsx", "q": "不存在的关键词xyz"})
    assert response.status_code == 302
    assert response["Location"].startswith("/complaints/?") and "q=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "没有可导出的" in page or "nothing to export" in page
    assert not AuditEvent.objects.filter(action="export.made").exists()


def test_a_bad_filter_or_format_is_refused_with_the_field_named(cases, org):
    client = login(org.leader)
    bad_date = client.get(URL.format("complaints"), {"received_from": "2026-02-30"}, follow=True)
    assert bad_date.status_code == 200
    messages = [str(m) for m in bad_date.context["messages"]]
    assert any("受理日期" in m or "Received from" in m or "日期" in m for m in messages), messages
    bad_format = client.get(URL.format("complaints"), {"format": "pdf"}, follow=True)
    assert any("XLSX" in str(m) for m in bad_format.context["messages"])
    assert client.get(URL.format("nothing")).status_code == 404
    with pytest.raises(NothingToExport):
        export_write("complaints", "csv", "/dev/null", org.leader, {"q": "xyz不存在"})


def test_headers_follow_the_users_language(cases, org, tmp_path):
    org.leader.language = "en"
    org.leader.save(update_fields=["language"])
    path = tmp_path / "en.csv"
    assert export_write("complaints", "csv", path, org.leader) == 4
    header, *rows = csv_rows(path.read_bytes())
    assert header[:2] == ["Tracking number", "Title"]
    assert {r[3] for r in rows} <= {"普通", "重大"}  # the plan's own labels stay


def test_a_row_names_its_department_assignee_and_next_due_in_local_time(cases, org, tmp_path):
    # Plain values, not model instances: the joined names and the list's annotation
    # must still land in their columns, and a missing assignee is a blank cell.
    first, second = cases[0], cases[1]
    Complaint.objects.filter(pk=first.pk).update(assignee=org.handler)
    path = tmp_path / "all.csv"
    assert export_write("complaints", "csv", path, org.leader) == 4
    header, *rows = csv_rows(path.read_bytes())
    found = by_tracking(rows, header)
    row, other = found[first.tracking_no], found[second.tracking_no]
    assert (row["部门"], row["承办人"], other["承办人"]) == ("商品质量管理部", "刘洋", "")
    due = Deadline.objects.filter(complaint=first, closed_at__isnull=True).order_by("due_at")[0]
    assert row["到期时间"] == timezone.localtime(due.due_at).strftime("%Y-%m-%d %H:%M")
    assert row["受理时间"] == timezone.localtime(first.received_at).strftime("%Y-%m-%d %H:%M")


def test_a_large_export_is_made_by_the_worker_with_progress(cases, org, settings):
    settings.EXPORT_STREAM_LIMIT = 1
    client = login(org.supervisor)
    response = client.get(URL.format("complaints"), {"format": "xlsx", "category": "quality"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/jobs/{job.pk}/"
    assert job.params["filters"] == {"category": ["quality"]} and job.requested_by == org.supervisor
    assert "<progress" in client.get(response["Location"]).content.decode()
    assert not AuditEvent.objects.filter(action="export.made").exists()  # not made yet
    assert jobs_run() == {"reports": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total) == (3, 3)
    download = client.get(f"/reports/jobs/{job.pk}/file/xlsx/")
    header, *rows = xlsx_rows(b"".join(download.streaming_content))
    assert {r[0] for r in rows} == {c.tracking_no for c in cases[:3]}
    assert all("****" in r[header.index("电话")] for r in rows)  # the supervisor's masks
    event = AuditEvent.objects.get(action="export.made")
    assert event.actor == org.supervisor and event.data["rows"] == 3
    assert login(org.leader).get(f"/reports/jobs/{job.pk}/file/xlsx/").status_code == 404


def test_the_row_iterator_reads_in_a_bounded_number_of_queries(cases, org, tmp_path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_write("complaints", "xlsx", tmp_path / "q.xlsx", org.leader)
        return len(captured)

    def more(n: int) -> None:
        for i in range(n):
            phone = f"137{len(cases) + i:08d}"
            cases.append(complaint_make(org.clerk, complainant=complainant(phone=phone)))

    more(1)
    queries()  # the leader's roles are read once, then kept on the user
    before = queries()
    more(6)
    assert queries() == before  # no query per row (no N+1)


# ---------------------------------------------------------------- penalties


@pytest.fixture
def ledger(cases, org):
    month = f"{timezone.localdate():%Y-%m}"
    for n, (person, performance, status) in enumerate(
        [(org.handler, "zero", "active"), (org.head, "", "waived")]
    ):
        PenaltyEntry.objects.create(
            key=f"test:{n}",
            person=person,
            rule="late_slip",
            rule_label="转交单逾期",
            complaint=cases[n],
            amount=Decimal("100.00"),
            performance=performance,
            status=status,
            period=month,
        )
    return month


def test_the_penalty_ledger_exports_for_supervisors_with_labels(ledger, org, cases):
    response = login(org.supervisor).get(
        URL.format("penalties"), {"format": "csv", "period": ledger}
    )
    header, *rows = csv_rows(body(response))
    assert len(rows) == 2
    assert header[:4] == ["考核期", "人员", "部门", "规则"] and "绩效影响" in header
    first = dict(zip(header, rows[0], strict=True))
    assert (
        first["人员"] == "刘洋"
        and first["规则"] == "转交单逾期"
        and first["部门"] == "商品质量管理部"
    )
    assert first["金额（元）"] == "100.00" and cases[0].tracking_no in rows[0]
    assert first["绩效影响"] == "当月绩效为零"
    assert sorted(r[header.index("状态")] for r in rows) == ["已免除", "生效"]


def test_the_penalty_ledger_is_refused_to_others_and_checks_its_period(ledger, org):
    assert login(org.handler).get(URL.format("penalties")).status_code == 403
    client = login(org.supervisor)
    bad = client.get(URL.format("penalties"), {"period": "2026-13"}, follow=True)
    assert bad.request["PATH_INFO"] == "/supervision/penalties/"
    assert any("2026-13" in str(m) for m in bad.context["messages"])
    empty = client.get(URL.format("penalties"), {"period": "2020-01"})
    assert empty.status_code == 302 and not PenaltyEntry.objects.filter(period="2020-01").exists()


# ---------------------------------------------------------------- incidents


def test_incidents_export_with_the_plans_level_label_and_visible_complaint_count(cases, org):
    incident_open(
        revision=PlanRevision.objects.get(),
        title="同一商家多起投诉",
        level="III",
        source="person",
        actor=org.leader,
        now=timezone.now(),
        complaints=cases[:2],
    )
    response = login(org.leader).get(URL.format("incidents"))
    header, *rows = xlsx_rows(body(response))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert header[0] == "事件编号"
    assert row["标题"] == "同一商家多起投诉" and row["关联投诉"] == 2 and row["预案"]
    assert row["响应级别"] == "III 较大"  # the plan's label
    assert row["状态"] == "已启动" and row["启动时间"] is not None
    # Nobody in the command structure: the handler sees no incident, so nothing to export.
    assert login(org.handler).get(URL.format("incidents")).status_code == 302
