"""The enterprise plan's major path after an escalation: a missed ordinary limit raises the
complaint to major, and a major complaint goes back to the complaint group, which convenes
the meeting that names an owner; the owner is told at once and answers for the meeting's
time limit (重大投诉: 召开会议，明确责任人和处理时限), with the worker on an injected clock.

Demo people (enterprise.demo.yaml): clerk/agent2 = 客服人员, head = 投诉处理小组组长,
handler/after_sales_head = 售后服务部, supervisor = 投诉处理办公室主任, leader = 总经理.
"""

import pytest

from tousu.complaints.models import Participant
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import at, clients, keys, open_kinds, registrar, row, step, worker

pytestmark = [pytest.mark.django_db, pytest.mark.clock(utc=False)]

register = registrar(
    {
        "channel": "phone",
        "title": "新买冰箱冷藏室不制冷",
        "description": "送货安装第三天冷藏室温度一直在15度以上，要求上门检测并更换新机。",
        "category": "product",
        "complainant": {"name": "李娜", "phone": "13912345678"},
    }
)


@pytest.fixture
def e(db):
    return clients("enterprise")


def told(no: str, key_part: str) -> set[str]:
    rows = Notification.objects.filter(
        complaint__tracking_no=no, channel="in_app", key__contains=key_part
    )
    return set(rows.values_list("recipient__username", flat=True))


def test_a_missed_ordinary_limit_takes_the_major_path_to_a_meeting_with_an_owner(e, clock):
    clock("2026-11-02T09:00:00+08:00")  # Monday
    no = register(e["clerk"], received_at="2026-11-02T09:00:00+08:00")
    step(e["clerk"], no, "accept", "analysis")
    step(e["head"], no, "route_ordinary", "ordinary_handling", assignee="agent2")
    # 3 working days from Mon Nov 2: Thu Nov 5, to midnight.
    limit = row(no, "ordinary_handling")
    assert limit.due_at == at("2026-11-05T23:59:59+08:00")
    worker("2026-11-05T23:59:59+08:00")
    assert e["agent2"].get(f"/api/v1/complaints/{no}").json()["severity"] == "ordinary"
    worker("2026-11-06T00:00:01+08:00")
    detail = e["head"].get(f"/api/v1/complaints/{no}").json()
    # Raised to major and back to the complaint group for the major path; the department
    # and the agent keep the case.
    assert (detail["severity"], detail["stage"]) == ("major", "analysis")
    assert detail["department"]["code"] == "customer_service"
    assert detail["assignee"] == "agent2"
    assert told(no, f"deadline:{limit.pk}:breach:") >= {"head", "agent2", "supervisor"}
    # The group is told the case is theirs to act on, and the meeting is what they may do.
    assert told(no, f"deadline:{limit.pk}:breach:path:handoff") >= {"head"}
    assert "convene" in keys(e["head"], no) and "route_ordinary" not in keys(e["head"], no)
    assert open_kinds(no) == {"analysis"}
    timeline = e["head"].get(f"/api/v1/complaints/{no}/timeline").json()
    escalated = [t["data"] for t in timeline if t["action"] == "complaint.escalated"][-1]
    assert escalated["changes"]["stage"] == ["普通投诉处理", "投诉分析"]
    assert escalated["by"] == "worker"
    # The meeting names its owner and time limit; the owner is told and sees the case.
    clock("2026-11-06T10:00:00+08:00")
    assert e["handler"].get(f"/api/v1/complaints/{no}").status_code == 404
    meeting = {"owner": "handler", "due_at": "2026-11-10T18:00:00+08:00", "agenda": "研究方案"}
    step(e["head"], no, "convene", "major_handling", **meeting)
    assert e["handler"].get(f"/api/v1/complaints/{no}").status_code == 200
    assert Participant.objects.filter(
        complaint__tracking_no=no, user__username="handler", part="co_owner"
    ).exists()
    body = Notification.objects.get(
        complaint__tracking_no=no,
        recipient__username="handler",
        channel="in_app",
        key__contains=":handoff:",
    ).body
    assert body.startswith("【重大投诉】") and no in body
    # Bound by its limit: the worker tells the owner when the meeting's time runs out.
    deadline = row(no, "meeting")
    assert deadline.due_at == at("2026-11-10T18:00:00+08:00")
    worker("2026-11-10T18:00:01+08:00")
    assert "handler" in told(no, f"deadline:{deadline.pk}:breach:")
