"""KPIs (绩效考核) on the assurance template: figures per department and per person, and
a score by the plan's KPI standard compared with a hand computation.

Complaints are registered and worked through the API as people do (the scenario
helpers), the worker finds the breaches; ``kpi_table`` reads them back.
"""

from datetime import date
from decimal import Decimal

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.plans.tests.scenario import at, clients, fake_clock, registrar, step, worker
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
OCTOBER = period_parse("2026-10", today=date(2026, 12, 1))


@pytest.fixture
def a():
    return clients("assurance")


@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch)


@pytest.fixture
def october(a, clock):
    """Two complaints at customer service in October 2026 (Mon Oct 12 – Fri Oct 16 are
    working days; National Day was Oct 1–8).

    A: received Mon Oct 12 09:00, assigned to handler, replied 09:30 (in the hour), initial
       plan 10:00 (in 24 h), result replied Thu Oct 15 10:00 (handling: 3 working days, in
       time), rated satisfied, analysis done and closed Fri Oct 16 09:00 (in time).
    B: received Wed Oct 14 09:00, assigned to handler, nobody replies in the hour: the
       worker at 10:05 finds the breach (a zero-yuan record on the clerk who took the
       call); replied 10:30, initial plan 11:00 (in 24 h); its handling limit runs to
       Mon Oct 19 and is not yet due on Fri Oct 16 12:00, when the table is read.
    """
    clock("2026-10-12T09:00:00+08:00")
    first = register(a["clerk"], received_at="2026-10-12T09:00:00+08:00")
    step(a["head"], first, "assign", "intake", assignee="handler")
    clock("2026-10-12T09:30:00+08:00")
    step(a["handler"], first, "first_response", "confirmation", reply="您好，已收到。")
    clock("2026-10-12T10:00:00+08:00")
    step(a["handler"], first, "initial_plan", "handling", opinion="上门检修")
    clock("2026-10-15T10:00:00+08:00")
    step(a["handler"], first, "execute", "handling", measure="repair", result="已更换密封圈")
    step(a["handler"], first, "result_reply", "feedback", reply="已上门更换密封圈。")
    step(a["clerk"], first, "satisfaction", "analysis", satisfaction="satisfied")
    clock("2026-10-16T09:00:00+08:00")
    step(a["head"], first, "improvement", "closed", measure="rectify", result="改进选型")

    clock("2026-10-14T09:00:00+08:00")
    second = register(
        a["clerk"],
        received_at="2026-10-14T09:00:00+08:00",
        complainant={"name": "钱先生", "phone": "13607100001"},
    )
    step(a["head"], second, "assign", "intake", assignee="handler")
    worker("2026-10-14T10:05:00+08:00")
    clock("2026-10-14T10:30:00+08:00")
    step(a["handler"], second, "first_response", "confirmation", reply="抱歉回复晚了。")
    clock("2026-10-14T11:00:00+08:00")
    step(a["handler"], second, "initial_plan", "handling", opinion="寄送配件")
    return first, second


def test_a_department_score_matches_the_hand_computation(a, october):
    table = kpi_table(period=OCTOBER, now=at("2026-10-16T12:00:00+08:00"))
    assert table["plan"] == {"key": "assurance", "name": "客诉应急保障预案"}
    assert [i["key"] for i in table["standard"]["indicators"]] == [
        "response",
        "initial_plan",
        "on_time",
        "satisfaction",
        "repeat",
        "handling_time",
    ]
    row = next(r for r in table["departments"] if r["name"] == "客服部")
    # Received 2 (A, B); closed 1 (A). Deadlines due in October and decided by Oct 16
    # 12:00: A's 1 h, 24 h, handling and analysis limits met; B's 1 h missed, its 24 h met
    # (B's handling limit is not due yet: counted neither way) → 5 met, 1 missed.
    assert {k: row[k] for k in ("received", "closed", "deadlines_met", "deadlines_missed")} == {
        "received": 2,
        "closed": 1,
        "deadlines_met": 5,
        "deadlines_missed": 1,
    }
    # A's working time, receipt Mon 09:00 to closing Fri 09:00, business hours 08:30–12:00
    # and 13:30–17:30 (7.5 h a day): Mon 3 + 4 = 7, Tue 7.5, Wed 7.5, Thu 7.5, Fri 0.5
    # (08:30–09:00) = 30.0 working hours.
    assert row["handling_hours"] == 30.0
    assert (row["on_time_rate"], row["satisfaction_rate"], row["repeat_rate"]) == (
        83.3,
        100.0,
        0.0,
    )
    # The assurance standard, indicator by indicator:
    #   response      1 h replies 1 of 2 = 50 %, zero at ≤ 60 %           →  0   of 20
    #   initial_plan  24 h plans 2 of 2 = 100 %, full at ≥ 95 %           → 15   of 15
    #   on_time       handling + analysis 2 of 2 = 100 %                  → 20   of 20
    #   satisfaction  1 satisfied of 1 rated = 100 %, full at ≥ 90 %      → 25   of 25
    #   repeat        0 of 2 = 0 %, full at ≤ 5 %                         → 10   of 10
    #   handling_time 30 h; full at ≤ 15, zero at ≥ 45: (45 − 30)/(45 − 15) = ½ of 10 → 5
    #   score = 0 + 15 + 20 + 25 + 10 + 5 = 75.0
    assert row["points"] == {
        "response": 0.0,
        "initial_plan": 15.0,
        "on_time": 20.0,
        "satisfaction": 25.0,
        "repeat": 10.0,
        "handling_time": 5.0,
    }
    assert row["score"] == 75.0
    # The missed hour is a zero-yuan ledger record on the clerk who took the call, booked
    # to October; the clerk's row has no complaint of their own to score.
    clerk = next(r for r in table["people"] if r["username"] == "clerk")
    assert (clerk["penalties"], clerk["penalty_amount"], clerk["score"]) == (1, Decimal(0), None)
    handler = next(r for r in table["people"] if r["username"] == "handler")
    assert (handler["received"], handler["closed"], handler["score"]) == (2, 1, 75.0)
    assert handler["department"] == "客服部"


def test_a_quiet_period_says_so_and_divides_by_nothing(a, october):
    table = kpi_table(period=period_parse("2026-09", today=date(2026, 12, 1)))
    assert table["empty"] is True
    assert table["departments"] == [] and table["people"] == []


def test_the_gate_limits_a_department_head_to_their_subtree(a, october):
    from tousu.accounts.models import User

    production_head = User.objects.get(username="production_head")
    seen = kpi_table(period=OCTOBER, user=production_head, now=at("2026-10-16T12:00:00+08:00"))
    assert seen["empty"] is True
    head = User.objects.get(username="head")
    mine = kpi_table(period=OCTOBER, user=head, now=at("2026-10-16T12:00:00+08:00"))
    assert [r["name"] for r in mine["departments"]] == ["客服部"]
    leader = User.objects.get(username="leader")
    everything = kpi_table(period=OCTOBER, user=leader, now=at("2026-10-16T12:00:00+08:00"))
    assert (
        everything["departments"]
        == kpi_table(period=OCTOBER, now=at("2026-10-16T12:00:00+08:00"))["departments"]
    )


def test_a_breach_found_next_month_is_booked_to_the_month_it_fell_due(a, clock):
    """Received Sat Oct 31 22:30: the reply is due 23:30 that night; the worker's first
    pass after it runs on Nov 1. The record belongs to October."""
    clock("2026-10-31T22:30:00+08:00")
    no = register(a["clerk"], received_at="2026-10-31T22:30:00+08:00")
    worker("2026-11-01T09:00:00+08:00")
    entry = PenaltyEntry.objects.get(complaint__tracking_no=no, rule="kpi_response")
    assert (entry.period, entry.created_at) == ("2026-10", at("2026-11-01T09:00:00+08:00"))
    october = kpi_table(period=OCTOBER)
    clerk = next(r for r in october["people"] if r["username"] == "clerk")
    assert clerk["penalties"] == 1
    # A November complaint at the same department gives November a 客服部 row, where a
    # record wrongly booked to the worker's month would show.
    clock("2026-11-02T09:00:00+08:00")
    register(
        a["clerk"],
        received_at="2026-11-02T09:00:00+08:00",
        complainant={"name": "吴先生", "phone": "13607100005"},
    )
    november = kpi_table(period=period_parse("2026-11", today=date(2026, 12, 1)))
    department = next(r for r in november["departments"] if r["name"] == "客服部")
    assert (department["received"], department["penalties"]) == (1, 0)
    assert [r for r in november["people"] if r["username"] == "clerk"] == []


def test_the_kpi_table_exports_with_its_indicators_and_the_same_score(a, october, tmp_path):
    import openpyxl

    from tousu.accounts.models import User
    from tousu.reports.exports.services import NothingToExport, export_write

    leader = User.objects.get(username="leader")
    path = tmp_path / "kpi.xlsx"
    rows = export_write("kpi", "xlsx", path, leader, {"period": "2026-10", "plan": "assurance"})
    sheet = openpyxl.load_workbook(path).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == len(values) - 1
    headers = values[0]
    assert headers[1] == "名称" and headers[-1] == "得分"
    assert headers[3:6] == ["受理量", "受理办结率", "办结量"]
    assert any("满意率" in str(h) for h in headers[13:-1])  # the standard's indicators
    department = next(v for v in values[1:] if v[0] == "部门" and v[1] == "客服部")
    assert department[-1] == 75.0
    with pytest.raises(NothingToExport):
        export_write("kpi", "csv", tmp_path / "none.csv", leader, {"period": "2026-09"})
