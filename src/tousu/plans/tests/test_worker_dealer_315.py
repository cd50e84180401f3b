"""The worker on the `dealer_315` template (4S店315投诉应急预案) in the 3·15 week: the 2-hour
notification of the responsible department, the 7-working-day result limit, and the call
back (回访) three days after the case is archived.

The plan's escalations: warnings go to the assignee (before assignment, the agent who took
the call) and the head of the department holding the case; every breach goes to the
after-sales manager and the 综合管理部 coordinator (督办); a missed result limit also goes
to the general manager and the customer-relations manager and raises the severity. The plan
has no penalties.

Demo people: clerk = 客服人员, crm_head = 客户关系管理部经理 (customer_relations), handler
and head = 售后服务顾问 / 售后服务部经理 (after_sales), mkt_head, sales_head, finance,
leader = 总经理, supervisor = 综合管理部协调员.
"""

import pytest
from django.core import mail

from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    at,
    clients,
    co_owners,
    escalation,
    keys,
    registrar,
    row,
    step,
    told,
    worker,
)

pytestmark = pytest.mark.django_db

RECEIVED = "2026-03-15T09:00:00+08:00"  # 3·15 itself, a Sunday: the hotline never closes

register = registrar(
    {
        "channel": "phone",
        "title": "保养后发动机故障灯常亮",
        "description": "在店内做完二万公里保养后发动机故障灯一直亮，怀疑维修质量问题。",
        "category": "repair_maintenance",
        "complainant": {"name": "赵先生", "phone": "13807150000", "email": "zhao@example.cn"},
        "received_at": RECEIVED,
    }
)

SLIP = {"department": "after_sales", "assignee": "handler", "slip": "投诉登记单：保养后故障灯亮"}


@pytest.fixture
def d():
    return clients("dealer_315")


def test_the_two_hour_notification_of_the_department_on_3_15(d, clock):
    clock("2026-03-15T09:05:00+08:00")
    no = register(d["clerk"])
    notify = row(no, "notify_department")
    # Two hours from the call, Sunday or not; warned at half.
    assert (notify.warn_at, notify.due_at) == (
        at("2026-03-15T10:00:00+08:00"),
        at("2026-03-15T11:00:00+08:00"),
    )
    worker("2026-03-15T09:59:00+08:00")
    assert told(notify, "warning") == set()
    worker("2026-03-15T10:01:00+08:00")
    # The agent who took the call (nobody assigned yet) and the head of customer relations.
    assert told(notify, "warning") == {"clerk", "crm_head"}
    alert = Notification.objects.filter(key__startswith=f"deadline:{notify.pk}:warning").first()
    assert alert.body.startswith("【督办提醒】") and "2026-03-15 11:00" in alert.body

    worker("2026-03-15T11:00:00+08:00")
    assert told(notify, "breach") == set()
    worker("2026-03-15T11:00:01+08:00")
    # The after-sales manager and the coordinator chase it; the plan names no one else.
    assert told(notify, "breach") == {"head", "supervisor"}
    breach = escalation(d["clerk"], no, "通知责任部门时限")
    assert breach["changes"] == {}
    assert co_owners(no) == set()
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee, complaint.severity) == (
        "customer_relations",
        None,
        "ordinary",
    )
    # The agent can still transfer it; late, the notice reaches after-sales as usual.
    assert "transfer" in keys(d["clerk"], no)
    step(d["clerk"], no, "transfer", "investigation", **SLIP)
    assert not PenaltyEntry.objects.exists()


def test_a_missed_result_limit_goes_to_the_general_manager_and_raises_the_severity(d, clock):
    clock("2026-03-15T09:30:00+08:00")
    no = register(d["clerk"])
    step(d["clerk"], no, "transfer", "investigation", **SLIP)
    clock("2026-03-16T15:00:00+08:00")
    step(d["handler"], no, "propose", "review", opinion="免费检修并更换氧传感器")
    step(d["investigator"], no, "approve", "handling")
    settlement = row(no, "settlement")
    # 7 working days from Sun Mar 15: Mar 16-20 (1-5), Mar 23 (6), Mar 24 (7).
    assert settlement.due_at == at("2026-03-24T23:59:59+08:00")
    # 70 % of 9 d 14:59:59 after Mar 15 09:00: 6 d 17:41:59.3.
    assert settlement.warn_at == at("2026-03-22T02:41:59+08:00")
    worker("2026-03-22T02:40:59+08:00")
    assert told(settlement, "warning") == set()
    worker("2026-03-22T02:42:59+08:00")
    assert told(settlement, "warning") == {"handler", "head"}

    worker("2026-03-24T23:59:59+08:00")
    assert told(settlement, "breach") == set()
    for _ in range(3):
        worker("2026-03-25T00:00:00+08:00")
    # Every breach's two, plus the general manager and the customer-relations manager.
    assert told(settlement, "breach") == {"head", "supervisor", "leader", "crm_head"}
    breach = escalation(d["clerk"], no, "处理结果反馈时限")
    assert breach["changes"] == {"severity": ["ordinary", "major"]}
    assert co_owners(no) == set()
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee.username, complaint.severity) == (
        "after_sales",
        "handler",
        "major",
    )
    assert "repair" in keys(d["handler"], no)
    # Marketing and finance see a case in handling, but no rule names them.
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username__in=["mkt_head", "finance", "sales_head"]
    ).exists()


def test_the_call_back_three_days_after_archiving(d, clock):
    clock("2026-03-15T09:30:00+08:00")
    no = register(d["clerk"])
    step(d["clerk"], no, "transfer", "investigation", **SLIP)
    step(d["handler"], no, "propose", "review", opinion="免费检修")
    step(d["investigator"], no, "approve", "handling")
    step(d["handler"], no, "repair", "handling", measure="repair", result="已更换氧传感器")
    step(d["handler"], no, "reply", "feedback", reply="已免费更换氧传感器，故障灯已熄灭。")
    clock("2026-03-19T16:00:00+08:00")
    step(d["clerk"], no, "satisfaction", "archived", satisfaction="satisfied")
    call = row(no, "follow_up")
    # 3 calendar days after Thu Mar 19 end on Sun Mar 22, a rest day: Mon Mar 23.
    assert call.due_at == at("2026-03-23T23:59:59+08:00")

    def asked():
        return [m for m in mail.outbox if "这是对投诉" in m.body]

    worker("2026-03-23T23:59:59+08:00")
    assert told(call, "follow_up") == set() and asked() == []
    for _ in range(2):
        worker("2026-03-24T00:00:00+08:00")
    assert told(call, "follow_up") == {"clerk"}
    assert [m.to for m in asked()] == [["zhao@example.cn"]]
    assert f"这是对投诉{no}“保养后发动机故障灯常亮”的回访" in asked()[0].body
    assert not Notification.objects.filter(key__contains=":breach").exists()
    assert keys(d["clerk"], no) == ["follow_up"]
