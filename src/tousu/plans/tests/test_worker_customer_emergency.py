"""The worker on the `customer_emergency` template (客户紧急情况处置预案): each class of
emergency has its own clocks and its own people to chase, and every closed case gets its
follow-up visit (回访).

Warnings go to the assignee and the head of customer service (客服部负责人). Breaches name
their own people and do not fall back on anyone: funds not secured in 2 hours (1 hour under
the level-II response an account theft opens) go to the 应急总指挥, raise the level and make
the command group's lead a co-owner; a complaint not resolved in 3 working days goes to the
head of customer service and is raised. The plan has no penalties.

Demo people: clerk = 客服专员 (cs), head = 客服部负责人 (cs), mediator = 跟进专人,
fund = 资金安全专员 (finance), investigator = 调查人员 (finance), leader = 应急总指挥.
"""

import pytest
from django.core import mail

from tousu.assessment.models import PenaltyEntry
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    at,
    clients,
    co_owners,
    escalation,
    held_by,
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
        "title": "行程酒店与合同约定星级不符",
        "description": "云南六日游合同约定入住四星级酒店，实际入住经济型酒店，要求退差价。",
        "severity": "major",
        "complainant": {"name": "陈晓", "phone": "13912345678", "email": "chenxiao@example.cn"},
    }
)


@pytest.fixture
def c():
    return clients("customer_emergency")


def test_funds_not_secured_in_two_hours_go_to_the_commander(c, clock):
    clock("2026-09-30T16:05:00+08:00")
    theft = {"title": "账户被盗刷三千元", "category": "account_theft"}
    no = register(c["clerk"], **theft, received_at="2026-09-30T16:00:00+08:00")
    clock("2026-09-30T16:20:00+08:00")
    step(c["clerk"], no, "activate", "handling")
    slip = {"department": "finance", "assignee": "fund", "slip": "账户疑似被盗，请立即冻结"}
    step(c["head"], no, "dispatch", "handling", **slip)
    secure = row(no, "fund_secure")
    # The account theft (major) fired `fund_urgent` on registration: level II (重大, factor
    # 0.5), so the plan's two hours become one, from activation, on the eve of National Day;
    # no warning point in the plan, so the default three quarters: 45 minutes.
    assert (secure.warn_at, secure.due_at) == (
        at("2026-09-30T17:05:00+08:00"),
        at("2026-09-30T17:20:00+08:00"),
    )
    worker("2026-09-30T17:04:00+08:00")
    assert told(secure, "warning") == set()
    worker("2026-09-30T17:06:00+08:00")
    # The finance officer who has it, and the head of customer service.
    assert told(secure, "warning") == {"fund", "head"}

    worker("2026-09-30T17:20:00+08:00")
    assert told(secure, "breach") == set()
    for moment in ("2026-09-30T17:20:01+08:00", "2026-09-30T17:30:00+08:00"):
        worker(moment)
    # Only the commander is named for this breach.
    assert told(secure, "breach") == {"leader"}
    breach = escalation(c["clerk"], no, "资金保全时限")
    assert breach["changes"] == {"severity": ["major", "urgent"], "co_owners": [[], ["周国平"]]}
    assert co_owners(no) == {"leader"}
    # Finance keeps the case and its action.
    assert held_by(no) == ("finance", "fund", "urgent")
    assert "secure_funds" in keys(c["fund"], no)
    # The explanation (24 h, at level II 12 h: Oct 1 04:20) and resolution (5 working days,
    # at level II ceil(2.5) = 3: Oct 8, 9, Sat Oct 10 make-up) limits run on, untouched.
    assert row(no, "fund_explain").breached_at is None
    assert row(no, "fund_resolution").due_at == at("2026-10-10T23:59:59+08:00")
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username__in=["safety", "handler", "mediator"]
    ).exists()
    assert not PenaltyEntry.objects.exists()


def test_a_complaint_unresolved_in_three_working_days_is_raised(c, clock):
    clock("2026-10-09T09:00:00+08:00")
    no = register(c["clerk"], category="quality", severity="ordinary")
    clock("2026-10-09T09:10:00+08:00")
    step(c["clerk"], no, "accept_complaint", "handling")
    step(c["head"], no, "assign_owner", "handling", assignee="mediator")
    step(c["mediator"], no, "progress", "handling", reply="已联系地接社核实，两日内答复")
    resolution = row(no, "complaint_resolution")
    # 3 working days from Fri Oct 9: Sat Oct 10 (调休) (1), Mon Oct 12 (2), Tue Oct 13 (3).
    assert resolution.due_at == at("2026-10-13T23:59:59+08:00")
    # 75 % of 4 d 14:49:59 after Oct 9 09:10: 3 d 11:07:29.25.
    assert resolution.warn_at == at("2026-10-12T20:17:29+08:00")
    worker("2026-10-12T20:16:29+08:00")
    assert told(resolution, "warning") == set()
    worker("2026-10-12T20:18:29+08:00")
    assert told(resolution, "warning") == {"mediator", "head"}

    worker("2026-10-13T23:59:59+08:00")
    assert told(resolution, "breach") == set()
    worker("2026-10-14T00:00:00+08:00")
    # The head of customer service only; the owner who missed it is not re-told.
    assert told(resolution, "breach") == {"head"}
    breach = escalation(c["clerk"], no, "投诉处理时限")
    assert breach["changes"] == {"severity": ["ordinary", "major"]}
    assert co_owners(no) == set()
    assert held_by(no) == ("cs", "mediator", "major")
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username="leader"
    ).exists()


def test_the_follow_up_visit_comes_due_two_working_days_after_closure(c, clock):
    clock("2026-09-30T17:00:00+08:00")
    no = register(c["clerk"], category="quality", received_at="2026-09-30T16:00:00+08:00")
    step(c["clerk"], no, "accept_complaint", "handling")
    step(c["head"], no, "assign_owner", "handling", assignee="mediator")
    step(c["mediator"], no, "reply_result", "feedback", reply="已按差价退款并致歉")
    step(c["clerk"], no, "satisfaction", "closed", satisfaction="satisfied")
    visit = row(no, "follow_up")
    # 2 working days after closure on Wed Sep 30: Oct 1-7 off; Oct 8 (1), Oct 9 (2).
    assert visit.due_at == at("2026-10-09T23:59:59+08:00")

    def asked():
        return [m for m in mail.outbox if "请问您对处理结果是否满意" in m.body]

    worker("2026-10-09T23:59:59+08:00")
    assert told(visit, "follow_up") == set() and asked() == []
    for _ in range(2):
        worker("2026-10-10T00:00:00+08:00")
    # The 客服专员 and the 跟进专人 make the visit; the head is not asked to.
    assert told(visit, "follow_up") == {"clerk", "mediator"}
    # The customer gets the plan's text, once.
    assert [m.to for m in asked()] == [["chenxiao@example.cn"]]
    assert f"您反映的“行程酒店与合同约定星级不符”（编号{no}）已处理完毕" in asked()[0].body
    timeline = c["clerk"].get(f"/api/v1/complaints/{no}/timeline").json()
    due = [e["data"] for e in timeline if e["action"] == "complaint.follow_up_due"]
    assert len(due) == 1 and sorted(due[0]["notified"]) == sorted(["王晓梅", "陈静"])
    assert not Notification.objects.filter(key__contains=":breach").exists()
    # A dissatisfied answer at the visit reopens handling.
    step(c["mediator"], no, "follow_up", "handling", reached=True, satisfaction="dissatisfied")
