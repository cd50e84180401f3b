"""The worker on the `assurance` template (客诉应急保障预案): the 1-hour reply and the 24-hour
initial plan counted from receipt, the 3-working-day handling limit, and the KPI entries
(绩效考核) the plan records for each of them and for a repeated complaint.

The plan's escalations: warnings go to the assignee (before assignment, the agent who took
the call) and the head of the department holding the case, and the 1-hour warning also to
the head of customer service; every breach goes to the KPI assessor and the head of
customer service; a missed initial plan also goes to the general manager and raises the
severity. Its penalties are assessment records without fines (amount 0): the 1-hour miss
falls on the agent who took the call, the 24-hour and handling misses on the assignee, a
repeat on the head of the department that handled the first complaint.

Demo people: clerk = 客服专员, handler = 客诉专人 once assigned, head = 客服部负责人 (all
customer_service); production_handler/production_head = 生产部; supervisor = 绩效考核专员;
leader = 总经理.
"""

from decimal import Decimal

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint, Participant
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    at,
    clients,
    escalation,
    keys,
    registrar,
    row,
    step,
    told,
    worker,
)

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


@pytest.fixture
def a():
    return clients("assurance")


def ledger(no=None) -> list[tuple[str, str, Decimal, str]]:
    """The assessment entries (of one complaint): rule, person, amount, performance."""
    rows = PenaltyEntry.objects.order_by("pk")
    if no is not None:
        rows = rows.filter(complaint__tracking_no=no)
    return [(e.rule, e.person.username, e.amount, e.performance) for e in rows]


def test_the_one_hour_reply_missed_is_recorded_against_the_agent(a, clock):
    """A call late on Saturday Oct 31: the hour runs over midnight into November."""
    clock("2026-10-31T23:31:00+08:00")
    no = register(a["clerk"], received_at="2026-10-31T23:30:00+08:00")
    reply = row(no, "response_1h")
    # Exactly one hour from receipt, warned at half of it.
    assert (reply.warn_at, reply.due_at) == (
        at("2026-11-01T00:00:00+08:00"),
        at("2026-11-01T00:30:00+08:00"),
    )
    worker("2026-10-31T23:59:00+08:00")
    assert told(reply, "warning") == set()
    worker("2026-11-01T00:01:00+08:00")
    # The agent who took the call (no one assigned yet) and the head of customer service.
    assert told(reply, "warning") == {"clerk", "head"}

    # The same instants given to the worker in UTC: 00:30 in Beijing is 16:30Z.
    worker("2026-10-31T16:30:00+00:00")
    assert told(reply, "breach") == set() and ledger() == []
    for moment in (
        "2026-10-31T16:30:01+00:00",
        "2026-11-01T00:45:00+08:00",
        "2026-11-01T09:00:00+08:00",
    ):
        worker(moment)
    # The KPI assessor and the head of customer service; the general manager is not named.
    assert told(reply, "breach") == {"supervisor", "head"}
    assert escalation(a["clerk"], no, "回复客户时限（1小时）")["changes"] == {}
    # One assessment item, however many passes: no fine, on the agent who took the call,
    # in the Beijing month of the breach (November), not the UTC one.
    assert ledger(no) == [("kpi_response", "clerk", Decimal("0.00"), "")]
    entry = PenaltyEntry.objects.get()
    assert (entry.deadline, entry.period, entry.created_at) == (
        reply,
        "2026-11",
        at("2026-11-01T00:30:01+08:00"),
    )
    assert entry.rule_label == "未在1小时内回复客户"
    # Late, the reply is still the agent's to give, and closes the clock as missed.
    step(a["clerk"], no, "first_response", "confirmation", reply="您好，已收到您的投诉。")
    reply.refresh_from_db()
    assert reply.closed_reason == "first_response" and reply.breached_at is not None
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username__in=["leader", "production_head"]
    ).exists()


def test_no_initial_plan_in_24_hours_raises_the_severity_and_records_the_assignee(a, clock):
    clock("2026-11-02T09:16:00+08:00")
    no = register(a["clerk"], received_at="2026-11-02T09:15:00+08:00")
    step(a["head"], no, "assign", "intake", assignee="handler")
    step(a["handler"], no, "first_response", "confirmation", reply="您好，今天内给您方案。")
    plan = row(no, "initial_plan_24h")
    assert (plan.warn_at, plan.due_at) == (
        at("2026-11-02T21:15:00+08:00"),
        at("2026-11-03T09:15:00+08:00"),
    )
    worker("2026-11-02T21:14:00+08:00")
    assert told(plan, "warning") == set()
    worker("2026-11-02T21:16:00+08:00")
    assert told(plan, "warning") == {"handler", "head"}

    worker("2026-11-03T09:15:00+08:00")
    assert told(plan, "breach") == set()
    for _ in range(3):
        worker("2026-11-03T09:15:01+08:00")
    assert told(plan, "breach") == {"supervisor", "head", "leader"}
    breach = escalation(a["clerk"], no, "初步处理方案时限（24小时）")
    assert breach["changes"] == {"severity": ["ordinary", "major"]}
    assert ledger(no) == [("kpi_initial_plan", "handler", Decimal("0.00"), "")]
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee.username, complaint.severity) == (
        "customer_service",
        "handler",
        "major",
    )
    assert not Participant.objects.filter(complaint=complaint, part="co_owner").exists()
    assert "initial_plan" in keys(a["handler"], no)
    # The 1-hour reply was given in time: nothing for it.
    assert row(no, "response_1h").breached_at is None


def test_handling_over_national_day_and_a_repeat_fall_on_production(a, clock):
    clock("2026-09-30T10:00:00+08:00")
    no = register(a["clerk"], received_at="2026-09-30T09:55:00+08:00")
    step(a["clerk"], no, "first_response", "confirmation", reply="已收到，马上安排。")
    clock("2026-09-30T14:00:00+08:00")
    step(a["head"], no, "initial_plan", "handling", opinion="生产部上门检修或更换")
    slip = {"department": "production", "assignee": "production_handler", "slip": "请上门检修"}
    step(a["head"], no, "transfer", "handling", **slip)
    handling = row(no, "handling")
    # 3 working days from Wed Sep 30: Oct 1-7 off; Oct 8, 9, Sat Oct 10 (调休).
    assert handling.due_at == at("2026-10-10T23:59:59+08:00")
    # 70 % of 10 d 09:59:59 after Sep 30 14:00: 7 d 06:59:59.3.
    assert handling.warn_at == at("2026-10-07T20:59:59+08:00")
    worker("2026-10-07T20:58:59+08:00")
    assert told(handling, "warning") == set()
    worker("2026-10-07T21:00:59+08:00")
    assert told(handling, "warning") == {"production_handler", "production_head"}

    worker("2026-10-10T23:59:59+08:00")
    assert told(handling, "breach") == set()
    for _ in range(2):
        worker("2026-10-11T00:00:00+08:00")
    assert told(handling, "breach") == {"supervisor", "head"}
    assert ledger(no) == [("kpi_handling", "production_handler", Decimal("0.00"), "")]
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee.username) == (
        "production",
        "production_handler",
    )

    # Handled and closed; the same customer calls again about the same product problem.
    clock("2026-10-12T10:00:00+08:00")
    step(
        a["production_handler"], no, "execute", "handling", measure="repair", result="已更换密封圈"
    )
    step(a["clerk"], no, "result_reply", "feedback", reply="已上门更换密封圈。")
    step(a["clerk"], no, "satisfaction", "analysis", satisfaction="satisfied")
    step(a["head"], no, "improvement", "closed", measure="rectify", result="改进密封圈选型")
    clock("2026-10-20T09:00:00+08:00")
    again = register(a["clerk"], title="洗碗机更换密封圈后又漏水")
    timeline = a["clerk"].get(f"/api/v1/complaints/{again}/timeline").json()
    assert [e["data"]["earlier"] for e in timeline if e["action"] == "complaint.repeat"] == [no]
    # The repeat is assessed on the head of the department that handled the first one,
    # and entered in the ledger under that first complaint.
    assert ledger(no) == [
        ("kpi_handling", "production_handler", Decimal("0.00"), ""),
        ("kpi_repeat", "production_head", Decimal("0.00"), ""),
    ]
    # Nothing is added by the worker's passes (the new case's own hour is not up yet).
    for moment in ("2026-10-20T09:30:00+08:00", "2026-10-20T09:59:00+08:00"):
        worker(moment)
    assert ledger() == ledger(no) and ledger(again) == []
