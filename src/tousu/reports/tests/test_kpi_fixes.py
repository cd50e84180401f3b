"""The KPI defects a reviewer found, each pinned: the table is per plan, penalties of the
plan booked within the period, rates over the period's cohort, repeats charged to the
earlier complaint, refusals never "solved", and the same figures whoever looks."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.plans.models import PlanRevision
from tousu.plans.services import plan_load, template_source
from tousu.plans.tests.scenario import at, clients, fake_clock, registrar, step
from tousu.reports.kpi.scores import kpi_table
from tousu.reports.periods import period_parse

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "洗碗机使用两个月底部漏水",
        "description": "洗碗机安装使用两个月后底部开始渗水，橱柜底板已被泡胀变形。",
        "category": "product_quality",
        "product": "净洁D8嵌入式洗碗机",
        "complainant": {"name": "周女士", "phone": "13607100000"},
    }
)
TODAY = date(2026, 12, 1)
NOW = at("2026-12-01T09:00:00+08:00")


def period(text: str):
    return period_parse(text, today=TODAY)


def row(rows, **match):
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


@pytest.fixture
def a(monkeypatch):
    """Assurance: A received Mon Oct 12 and walked to closed on Fri Oct 16 (rated
    satisfied, handler); B received Wed Oct 14, open."""
    people = clients("assurance")
    clock = fake_clock(monkeypatch)
    clock("2026-10-12T09:00:00+08:00")
    first = register(people["clerk"], received_at="2026-10-12T09:00:00+08:00")
    step(people["head"], first, "assign", "intake", assignee="handler")
    step(people["handler"], first, "first_response", "confirmation", reply="您好，已收到。")
    step(people["handler"], first, "initial_plan", "handling", opinion="上门检修")
    clock("2026-10-15T10:00:00+08:00")
    step(people["handler"], first, "execute", "handling", measure="repair", result="已更换")
    step(people["handler"], first, "result_reply", "feedback", reply="已上门更换密封圈。")
    step(people["clerk"], first, "satisfaction", "analysis", satisfaction="satisfied")
    clock("2026-10-16T09:00:00+08:00")
    step(people["head"], first, "improvement", "closed", measure="rectify", result="改进选型")
    clock("2026-10-14T09:00:00+08:00")
    second = register(
        people["clerk"],
        received_at="2026-10-14T09:00:00+08:00",
        complainant={"name": "钱先生", "phone": "13607100001"},
    )
    step(people["head"], second, "assign", "intake", assignee="handler")
    people["nos"] = (first, second)
    people["clock"] = clock
    return people


def test_without_a_plan_the_first_plan_with_a_standard_scores_only_its_complaints(a):
    """Two plans with standards: the default is the first by name (客诉… before 群众…),
    and the other plan's complaint is neither counted nor scored by this standard."""
    government = plan_load(source=template_source("government"), note="test")
    _first, second = a["nos"]
    Complaint.objects.filter(tracking_no=second).update(plan_revision=government)
    table = kpi_table(period=period("2026-10"), now=NOW)
    assert table["plan"] == {"key": "assurance", "name": "客诉应急保障预案"}
    assert table["plan_by_default"] is True
    assert [p["key"] for p in table["plans_with_standard"]] == ["assurance", "government"]
    assert table["standard"] is not None
    department = row(table["departments"], name="客服部")
    assert department["received"] == 1 and department["score"] is not None
    other = kpi_table(period=period("2026-10"), plan_key="government", now=NOW)
    assert other["plan_by_default"] is False
    assert sum(r["received"] for r in other["departments"]) == 1
    assert {i["key"] for i in other["standard"]["indicators"]} >= {"closing", "resolution"}


def test_the_page_says_which_plan_scores_and_that_only_its_complaints_count(a):
    from django.test import Client

    plan_load(source=template_source("government"), note="test")
    client = Client()
    client.force_login(User.objects.get(username="leader"))
    html = client.get("/reports/kpi/", {"period": "2026-10"}).content.decode()
    assert 'id="kpi-scope"' in html and "客诉应急保障预案" in html
    # The selector offers both plans with the default selected, no unscored "all plans".
    assert '<option value="assurance" selected>' in html
    assert '<option value="government">' in html and '<option value="">' not in html


def _entry(key: str, person: User, complaint, booked_at: str, **extra) -> PenaltyEntry:
    return PenaltyEntry.objects.create(
        key=key,
        person=person,
        rule="test",
        rule_label="测试条目",
        complaint=complaint,
        amount=Decimal("100.00"),
        period=booked_at[:7],
        booked_at=at(booked_at),
        **extra,
    )


def test_penalties_are_those_of_the_plan_booked_within_the_period(a):
    first, second = a["nos"]
    handler = User.objects.get(username="handler")
    a_row = Complaint.objects.get(tracking_no=first)
    _entry("t:in-week", handler, a_row, "2026-10-13T10:00:00+08:00")
    _entry("t:later-in-month", handler, a_row, "2026-10-20T10:00:00+08:00")
    government = plan_load(source=template_source("government"), note="test")
    other = Complaint.objects.get(tracking_no=second)
    Complaint.objects.filter(pk=other.pk).update(plan_revision=government)
    _entry("t:other-plan", handler, other, "2026-10-13T11:00:00+08:00")
    week = kpi_table(period=period("2026-10-12..2026-10-18"), plan_key="assurance", now=NOW)
    assert row(week["people"], username="handler")["penalties"] == 1
    month = kpi_table(period=period("2026-10"), plan_key="assurance", now=NOW)
    assert row(month["people"], username="handler")["penalty_amount"] == Decimal("200.00")
    # The CLI's table (the system) is narrowed the same way.
    assert row(month["departments"], name="客服部")["penalties"] == 2


def test_an_old_entry_without_a_booking_moment_falls_in_its_period():
    from tousu.assessment.models import booking_moment

    assert booking_moment("2026-10", at("2026-12-01T09:00:00+08:00")) == at(
        "2026-10-01T00:00:00+08:00"
    )
    assert booking_moment("2026-12", NOW) == NOW


def test_closed_counts_moves_within_the_period_and_rates_stay_within_the_cohort(a):
    """A closed Oct 16: in a range ending Oct 15 it is not closed (the moves are read
    with both ends bounded); a complaint received in September and closed in October
    raises October's closed count but not its closed rate."""
    first, _second = a["nos"]
    early = period("2026-10-12..2026-10-15")
    with CaptureQueriesContext(connection) as queries:
        table = kpi_table(period=early, plan_key="assurance", now=NOW)
    moves = [q["sql"] for q in queries if "stage" in q["sql"] and "audit" in q["sql"].lower()]
    assert moves and all('"at" <' in sql or "at` <" in sql or '."at" <' in sql for sql in moves)
    department = row(table["departments"], name="客服部")
    assert (department["received"], department["closed"], department["received_closed"]) == (
        2,
        0,
        1,
    )
    # Received in September: October's closed goes up to 2, the rate stays 1 of 2.
    Complaint.objects.filter(tracking_no=first).update(received_at=at("2026-09-30T09:00:00+08:00"))
    october = row(
        kpi_table(period=period("2026-10"), plan_key="assurance", now=NOW)["departments"],
        name="客服部",
    )
    assert (october["received"], october["closed"], october["closed_rate"]) == (1, 1, 0.0)
    assert october["appeal_rate"] == 0.0


def test_a_department_heads_row_has_the_systems_figures(a):
    """The gate picks the rows, not the numbers in them."""
    head = User.objects.get(username="head")
    leader = User.objects.get(username="leader")
    seen = kpi_table(period=period("2026-10"), user=head, now=NOW)
    official = kpi_table(period=period("2026-10"), user=leader, now=NOW)
    assert [r["name"] for r in seen["departments"]] == ["客服部"]
    assert row(seen["departments"], name="客服部") == row(official["departments"], name="客服部")
    assert row(seen["people"], username="handler") == row(official["people"], username="handler")


def test_a_repeat_is_charged_to_the_earlier_complaints_department_and_assignee(a):
    """In November the same caller complains again about A (closed by the handler); the
    new one is left unassigned. The repeat counts against the handler, who received
    nothing in November — and the quiet clerk, with no November penalty, has no row."""
    a["clock"]("2026-11-02T09:00:00+08:00")
    register(a["clerk"], received_at="2026-11-02T09:00:00+08:00")
    november = kpi_table(period=period("2026-11"), plan_key="assurance", now=NOW)
    handler = row(november["people"], username="handler")
    assert (handler["received"], handler["repeats"], handler["repeat_rate"]) == (0, 1, 100.0)
    # The plan's repeat penalty falls on the earlier department's head, booked to November.
    assert row(november["people"], username="head")["penalties"] == 1
    assert november["people"] and not [r for r in november["people"] if r["username"] == "clerk"]
    october = kpi_table(period=period("2026-10"), plan_key="assurance", now=NOW)
    assert row(october["people"], username="handler")["repeats"] == 0


@pytest.fixture
def g(monkeypatch):
    people = clients("government")
    fake_clock(monkeypatch)("2026-10-12T09:00:00+08:00")
    return people


register_city = registrar(
    {
        "channel": "phone",
        "title": "小区门口占道经营",
        "description": "小区门口每天晚上有摊贩占道经营，影响通行。",
        "category": "urban_management",
        "complainant": {"name": "李先生", "phone": "13607100077"},
    }
)


def test_a_refused_complaint_is_closed_but_not_solved(g):
    no = register_city(g["clerk"], received_at="2026-10-12T09:00:00+08:00")
    step(g["clerk"], no, "redirect", "closed", reason="属于法院诉讼事项，请向人民法院起诉。")
    table = kpi_table(period=period("2026-10"), plan_key="government", now=NOW)
    refused = [r for r in table["departments"] if r["received"]]
    assert sum(r["received_closed"] for r in refused) == 1
    assert sum(r["resolved"] for r in refused) == 0
    assert all(r["resolution_rate"] in (0.0, None) for r in refused)


def test_every_revision_of_the_plan_is_read_for_its_closed_stages(a):
    # Only revisions of the plan asked for (a handful), not every plan's.
    plan_load(source=template_source("government"), note="test")
    assert PlanRevision.objects.count() == 2
    with CaptureQueriesContext(connection) as queries:
        kpi_table(period=period("2026-10"), plan_key="assurance", now=NOW)
    revision_reads = [q for q in queries if 'FROM "plans_planrevision"' in q["sql"]]
    assert len(revision_reads) <= 2
