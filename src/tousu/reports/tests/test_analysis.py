"""The analysis report (客诉分析报告): its figures equal direct counts, the command writes a
Word document and a PDF that open and read as Chinese with the npm font embedded, bad
input is refused, and the page queues a job that the worker makes."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tousu.assessment.choices import PenaltyStatus
from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.core.problems import InvalidInput
from tousu.deadlines.models import Deadline
from tousu.incidents.models import Incident
from tousu.reports.analysis.figures import analysis_figures
from tousu.reports.analysis.scope import SYSTEM
from tousu.reports.models import ReportJob
from tousu.reports.periods import period_parse
from tousu.reports.tests.analysis_setup import OCTOBER, in_october, october_build

QUERIES = 45  # 38 today, with 7 complaints, 7 incidents and ~40 deadline rows


@pytest.fixture(scope="module")
def october(django_db_setup, django_db_blocker):
    """The assurance demo with a small, known October 2026: seven complaints there (one
    walked to the customer's rating and closed, then repeated; one urgent that opened an
    incident), one in September and one in November; a worker pass that breached the
    running time limits and booked their penalties.

    Built once for the module, in a transaction rolled back after its last test (each
    test's own transaction is a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield october_build()
        transaction.set_rollback(True)


def test_the_figures_equal_direct_counts(october, db):
    figures = analysis_figures(OCTOBER, user=SYSTEM)
    received = Complaint.objects.filter(**in_october())
    summary = figures["summary"]
    assert summary["total"] == received.count() == 7
    assert summary["previous"] == 1 and summary["change"] == 6
    assert summary["closed"] == received.filter(status="closed").count() == 1
    assert sum(figures["trend"]["values"]) == 7 and len(figures["trend"]["labels"]) == 31
    assert figures["trend"]["values"][19] == 3  # 20 October
    by = {name: {r["label"]: r["count"] for r in rows} for name, rows in figures["by"].items()}
    assert by["category"] == {
        "产品功能": received.filter(category__key="product_function").count(),
        "产品质量投诉": received.filter(category__key="product_quality").count(),
        "服务态度": 1,
    }
    assert by["category"]["产品功能"] == 4
    with translation.override("zh-hans"):
        assert by["channel"] == {
            gettext("Phone"): 3,
            gettext("Email"): 1,
            gettext("Chat"): 1,
            gettext("Web"): 2,
        }
    assert by["department"] == {"客服部": 6, "安装维修服务中心": 1}
    # The plan's labels, not keys (the worker's breach raised some to major).
    words = {"ordinary": "普通", "major": "重大", "urgent": "紧急"}
    assert by["severity"] == {
        words[row["severity"]]: row["n"]
        for row in received.values("severity").annotate(n=Count("pk")).order_by()
    }
    assert by["severity"]["紧急"] == 1
    top = figures["top"]
    assert top["product"][0] == {"label": "安居S3智能门锁", "count": 4}
    assert top["merchant"] == [{"label": "华宸官方旗舰店", "count": 5}]
    assert top["place"] == []  # 杭州市西湖区 once: a "top place" needs two complaints
    # Time limits: every row of the period's complaints counted once, by the plan's label.
    rows = Deadline.objects.filter(complaint__in=received)
    deadlines = figures["deadlines"]
    assert deadlines["met"] + deadlines["missed"] + deadlines["open"] == rows.count()
    assert deadlines["missed"] >= rows.filter(breached_at__isnull=False).count() > 0
    labels = {r["label"] for r in deadlines["rows"]}
    response = next(r for r in deadlines["rows"] if r["label"] == "回复客户时限（1小时）")
    first = rows.filter(kind="response_1h")  # the plan's rule behind that label
    assert response["met"] + response["missed"] + response["open"] == first.count() == 7
    assert response["met"] == first.filter(closed_at__lte=F("due_at")).count() == 1
    assert not any("_" in label for label in labels)
    assert sum(r["met"] for r in deadlines["rows"]) == deadlines["met"] > 0
    satisfaction = figures["satisfaction"]
    assert satisfaction["rated"] == 1 and satisfaction["rate"] == 100.0
    assert figures["repeats"]["repeats"] == 1
    incidents = Incident.objects.filter(**in_october("opened_at")).count()
    assert figures["incidents"]["count"] == incidents >= 1  # the urgent one, and escalations
    assert sum(r["count"] for r in figures["incidents"]["by_level"]) == incidents
    start, end = OCTOBER.bounds()
    penalties = PenaltyEntry.objects.filter(booked_at__gte=start, booked_at__lt=end).exclude(
        status=PenaltyStatus.WAIVED
    )
    assert figures["penalties"]["count"] == penalties.count() > 0
    assert Decimal(figures["penalties"]["sum"]) == penalties.aggregate(s=Sum("amount"))["s"]
    # KPI scores by the assurance plan's standard (reports.kpi), one row per department.
    kpi = figures["kpi"]
    assert kpi["standard"] and {r["name"] for r in kpi["rows"]} <= {"客服部", "安装维修服务中心"}
    assert sum(r["received"] for r in kpi["rows"]) == 7


def test_the_figures_take_a_fixed_number_of_queries(october, db, django_assert_max_num_queries):
    """Aggregated in the database: no query per complaint, deadline or incident."""
    with django_assert_max_num_queries(QUERIES):
        analysis_figures(OCTOBER, user=SYSTEM)
    with django_assert_max_num_queries(QUERIES + 10):  # + the person's gate
        analysis_figures(OCTOBER, user=october["head"], department="customer_service")


def test_a_person_sees_only_their_departments(october, db):
    """The installation centre's handler would count only what the gate shows them."""
    head = october["head"]  # 客服部 head: 客服部 and the installation centre below it
    mine = analysis_figures(OCTOBER, user=head, department="installation")
    assert mine["summary"]["total"] == 1
    assert mine["scope"]["department"] == "安装维修服务中心"
    production = october["production_handler"]
    theirs = analysis_figures(OCTOBER, user=production)
    assert (
        theirs["summary"]["total"]
        == Complaint.objects.visible_to(production).filter(**in_october()).count()
    )
    assert theirs["summary"]["total"] < 7
    with pytest.raises(InvalidInput) as refused:
        analysis_figures(OCTOBER, user=production, department="customer_service")
    assert "customer_service" in refused.value.field_errors["department"][0]
    with pytest.raises(InvalidInput) as unknown:
        analysis_figures(OCTOBER, user=SYSTEM, plan_key="no_such_plan")
    assert "plan" in unknown.value.field_errors


def test_the_command_writes_a_word_document_and_a_pdf_in_chinese(october, db, tmp_path):
    from docx import Document
    from pypdf import PdfReader

    from tousu.core.documents.fonts import FONT_NAME
    from tousu.core.tests.pdfs import pdf_fonts, pdf_text

    out = io.StringIO()
    call_command("report", "monthly", "2026-10", "-o", str(tmp_path), stdout=out)
    printed = out.getvalue().split()
    docx_path, pdf_path = Path(printed[0]), Path(printed[1])
    assert docx_path.name == "客诉分析报告-2026-10.docx" and docx_path.is_file()
    assert pdf_path.name == "客诉分析报告-2026-10.pdf" and pdf_path.is_file()
    with translation.override("zh-hans"):
        headings = [
            gettext("1. Summary"),
            gettext("2. Volume and trend"),
            gettext("5. Deadline performance"),
            gettext("10. Penalties"),
        ]
    document = Document(str(docx_path))
    heading_texts = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in headings:
        assert heading in heading_texts
    assert len(document.inline_shapes) >= 4  # trend, category, channel, department … charts
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "产品功能" in cells and "安装维修服务中心" in cells and "安居S3智能门锁" in cells
    data = pdf_path.read_bytes()
    text = pdf_text(data)
    for heading in headings:
        assert heading.replace(" ", "") in text
    assert "华宸智能家电有限公司" in text and "产品功能" in text and "回复客户时限（1小时）" in text
    assert re.search(r"安居S3智能门锁\s*4", text)  # the top product and its count
    fonts = pdf_fonts(data)  # the npm package's Noto Sans Hans, and nothing else
    assert fonts and all(FONT_NAME in name for name in fonts), fonts
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages) >= 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monthly", "2027-01"], "2027-01"),  # in the future
        (["monthly", "October"], "October"),  # does not parse
        (["quarterly", "2026-10"], "2026-10"),  # not a quarter
        (
            [
                "monthly",
                "2026-10",
                "--department",
                "customer_service",
                "--as",
                "production_handler",
            ],
            "customer_service",
        ),
        (["monthly", "2026-10", "--as", "nobody"], "nobody"),
    ],
)
def test_the_command_refuses_bad_input(october, db, tmp_path, args, message):
    with pytest.raises(CommandError) as refused:
        call_command("report", *args, "-o", str(tmp_path), stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert not list(tmp_path.iterdir())


def test_a_long_range_is_counted_by_month(october, db):
    """A range longer than two months: the trend by month, from the month it starts in."""
    period = period_parse("2026-08-15..2026-11-30", kind="range")
    figures = analysis_figures(period, user=SYSTEM)
    assert figures["trend"]["unit"] == "month"
    assert figures["trend"]["labels"] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert figures["trend"]["values"] == [0, 1, 7, 1]
    assert figures["summary"]["total"] == 9
    assert figures["period"]["key"] == "2026-08-15..2026-11-30"


def _post(client, **data):
    body = {"kind": "month", "period": "2026-10", "plan": "", "department": "", **data}
    return client.post(reverse("reports:analysis:form"), body)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"period": "2027-03"}, "period", "2027-03"),  # in the future
        ({"period": "十月"}, "period", "十月"),  # does not parse
        ({"kind": "quarter", "period": "2026-10"}, "period", "2026-10"),
        ({"department": "customer_service"}, "department", "customer_service"),
        ({"plan": "no_such_plan"}, "plan", ""),
    ],
)
def test_the_page_refuses_bad_requests_beside_the_field(october, db, client, data, field, words):
    client.force_login(october["production_handler"])
    response = _post(client, **data)
    assert response.status_code == 422
    page = response.content.decode()
    found = re.search(rf'<div class="invalid-feedback d-block" data-field="{field}">([^<]+)<', page)
    assert found, page
    assert words in found[1]
    assert not ReportJob.objects.exists()


def test_the_page_queues_a_job_that_the_worker_makes(october, db, client, settings, tmp_path):
    from tousu.core.tests.pdfs import pdf_text
    from tousu.reports.jobs import jobs_run

    settings.MEDIA_ROOT = tmp_path  # where the job's files go
    client.force_login(october["head"])
    form = client.get(reverse("reports:analysis:form"))
    assert form.status_code == 200
    assert 'value="installation"' in form.content.decode()  # below the head's department
    assert 'value="production"' not in form.content.decode()  # not theirs to see
    response = _post(client, period="2026-01", department="installation")
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:job", args=[job.pk]
    )
    assert (job.kind, job.title, job.requested_by) == (
        "analysis",
        "客诉分析报告-2026-01",
        october["head"],
    )
    assert job.params == {
        "period": "2026-01",
        "kind": "month",
        "plan": "",
        "department": "installation",
    }
    assert jobs_run() == {"reports": 1}
    job.refresh_from_db()
    assert job.status == "done", job.error
    page = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert reverse("reports:job_file", args=[job.pk, "pdf"]) in page
    assert reverse("reports:job_file", args=[job.pk, "docx"]) in page
    download = client.get(reverse("reports:job_file", args=[job.pk, "pdf"]))
    data = b"".join(download.streaming_content)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "安装维修服务中心" in text and "孙志强" in text  # the department, the reader
    # Someone else cannot fetch it.
    client.force_login(october["clerk"])
    assert client.get(reverse("reports:job_file", args=[job.pk, "pdf"])).status_code == 404


def _body(figures) -> str:
    from tousu.reports.analysis.document import analysis_body

    return analysis_body(figures)


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def test_penalties_follow_the_ledgers_rules(october, db):
    """A reader who is not a supervisor, leader or administrator sees only their own
    entries, as the ledger shows them; the leadership sees everyone's."""
    from tousu.supervision.selectors import penalties_for_period

    def ledger(user):
        rows = penalties_for_period("2026-10", user=user).exclude(status=PenaltyStatus.WAIVED)
        return rows.count(), sum((e.amount for e in rows), Decimal(0))

    everyone = analysis_figures(OCTOBER, user=SYSTEM)["penalties"]
    assert everyone["count"] > 0
    people = set(PenaltyEntry.objects.values_list("person__username", flat=True))
    assert len(people) > 1  # the breaches fell on more than one person
    for name in ("handler", "head", "leader"):
        user = october[name]
        mine = analysis_figures(OCTOBER, user=user)["penalties"]
        count, amount = ledger(user)
        assert (mine["count"], Decimal(mine["sum"])) == (count, amount), name
        assert mine["own_only"] is (name != "leader")
    handler = analysis_figures(OCTOBER, user=october["handler"])["penalties"]
    assert handler["count"] == PenaltyEntry.objects.filter(person=october["handler"]).count()
    assert handler["count"] < everyone["count"]
    assert (
        analysis_figures(OCTOBER, user=october["leader"])["penalties"]["count"]
        == (everyone["count"])
    )
    body = _body(analysis_figures(OCTOBER, user=october["handler"]))
    assert _zh("As in the ledger, only your own entries are shown.") in body
    assert (
        _zh(
            "Entries are counted by the moment of the event that caused them (the breach, the "
            "complaint, the repeat), within the period's dates."
        )
        in body
    )


def test_improvements_are_narrowed_to_the_report_and_the_reader(
    october, db, django_assert_max_num_queries
):
    everything = analysis_figures(OCTOBER, user=SYSTEM)["improvements"]
    assert [r["title"] for r in everything["rows"]] == [
        "更换指纹模组供应商",
        "安装人员服务规范培训",
        "十月分析报告的整改",
    ]  # not December's
    assert (everything["count"], everything["done"], everything["cancelled"]) == (3, 1, 0)
    assert everything["open"] + everything["overdue"] == 2
    done = everything["rows"][0]
    assert done["source"].endswith(Complaint.objects.get(status="closed").tracking_no)
    assert "→" in done["effect"]  # measured: before → after
    # The installation centre's report: the action on its complaint only.
    installation = analysis_figures(OCTOBER, user=SYSTEM, department="installation")
    assert [r["title"] for r in installation["improvements"]["rows"]] == ["安装人员服务规范培训"]
    assert installation["improvements"]["count"] == 1
    # A person: what improvements_visible shows them (their own), nothing more.
    handler = analysis_figures(OCTOBER, user=october["handler"])["improvements"]
    assert [r["title"] for r in handler["rows"]] == ["更换指纹模组供应商"]
    assert handler["count"] == handler["done"] == 1
    head = analysis_figures(OCTOBER, user=october["head"], department="customer_service")
    # The installation centre is below 客服部; the head owns that action, not the other.
    assert [r["title"] for r in head["improvements"]["rows"]] == ["安装人员服务规范培训"]
    # A plan without these complaints: none.
    other = analysis_figures(OCTOBER, user=SYSTEM, plan_key="assurance")
    assert other["improvements"]["count"] == 2  # the report's own action has no plan


def test_a_running_period_is_cut_at_today(october, db):
    """October seen on 12 October: counted up to then, against 1–12 September, the trend
    twelve days long, and the report says so."""
    figures = analysis_figures(OCTOBER, user=SYSTEM, today=date(2026, 10, 12))
    assert figures["period"]["running"] is True
    assert figures["period"]["end"] == "2026-10-12"
    assert figures["summary"]["total"] == 4  # 8 October and three on the 12th
    assert figures["summary"]["previous"] == 0  # 20 September is after 12 September
    assert figures["previous"]["start"] == "2026-09-01"
    assert figures["previous"]["end"] == "2026-09-12"
    assert len(figures["trend"]["labels"]) == 12 and figures["trend"]["labels"][-1] == "10-12"
    with translation.override("zh-hans"):
        cut = gettext("up to %(month)d/%(day)d") % {"month": 10, "day": 12}
    assert figures["period"]["cut"] == cut
    assert cut in _body(figures)
    over = analysis_figures(OCTOBER, user=SYSTEM, today=date(2026, 11, 1))
    assert over["period"]["running"] is False and over["summary"]["previous"] == 1
    assert len(over["trend"]["labels"]) == 31


def test_indicators_name_what_they_compute(october, db):
    """Response limits apart from completion limits, a closing rate and a resolution rate
    as the KPI module defines them, targets from the plan's KPI standard only."""
    from tousu.reports.analysis.document import _indicators

    figures = analysis_figures(OCTOBER, user=SYSTEM)
    deadlines = figures["deadlines"]
    groups = {r["label"]: r["group"] for r in deadlines["rows"]}
    assert groups["回复客户时限（1小时）"] == "response"
    assert groups["初步处理方案时限（24小时）"] == "response"
    assert groups["问题处理时限"] == "completion"
    response = [r for r in deadlines["rows"] if r["group"] == "response"]
    assert deadlines["response_met"] == sum(r["met"] for r in response)
    assert deadlines["response_met"] + deadlines["completion_met"] == deadlines["met"]
    targets = {r["label"]: r["target"] for r in deadlines["rows"]}
    assert targets["回复客户时限（1小时）"] == "≥ 98%"  # the plan's kpi: response full_at
    assert targets["初步处理方案时限（24小时）"] == "≥ 95%"
    summary = figures["summary"]
    assert summary["closed"] == 1 and summary["resolved"] == 0  # closed, then appealed
    assert summary["resolution_rate"] == 0.0
    with translation.override("zh-hans"):
        rows = {r["label"]: r for r in _indicators(figures)}
        closing = rows[gettext("Closing rate (of the period's complaints, closed)")]
        resolution = rows[gettext("Resolution rate (of those closed)")]
        appeal = rows[gettext("Appeal rate")]
        satisfaction = rows[gettext("Satisfaction rate")]
        first = rows[gettext("On time: %(limit)s") % {"limit": "回复客户时限（1小时）"}]
    assert closing["value"] == f"{round(100 / 7, 1)}%"
    assert resolution["value"] == "0.0%"
    assert first["target"] == "≥ 98%" and satisfaction["target"] == "≥ 90%"
    assert appeal["target"] == ""  # the plan's standard has no appeal indicator
    assert appeal["value"] == f"{round(100 / 7, 1)}%"  # the one appeal
    assert figures["repeats"]["appeals"] == figures["repeats"]["appealed"] == 1
    assert "Resolution rate (closed)" not in _body(figures)


def test_the_kpi_section_agrees_with_the_summary(october, db):
    """Same definitions: the departments' received, closed-of-received and resolved add
    up to the summary's (the system's report of the plan the KPI table scores)."""
    figures = analysis_figures(OCTOBER, user=SYSTEM, plan_key="assurance")
    kpi, summary = figures["kpi"], figures["summary"]
    assert kpi["available"] and kpi["plan"]
    assert sum(r["received"] for r in kpi["rows"]) == summary["total"] == 7
    assert sum(r["received_closed"] for r in kpi["rows"]) == summary["closed"] == 1
    assert sum(r["resolved"] for r in kpi["rows"]) == summary["resolved"]
    body = _body(figures)
    assert _zh("Of them closed") in body and _zh("Closed in the period") in body


def test_a_failing_kpi_table_leaves_the_report_standing(october, db, monkeypatch, caplog):
    from tousu.reports.analysis import activity

    def broken(**kwargs):
        raise RuntimeError("kpi broke")

    monkeypatch.setattr(activity, "kpi_table", broken)
    figures = analysis_figures(OCTOBER, user=SYSTEM)
    assert figures["kpi"]["available"] is False
    assert "kpi broke" in caplog.text
    body = _body(figures)
    assert _zh("11. KPI scores") in body
    assert (
        _zh(
            "The KPI scores are not available for this report: they could not be computed "
            "(the error is in the server's log)."
        )
        in body
    )


def test_a_person_who_sees_less_gets_less(october, db):
    """The production department's handler: incidents through their gate; the body never
    names a complainant or shows their phone (neither for the system)."""
    from tousu.incidents.selectors import incidents_visible

    handler = october["production_handler"]
    start, end = OCTOBER.bounds()
    figures = analysis_figures(OCTOBER, user=handler)
    assert figures["penalties"]["own_only"] and figures["improvements"]["count"] == 0
    every = Incident.objects.filter(**in_october("opened_at")).count()
    for name in ("production_handler", "handler", "clerk", "recorder"):
        person = october[name]
        gated = incidents_visible(person).filter(opened_at__gte=start, opened_at__lt=end)
        assert analysis_figures(OCTOBER, user=person)["incidents"]["count"] == gated.count()
    # A department's report: the incidents of its complaints only.
    installation = analysis_figures(OCTOBER, user=october["head"], department="installation")
    assert installation["incidents"]["count"] < every
    assert figures["drills"]["shown"] is False
    for reader in (SYSTEM, handler):
        body = _body(analysis_figures(OCTOBER, user=reader))
        for secret in (
            "周女士",
            "李先生",
            "王女士",
            "赵先生",
            "钱女士",
            "13607100000",
            "13900001111",
        ):
            assert secret not in body


def test_top_causes_show_the_findings_and_measures(october, db):
    figures = analysis_figures(OCTOBER, user=SYSTEM)
    findings = {part["category"]: part["rows"] for part in figures["top"]["findings"]}
    rows = findings["产品功能"]
    assert any(r["finding"] == "指纹模组老化" for r in rows)
    with translation.override("zh-hans"):
        from tousu.plans.choices import Measure

        rectify = str(Measure("rectify").label)
    assert any(r["measure"] == f"{rectify}：改进供应商" for r in rows)
    assert len(rows) <= 3
    body = _body(figures)
    assert "指纹模组老化" in body and _zh("Findings and measures by category") in body


def test_a_department_report_says_drills_are_organisation_wide(october, db):
    figures = analysis_figures(OCTOBER, user=SYSTEM, department="installation")
    assert figures["drills"]["organisation_wide"] is True
    assert analysis_figures(OCTOBER, user=SYSTEM)["drills"]["organisation_wide"] is False


@pytest.mark.parametrize("problem", ["missing", "file"])
def test_the_command_checks_the_directory_first(october, db, tmp_path, monkeypatch, problem):
    from tousu.reports.analysis import document

    def never(*args, **kwargs):
        raise AssertionError("computed before the directory was checked")

    monkeypatch.setattr(document, "analysis_documents", never)
    target = tmp_path / "out"
    if problem == "file":
        target.write_text("not a directory")
    with pytest.raises(CommandError) as refused:
        call_command("report", "monthly", "2026-10", "-o", str(target), stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert str(target) in str(refused.value)


def test_the_command_writes_both_files_or_neither(october, db, tmp_path, monkeypatch):
    from tousu.reports.analysis import document

    monkeypatch.setattr(
        document, "analysis_documents", lambda figures: {"docx": b"d", "pdf": b"%PDF"}
    )
    real, calls = os.replace, []

    def second_fails(source, destination):
        calls.append(destination)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(destination))
        real(source, destination)

    monkeypatch.setattr(document.os, "replace", second_fails)
    with pytest.raises(CommandError) as refused:
        call_command("report", "monthly", "2026-10", "-o", str(tmp_path), stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert "No space left on device" in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # no half report, no temporary file
