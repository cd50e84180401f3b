"""``tousu import``: an earlier hotline system's export comes in — bad rows listed with
their reasons, good ones imported once, closed cases archived, open ones started under
the plan with their clocks from when they were received."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import timeline_rows
from tousu.complaints.selectors import complaint_timeline
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import due_compute
from tousu.demo.loader import demo_organisation_create
from tousu.imports.models import ImportedRecord, ImportRun
from tousu.imports.tests.files import (
    HEADER,
    MAPPING,
    ago,
    csv_file,
    mapping_file,
    row,
    run_import,
    xlsx_file,
)
from tousu.incidents.models import Incident
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import worker


@pytest.fixture
def market(db):
    return demo_organisation_create("market")


def mixed_rows() -> list[dict]:
    """Two closed and one open good row, and five bad ones (rows 5 to 9 of the file)."""
    return [
        row("A001", "2025-06-01 09:30"),
        row("A002", "2025/6/2 14:05", 类别="after_sales", 来源="来访"),
        row("A003", ago(hours=2), closed=False),
        row("A004", "2025-13-45 10:00"),
        row("A005", "2025-06-03 10:00", 类别="家电维修"),
        row("A006", "2025-06-04 10:00", 联系电话="12345"),
        row("A007", "2025-06-05 10:00"),
        row("A007", "2025-06-06 10:00"),
    ]


def problems(output: str) -> dict[int, str]:
    """The bad rows the command lists: row number → its line."""
    found = {}
    for line in output.splitlines():
        if line.startswith("row "):
            found[int(line.split()[1])] = line
    return found


@pytest.mark.parametrize("kind", ["gbk", "utf-8-sig", "utf-8", "xlsx"])
def test_a_dry_run_lists_every_bad_row_with_its_reason_and_writes_nothing(market, tmp_path, kind):
    if kind == "xlsx":
        path = xlsx_file(tmp_path, mixed_rows())
    else:
        path = csv_file(tmp_path, mixed_rows(), encoding=kind)
    events = AuditEvent.objects.count()
    with translation.override("en"):
        output = run_import(path, mapping_file(tmp_path), "--dry-run")

    bad = problems(output)
    assert sorted(bad) == [5, 6, 7, 8, 9]
    assert "received_at [受理时间]: Not a date: “2025-13-45 10:00”." in bad[5]
    assert "category [类别]: Unknown category “家电维修”." in bad[6]
    assert "complainant_phone [联系电话]: Not a valid mainland phone number." in bad[7]
    assert "(source id A007): source_id [工单号]: The same source id is also on row 9." in bad[8]
    assert "also on row 8." in bad[9]
    assert "8 rows read, 3 would be imported (2 archived, 1 open), 0 already imported, 5 bad" in (
        output
    )
    assert Complaint.objects.count() == 0
    assert ImportedRecord.objects.count() == ImportRun.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert not (tmp_path / "export.bad-rows.csv").exists()


def test_a_wrong_encoding_is_named_and_the_right_one_reads_the_file(market, tmp_path):
    path = csv_file(tmp_path, [row("A001", "2025-06-01 09:30")], encoding="gbk")
    with translation.override("en"), pytest.raises(CommandError) as raised:
        run_import(path, mapping_file(tmp_path), "--encoding", "utf-8")
    assert "export.csv is not in utf-8 (byte" in str(raised.value)
    with translation.override("en"):
        output = run_import(path, mapping_file(tmp_path), "--encoding", "gbk", "--dry-run")
    assert "1 would be imported" in output


def test_a_real_run_imports_the_good_rows_and_a_second_run_nothing_new(market, tmp_path):
    path = csv_file(tmp_path, mixed_rows())
    mapping = mapping_file(tmp_path)
    with translation.override("en"):
        output = run_import(path, mapping)

    assert "8 rows read, 3 imported (2 archived, 1 open" in output
    assert "0 skipped as already imported, 5 bad" in output
    assert sorted(problems(output)) == [5, 6, 7, 8, 9]
    imported = ImportedRecord.objects.filter(source="old_hotline")
    assert sorted(imported.values_list("source_id", flat=True)) == ["A001", "A002", "A003"]
    first = Complaint.objects.get(imported_from__source_id="A001")
    assert first.title == "电热水壶使用一周漏水"
    assert first.category.key == "quality"  # given by its label, 商品质量
    assert first.channel == "phone"  # 电话, through the mapping's values
    assert str(first.amount_involved) == "1280.50"
    assert first.complainant.phone == "13812345678"
    assert first.received_by is None
    assert first.department.code == "office"  # where the plan's intake happens
    assert Complaint.objects.get(imported_from__source_id="A002").channel == "walk_in"
    with (tmp_path / "export.bad-rows.csv").open(encoding="utf-8-sig", newline="") as report:
        lines = list(csv.reader(report))
    assert lines[0] == ["row", "source id", "field", "column", "problem"]
    assert [line[0] for line in lines[1:]] == ["5", "6", "7", "8", "9"]
    assert lines[2][2:] == ["category", "类别", "Unknown category “家电维修”."]

    with translation.override("en"):
        again = run_import(path, mapping)
    assert "8 rows read, 0 imported" in again
    assert "3 skipped as already imported, 5 bad" in again
    assert "Nothing new to import: 3 rows were imported before." in again
    assert Complaint.objects.count() == 3
    # With the bad rows put right, only they come in.
    fixed = csv_file(tmp_path, [r for r in mixed_rows()[:3]] + [row("A004", "2025-06-03 10:00")])
    with translation.override("en"):
        last = run_import(fixed, mapping)
    assert "4 rows read, 1 imported" in last
    assert sorted(imported.values_list("source_id", flat=True)) == ["A001", "A002", "A003", "A004"]
    assert ImportRun.objects.count() == 3


def test_the_second_run_of_a_clean_file_says_nothing_is_new(market, tmp_path):
    path = xlsx_file(tmp_path, [row("B1", "2025-06-01 09:30"), row("B2", "2025-06-02 09:30")])
    mapping = mapping_file(tmp_path)
    run_import(path, mapping)
    with translation.override("en"):
        output = run_import(path, mapping)
    assert "Nothing new to import: 2 rows were imported before." in output
    assert Complaint.objects.count() == 2


def test_a_missing_required_column_stops_at_once_naming_it(market, tmp_path):
    header = [column for column in HEADER if column != "受理时间"]
    path = csv_file(tmp_path, [row("A001", "2025-06-01 09:30")], header=header)
    with translation.override("en"), pytest.raises(CommandError) as raised:
        run_import(path, mapping_file(tmp_path))
    assert str(raised.value) == (
        "The file has no column “受理时间” (the mapping names it for received_at)."
    )
    assert Complaint.objects.count() == ImportRun.objects.count() == 0


def test_a_mapping_without_a_required_field_is_refused(market, tmp_path):
    mapping = mapping_file(tmp_path, MAPPING.replace("  received_at: 受理时间\n", ""))
    path = csv_file(tmp_path, [row("A001", "2025-06-01 09:30")])
    with pytest.raises(CommandError, match="received_at"):
        run_import(path, mapping)


def test_closed_cases_come_in_archived_without_clocks_or_messages(market, tmp_path):
    path = xlsx_file(tmp_path, [row("C1", "2025-06-01 09:30"), row("C2", "2025-07-01 16:00")])
    run_import(path, mapping_file(tmp_path))

    complaints = Complaint.objects.order_by("received_at")
    assert [(c.stage, c.status) for c in complaints] == [("archived", "archived")] * 2
    assert [c.tracking_no for c in complaints] == ["TS-20250601-000001", "TS-20250701-000001"]
    assert complaints[0].received_at.isoformat() == "2025-06-01T01:30:00+00:00"
    assert not Deadline.objects.exists()
    assert not Notification.objects.filter(complaint__isnull=False).exists()
    # The timeline says it was imported, with the old system's reply.
    with translation.override("en"):
        rows = timeline_rows(complaint_timeline(complaints[0]), complaints[0].plan)
        actions = [(str(r["action"]), str(r["actor"])) for r in rows]
    assert actions == [("Registered", "system (import)"), ("归档", "system (import)")]
    assert {"field": "Reply", "before": None, "after": "已协调商户退货退款。"} in rows[1]["changes"]
    assert {"field": "status", "before": None, "after": "Archived"} in rows[0]["changes"]
    # The staff see it on the complaint's page.
    client = Client()
    client.force_login(market["supervisor"])
    page = client.get(reverse("complaints:detail", args=[complaints[0].tracking_no]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "系统（导入）" in text and "已协调商户退货退款。" in text


@pytest.fixture
def assurance(db):
    return demo_organisation_create("assurance")


def test_open_cases_count_from_when_they_were_received_and_old_breaches_cost_nothing(
    assurance, tmp_path
):
    """The assurance plan fines a missed 1-hour reply and opens an emergency response on
    a missed 24-hour plan: an open case received three days ago has missed both before it
    came in — recorded as breached, and neither penalised, escalated nor announced."""
    received = ago(days=3)
    recent = ago(minutes=10)
    rows = [
        row("D1", received, closed=False, 类别="product_quality"),
        row("D2", recent, closed=False, 类别="product_quality"),
        row("D3", "2025-06-01 09:30", 类别="product_quality"),
    ]
    path = xlsx_file(tmp_path, rows)
    with translation.override("en"):
        output = run_import(path, mapping_file(tmp_path))
    assert "3 imported (1 archived, 2 open; 2 deadlines already breached)" in output

    old = Complaint.objects.get(imported_from__source_id="D1")
    assert (old.stage, old.status) == ("intake", "registered")
    late = {d.kind: d for d in Deadline.objects.filter(complaint=old)}
    assert set(late) == {"response_1h", "initial_plan_24h"}
    for kind, amount in (("response_1h", 1), ("initial_plan_24h", 24)):
        assert late[kind].anchor_at == received
        assert late[kind].due_at == due_compute(anchor_at=received, amount=amount, unit="hours").at
        assert late[kind].breached_at == late[kind].due_at
    fresh = Deadline.objects.filter(complaint__imported_from__source_id="D2")
    assert {d.kind for d in fresh} == {"response_1h", "initial_plan_24h"}
    assert all(d.anchor_at == recent and d.breached_at is None for d in fresh)
    archived = Complaint.objects.get(imported_from__source_id="D3")
    assert (archived.stage, archived.status) == ("closed", "closed")  # its terminal stage
    with translation.override("en"):
        timeline = timeline_rows(complaint_timeline(old), old.plan)
        breaches = [str(r["actor"]) for r in timeline if r["action"] == "Deadline escalation"]
    assert breaches == ["system (import)"] * 2

    # One summary, to the supervisors, and nothing else — nor after the worker's pass.
    worker(ago(minutes=0).isoformat())
    told = Notification.objects.filter(channel="in_app")
    assert list(told.values_list("recipient__username", "complaint")) == [("supervisor", None)]
    assert "Deadlines of open cases already missed before the import: 2 " in told.get().body
    assert not Notification.objects.filter(complaint__isnull=False).exists()
    assert not PenaltyEntry.objects.exists()
    assert not Incident.objects.exists()
    assert Deadline.objects.filter(complaint=old, breached_at__gt=received).count() == 2


def test_the_audit_log_verifies_after_an_import(market, tmp_path):
    rows = [row(f"E{n}", ago(days=n), closed=n % 2 == 0) for n in range(1, 9)]
    run_import(xlsx_file(tmp_path, rows), mapping_file(tmp_path))
    assert AuditEvent.objects.filter(complaint__isnull=False).count() > 8

    for step in ("before the seal", "after it"):
        out = io.StringIO()
        with translation.override("en"):
            call_command("audit", "verify", stdout=out)  # raises on the first bad event
        assert "audit log intact" in out.getvalue(), step
        call_command("audit", "seal", stdout=io.StringIO())
