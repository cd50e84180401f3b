"""The worker on the `government` template (群众投诉应急预案): yellow alerts at 80 % of a
limit, 催办 when it runs out, and the follow-up visit (回访) the working day after closure.

The plan's escalations: warnings go to the assignee and the head of the department handling
it; breaches add the inspector (督查, the supervisor); a missed 7-working-day handling limit
also goes to the commander and raises the severity; a missed 2-hour urgent limit goes to the
emergency HQ, whose commander becomes a co-owner. No penalties: 责任追究 is the inspector's
report, not a fine.

Demo district 城南区: clerk = 信息收集组, leader = 指挥长, investigator/handler/head = 区城市管理局
(urban), supervisor = 督查人员, market_handler/market_head = 区市场监督管理局.
"""

import pytest
from django.core import mail

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    at,
    clients,
    co_owners,
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
        "title": "学校门口流动摊贩长期占道经营",
        "description": "城南第二小学门口放学时段有流动摊贩占用人行道，学生只能走机动车道。",
        "category": "urban_management",
        "complainant": {"name": "王芳", "phone": "13912345678", "email": "wangfang@example.cn"},
    }
)

SLIP = {"department": "urban", "assignee": "handler", "slip": "派单：请区城管局现场处置并反馈"}
# Everyone in the district who is neither named by these rules nor able to see the case.
OUTSIDERS = ["market_handler", "market_head", "housing_handler", "water_handler", "press"]


@pytest.fixture
def people():
    return clients("government")


def escalation(client, no, label: str, moment: str) -> dict:
    timeline = client.get(f"/api/v1/complaints/{no}/timeline").json()
    found = [
        e["data"]
        for e in timeline
        if e["action"] == "complaint.escalated"
        and e["data"]["deadline"] == label
        and e["data"]["at"] == moment
    ]
    assert len(found) == 1, found
    return found[0]


def uid(username: str) -> int:
    return User.objects.get(username=username).pk


def outsiders_told() -> bool:
    """Whether the complaint's own escalations told an outsider. An emergency response the
    plan's triggers open (a missed handling limit, an urgent matter) tells its whole command
    structure — the HQ and every working group, these people among them — through the
    incident's own notices, which are not the complaint's escalation rules."""
    rows = Notification.objects.filter(recipient__username__in=OUTSIDERS, incident__isnull=True)
    return rows.exists()


def test_a_missed_handling_limit_raises_the_severity_and_sends_the_solution_to_the_hq(
    people, clock
):
    clerk, investigator = people["clerk"], people["investigator"]
    clock("2026-09-30T16:05:00+08:00")
    no = register(clerk, received_at="2026-09-30T16:00:00+08:00")
    clock("2026-09-30T16:10:00+08:00")
    step(clerk, no, "accept", "response")
    step(clerk, no, "dispatch", "on_site", **SLIP)
    handling = row(no, "handling")
    # 7 working days from acceptance on Wed Sep 30: Oct 1-7 off; Oct 8, 9, Sat 10 (调休),
    # 12, 13, 14, 15.
    assert handling.due_at == at("2026-10-15T23:59:59+08:00")
    # 80 % of the wall time (15 d 07:49:59) after Sep 30 16:10: 12 d 06:15:59.2.
    assert handling.warn_at == at("2026-10-12T22:25:59+08:00")

    worker("2026-10-12T22:24:59+08:00")
    assert told(handling, "warning") == set()
    worker("2026-10-12T22:26:59+08:00")
    # The yellow alert: the handler and the head of the urban management bureau.
    assert told(handling, "warning") == {"handler", "head"}
    alert = Notification.objects.get(key=f"deadline:{handling.pk}:warning:u{uid('head')}:in_app")
    assert alert.body.startswith("【黄色预警】") and "2026-10-15 23:59" in alert.body

    worker("2026-10-15T23:59:59+08:00")
    assert told(handling, "breach") == set()
    assert keys(investigator, no) == ["survey", "comfort", "site_report", "propose"]
    for moment in ("2026-10-16T00:00:00+08:00", "2026-10-16T08:30:00+08:00"):
        worker(moment)
    # 催办: the handler, the head, the inspector and — for this limit — the commander.
    assert told(handling, "breach") == {"handler", "head", "supervisor", "leader"}
    breach = escalation(clerk, no, "办理时限", "breach")
    assert breach["changes"] == {"severity": ["ordinary", "major"]}
    assert breach["notified"] == ["范立新", "钱卫东", "方志远", "程雅琴"]
    complaint = Complaint.objects.get(tracking_no=no)
    assert complaint.severity == "major"
    # Raised, the case is no longer the on-site group's to settle: its solution now goes to
    # the HQ. The department and its handler keep it; nobody is added as co-owner.
    assert keys(investigator, no) == ["survey", "comfort", "site_report", "propose_to_hq"]
    assert (complaint.department.code, complaint.assignee.username) == ("urban", "handler")
    assert co_owners(no) == set()
    assert not outsiders_told()
    assert not PenaltyEntry.objects.exists()


def test_the_two_hour_urgent_limit_brings_in_the_emergency_hq(people, clock):
    clerk = people["clerk"]
    clock("2026-09-30T16:05:00+08:00")
    gas = {"title": "楼道内闻到浓烈燃气味", "category": "public_safety", "severity": "urgent"}
    no = register(clerk, **gas, received_at="2026-09-30T16:00:00+08:00")
    clock("2026-09-30T16:10:00+08:00")
    step(clerk, no, "accept", "response")
    step(people["leader"], no, "dispatch", "on_site", **SLIP)
    urgent = row(no, "urgent_handling")
    # Registered urgent, the `urgent` trigger opened the response at level II (重大, factor
    # 0.5): the two hours become one, from receipt, holiday eve or not; warned at half of it.
    assert (urgent.warn_at, urgent.due_at) == (
        at("2026-09-30T16:30:00+08:00"),
        at("2026-09-30T17:00:00+08:00"),
    )
    worker("2026-09-30T16:29:00+08:00")
    assert told(urgent, "warning") == set()
    worker("2026-09-30T16:31:00+08:00")
    assert told(urgent, "warning") == {"handler", "head"}

    worker("2026-09-30T17:00:00+08:00")
    assert told(urgent, "breach") == set()
    worker("2026-09-30T17:00:01+08:00")
    assert told(urgent, "breach") == {"handler", "head", "supervisor", "leader"}
    breach = escalation(clerk, no, "紧急事项办理时限", "breach")
    # Already urgent: nothing to raise. The commander (HQ lead) becomes a co-owner.
    assert breach["changes"] == {"co_owners": [[], ["方志远"]]}
    assert co_owners(no) == {"leader"}
    worker("2026-09-30T19:00:00+08:00")
    assert co_owners(no) == {"leader"}
    assert [
        e["data"]["at"]
        for e in clerk.get(f"/api/v1/complaints/{no}/timeline").json()
        if e["action"] == "complaint.escalated"
    ] == ["warning", "breach"]
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee.username, complaint.severity) == (
        "urban",
        "handler",
        "urgent",
    )
    # The on-site group still proposes; the handler still has the case.
    assert "propose_to_hq" in keys(people["investigator"], no)
    assert not outsiders_told()


def test_the_follow_up_visit_comes_due_the_working_day_after_closure(people, clock):
    clerk = people["clerk"]
    clock("2026-10-09T09:00:00+08:00")
    no = register(clerk)
    step(clerk, no, "accept", "response")
    step(clerk, no, "dispatch", "on_site", **SLIP)
    step(people["investigator"], no, "propose", "implementation", opinion="劝离并设置护栏")
    step(people["handler"], no, "execute", "feedback", measure="rectify", result="已劝离")
    step(people["handler"], no, "reply", "aftercare", reply="已清理占道摊贩并设置护栏。")
    clock("2026-10-09T10:00:00+08:00")
    step(people["leader"], no, "close", "closed")
    visit = row(no, "follow_up")
    # 1 working day after closure on Fri Oct 9: Sat Oct 10, a make-up working day.
    assert visit.due_at == at("2026-10-10T23:59:59+08:00")
    assert visit.warn_at is None

    def visits():
        return [m for m in mail.outbox if "想了解您对办理结果是否满意" in m.body]

    worker("2026-10-10T23:59:59+08:00")
    assert told(visit, "follow_up") == set() and visits() == []
    for _ in range(2):
        worker("2026-10-11T00:00:00+08:00")
    # The 信息收集组 makes the visit; nobody else is asked to.
    assert told(visit, "follow_up") == {"clerk"}
    # The citizen gets the plan's follow-up text, once, by the email given at intake.
    assert [m.to for m in visits()] == [["wangfang@example.cn"]]
    assert f"关于您反映的{no}“学校门口流动摊贩长期占道经营”，我们进行回访" in visits()[0].body
    timeline = clerk.get(f"/api/v1/complaints/{no}/timeline").json()
    due = [e for e in timeline if e["action"] == "complaint.follow_up_due"]
    assert len(due) == 1 and due[0]["data"]["notified"] == ["蒋丽萍"]
    # A visit does not escalate: no warning, no breach, nobody added.
    assert not Notification.objects.filter(key__contains=":breach").exists()
    assert co_owners(no) == set()
    # The visit is still the clerk's to record.
    assert keys(clerk, no) == ["follow_up"]
    step(clerk, no, "follow_up", "closed", reached=True, satisfaction="satisfied")
    assert not outsiders_told()


def test_the_breach_text_does_not_say_zero_minutes_overdue(people, clock):
    clock("2026-09-30T16:05:00+08:00")
    gas = {"title": "楼道内闻到浓烈燃气味", "category": "public_safety", "severity": "urgent"}
    no = register(people["clerk"], **gas, received_at="2026-09-30T16:00:00+08:00")
    step(people["clerk"], no, "accept", "response")
    urgent = row(no, "urgent_handling")
    # Level II (urgent trigger, factor 0.5): 2 h → 1 h, due 17:00.
    assert urgent.due_at == at("2026-09-30T17:00:00+08:00")
    worker("2026-09-30T17:00:15+08:00")  # one worker interval after 17:00
    body = Notification.objects.get(
        key=f"deadline:{urgent.pk}:breach:u{uid('supervisor')}:in_app"
    ).body
    assert body.startswith("【催办通知】")
    assert "已超期0" not in body
