"""The worker on the `service_incident` template (客服应急预案): hour-scale limits that run
round the clock, and what their breach sets in motion.

Each breach names its own people: a leadership group that does not decide on activation in
time is itself chased (its lead added as co-owner), a rescue not organised in 30 minutes
(15 under the level-II response a casualty opens) raises the level and brings the group
in, a routine complaint left unresolved is raised to the head of customer service.
Warnings go to the assignee and the 总指挥 (head of customer service). The plan has no
penalties and no follow-up visit.

Demo people: clerk = 客服人员 (cs), head = 总指挥 (cs), handler = 应急办公室 (under cs),
recorder = 信息报送组, investigator = 现场指挥组 (it), tech and it_head = 技术保障部 (it),
leader = 应急领导小组组长.
"""

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.incidents.models import Incident
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    at,
    clients,
    co_owners,
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
        "title": "城南片区光缆被挖断大面积断网",
        "description": "市政施工挖断主干光缆，约三千户宽带业务中断。",
        "severity": "major",
        "complainant": {"name": "李明", "phone": "13912345678"},
    }
)


@pytest.fixture
def s():
    return clients("service_incident")


def escalation(client, no, label: str) -> dict:
    """The breach event of the deadline labelled ``label`` (there must be one)."""
    timeline = client.get(f"/api/v1/complaints/{no}/timeline").json()
    found = [
        e["data"]
        for e in timeline
        if e["action"] == "complaint.escalated"
        and e["data"]["deadline"] == label
        and e["data"]["at"] == "breach"
    ]
    assert len(found) == 1, found
    return found[0]


def reported(s, no):
    step(
        s["clerk"],
        no,
        "report_office",
        "office",
        department="emergency_office",
        assignee="handler",
        slip="立即报告应急办公室",
    )


def test_a_late_activation_decision_chases_the_leadership_group(s, clock):
    clock("2026-09-30T16:05:00+08:00")
    no = register(
        s["clerk"], category="service_interruption", received_at="2026-09-30T16:00:00+08:00"
    )
    clock("2026-09-30T16:10:00+08:00")
    reported(s, no)
    clock("2026-09-30T16:20:00+08:00")
    step(s["handler"], no, "report_leadership", "office", report="已报告应急领导小组")
    step(s["handler"], no, "propose_activation", "activation", opinion="建议启动III级响应")
    decision = row(no, "activation_decision")
    # The interruption fired `service_interruption` on registration: level III (较大, factor
    # 0.75): 1 h → 0.75 h, rounded up to a whole hour: still one hour from the proposal,
    # warned at half of it.
    assert (decision.warn_at, decision.due_at) == (
        at("2026-09-30T16:50:00+08:00"),
        at("2026-09-30T17:20:00+08:00"),
    )
    worker("2026-09-30T16:49:00+08:00")
    assert told(decision, "warning") == set()
    worker("2026-09-30T16:51:00+08:00")
    # The emergency office (assignee) and the 总指挥.
    assert told(decision, "warning") == {"handler", "head"}

    worker("2026-09-30T17:20:00+08:00")
    assert told(decision, "breach") == set()
    worker("2026-09-30T17:20:01+08:00")
    # The group itself: its lead and its members who head departments. The IT head is a
    # department head too, but has no part in this incident and cannot see it: not told.
    # The office that proposed is not named by this rule.
    assert told(decision, "breach") == {"leader", "head"}
    assert s["it_head"].get(f"/api/v1/complaints/{no}").status_code == 404
    breach = escalation(s["clerk"], no, "启动决定时限")
    assert breach["changes"] == {"co_owners": [[], ["周国平"]]}
    assert co_owners(no) == {"leader"}
    assert held_by(no) == ("emergency_office", "handler", "major")
    # The decision is still the leader's to take, on the stage it was waiting in.
    assert keys(s["leader"], no) == ["activate", "decline"]
    worker("2026-09-30T18:00:00+08:00")
    assert told(decision, "breach") == {"leader", "head"}
    assert not PenaltyEntry.objects.exists()


def test_a_rescue_not_organised_in_30_minutes_raises_the_level(s, clock):
    """Hours run through the National Day holiday: an injury on the evening of Oct 2."""
    clock("2026-10-02T20:00:00+08:00")
    no = register(s["clerk"], category="casualty", received_at="2026-10-02T19:55:00+08:00")
    reported(s, no)
    step(s["handler"], no, "propose_activation", "activation", opinion="有人受伤，建议启动")
    step(s["leader"], no, "activate", "response")
    step(s["recorder"], no, "situation_report", "response", report="首报：营业厅一人摔伤")
    step(s["investigator"], no, "survey", "response", findings="营业厅门口地面湿滑")
    step(s["investigator"], no, "propose_plan", "plan_approval", opinion="120送医，后勤陪护")
    clock("2026-10-02T20:40:00+08:00")
    step(s["leader"], no, "approve_plan", "execution")
    rescue = row(no, "rescue_start")
    # A casualty (major) fired `casualty` on registration: level II (重大, factor 0.5), so
    # the 30 minutes (under one hour, scaled as is) become 15, from entering execution; the
    # plan sets no warning point, so the default three quarters of the period applies.
    assert (rescue.warn_at, rescue.due_at) == (
        at("2026-10-02T20:51:15+08:00"),
        at("2026-10-02T20:55:00+08:00"),
    )
    assert Incident.objects.get(links__complaint__tracking_no=no).level == "II"
    worker("2026-10-02T20:50:15+08:00")
    assert told(rescue, "warning") == set()
    worker("2026-10-02T20:52:15+08:00")
    assert told(rescue, "warning") == {"handler", "head"}

    worker("2026-10-02T20:55:00+08:00")
    assert told(rescue, "breach") == set()
    worker("2026-10-02T20:55:01+08:00")
    assert told(rescue, "breach") == {"leader", "head"}
    breach = escalation(s["clerk"], no, "组织救援时限")
    assert breach["changes"] == {
        "severity": ["major", "urgent"],
        "co_owners": [[], ["周国平"]],
    }
    assert co_owners(no) == {"leader"}
    assert held_by(no) == ("emergency_office", "handler", "urgent")
    # The breach also fires `rescue_overdue`: the response goes up to level I (特别重大,
    # factor 0.25), and the rescue limit is recomputed from its start: 30 min → 7 min 30 s,
    # 20:40 → 20:47:30 (already breached; it stays so).
    assert Incident.objects.get(links__complaint__tracking_no=no).level == "I"
    rescue.refresh_from_db()
    assert rescue.due_at == at("2026-10-02T20:47:30+08:00") and rescue.breached_at is not None
    # The on-site group still organises the rescue.
    assert "rescue" in keys(s["investigator"], no)
    worker("2026-10-02T22:00:00+08:00")
    assert held_by(no)[2] == "urgent"  # raised once, not once per pass
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username__in=["tech", "it_head"]
    ).exists()


def test_a_routine_complaint_unresolved_over_spring_festival_is_raised(s, clock):
    clock("2026-02-13T10:00:00+08:00")
    no = register(
        s["clerk"],
        category="customer_complaint",
        severity="ordinary",
        received_at="2026-02-13T10:00:00+08:00",
    )
    reported(s, no)
    clock("2026-02-13T10:05:00+08:00")
    routine = {"department": "cs", "slip": "一般投诉", "assignee": "clerk"}
    step(s["handler"], no, "routine", "routine", **routine)
    step(s["clerk"], no, "listen", "routine", findings="自动续费未提醒，要求退款")
    resolution = row(no, "routine_resolution")
    # 3 working days from Fri Feb 13: Sat Feb 14 (调休) (1), Feb 15-23 the holiday,
    # Feb 24 (2), Feb 25 (3).
    assert resolution.due_at == at("2026-02-25T23:59:59+08:00")
    # 75 % of 12 d 13:54:59 after Feb 13 10:05: 9 d 10:26:14.25.
    assert resolution.warn_at == at("2026-02-22T20:31:14+08:00")
    worker("2026-02-22T20:30:14+08:00")
    assert told(resolution, "warning") == set()
    worker("2026-02-22T20:32:14+08:00")
    # The agent who has it and the 总指挥 (the same department's head).
    assert told(resolution, "warning") == {"clerk", "head"}

    worker("2026-02-25T23:59:59+08:00")
    assert told(resolution, "breach") == set()
    worker("2026-02-26T00:00:00+08:00")
    assert told(resolution, "breach") == {"head"}
    breach = escalation(s["clerk"], no, "常规投诉解决时限")
    assert breach["changes"] == {"severity": ["ordinary", "major"]}
    assert co_owners(no) == set()
    assert held_by(no) == ("cs", "clerk", "major")
    assert keys(s["clerk"], no) == ["listen", "resolve", "escalate", "reply"]
    # The leadership is not named by this rule: it hears nothing.
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username="leader"
    ).exists()
