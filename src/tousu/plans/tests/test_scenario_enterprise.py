"""Scenario: the `enterprise` template (企业日常投诉应急预案) walked through the API.

The demo company 惠达家电: clerk and agent2 客服人员 and head 投诉处理小组组长 (customer
service), handler/after_sales_head of 售后服务部, leader 总经理 (应急指挥小组组长).
What makes the plan particular: the severity decides the path — ordinary complaints are
handled by one customer-service agent, a major one by a meeting with a named owner and time
limit, an urgent one is marked for emergency activation and decided by the command group.
"""

import pytest

from tousu.deadlines.models import Deadline
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import act, clients, fields, keys, open_deadlines, registrar, step
from tousu.plans.tests.scenario import at as when
from tousu.plans.tests.scenario import label_line as labels

pytestmark = pytest.mark.django_db

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
def people():
    """The company's users by username, each with an API client."""
    return clients("enterprise")


def test_an_ordinary_complaint_is_handled_by_customer_service(people):
    clerk, agent2, head, leader = (people[k] for k in ("clerk", "agent2", "head", "leader"))
    no = register(clerk)
    assert set(open_deadlines(clerk, no)) == {"reporting"}
    assert keys(clerk, no) == ["register_classify", "preliminary_check", "accept", "refuse"]
    assert keys(head, no) == ["refuse"]
    step(clerk, no, "preliminary_check", "intake", findings="客户已发来温度计照片")
    assert step(clerk, no, "accept", "analysis")["status"] == "investigating"
    assert set(open_deadlines(clerk, no)) == {"analysis"}
    assert keys(head, no) == ["investigate", "classify", "route_ordinary"]
    assert keys(leader, no) == []
    assert keys(clerk, no) == []
    step(head, no, "investigate", "analysis", findings="压缩机启动正常，疑似温控器故障")
    data = step(head, no, "route_ordinary", "ordinary_handling", assignee="agent2")
    assert data["status"] == "executing" and data["assignee"] == "agent2"
    # Only the agent it was given to handles it.
    assert keys(agent2, no) == ["ordinary_findings", "ordinary_execute"]
    assert keys(clerk, no) == []
    assert act(clerk, no, "ordinary_execute", measure="repair", result="x").status_code == 403
    step(agent2, no, "ordinary_findings", "ordinary_handling", findings="上门确认温控器损坏")
    step(agent2, no, "ordinary_execute", "feedback", measure="replace", result="已更换新机")
    step(agent2, no, "reply", "confirmation", reply="已为您更换新冰箱。")
    data = step(clerk, no, "satisfaction", "review", satisfaction="satisfied")
    assert data["status"] == "awaiting_approval"
    assert keys(head, no) == ["review_close", "review_reopen"]
    assert act(clerk, no, "review_close").status_code == 403
    data = step(head, no, "review_close", "closed")
    # Closed: only the follow-up visit (跟踪回访) is still to come.
    assert data["status"] == "closed"
    assert [d["key"] for d in data["deadlines"]] == ["follow_up"]
    # The follow-up visit does not reopen the case in this plan (A 三、6(2)).
    assert keys(clerk, no) == ["follow_up"]
    assert keys(head, no) == ["summary"]
    visit = {"reached": True, "satisfaction": "dissatisfied", "remarks": "客户认为上门太慢"}
    step(clerk, no, "follow_up", "closed", **visit)
    step(head, no, "summary", "closed", report="缩短上门检测响应时间")
    rows = Deadline.objects.filter(complaint__tracking_no=no)
    assert not rows.filter(closed_at=None).exists()
    kinds = "reporting analysis ordinary_handling feedback confirmation review follow_up"
    assert set(rows.values_list("kind", flat=True)) == set(kinds.split())
    assert labels(clerk, no) == (
        "初步核实 上报投诉处理小组 初步调查 交客服人员处理 了解具体情况 实施解决方案 "
        "向客户反馈处理结果 记录客户意见 审核通过结案 记录跟踪回访 总结改进"
    )


MEETING = {"owner": "handler", "due_at": "2026-02-27T18:00:00+08:00", "agenda": "研究批次问题"}
HAND_OVER = {"department": "after_sales", "slip": "会议决定：邓超负责", "assignee": "handler"}


def walk_to_major_handling(people, clock) -> str:
    clerk, head = people["clerk"], people["head"]
    clock("2026-02-13T10:05:00+08:00")
    no = register(clerk, received_at="2026-02-13T10:00:00+08:00")
    clock("2026-02-13T10:30:00+08:00")
    step(clerk, no, "accept", "analysis")
    step(head, no, "classify", "analysis", severity="major")
    return no


def test_a_major_complaint_gets_a_meeting_with_owner_and_time_limit(people, clock):
    """Across the Spring Festival (Feb 15-23, 2026; Sat Feb 14 and Sat Feb 28 worked)."""
    clerk, head, handler, leader = (people[k] for k in ("clerk", "head", "handler", "leader"))
    no = walk_to_major_handling(people, clock)
    # reporting: 24 hours from receipt (Fri Feb 13 10:00) -> Sat Feb 14 10:00 (closed now);
    # analysis: 1 working day from Fri Feb 13 -> Sat Feb 14, a make-up working day.
    reporting = Deadline.objects.get(complaint__tracking_no=no, kind="reporting")
    assert reporting.due_at == when("2026-02-14T10:00:00+08:00")
    assert open_deadlines(clerk, no) == {"analysis": when("2026-02-14T23:59:59+08:00")}
    assert keys(head, no) == ["investigate", "classify", "convene"]
    assert keys(leader, no) == ["convene"]
    assert act(head, no, "route_ordinary", assignee="agent2").status_code == 409
    clock("2026-02-13T11:00:00+08:00")
    data = step(head, no, "convene", "major_handling", **MEETING)
    assert data["status"] == "executing"
    # The meeting's own limit, exactly as set; major_handling: 5 working days from Fri
    # Feb 13: Sat Feb 14 (1), Tue Feb 24 (2), 25 (3), 26 (4), Fri Feb 27 (5).
    assert open_deadlines(clerk, no) == {
        "meeting": when("2026-02-27T18:00:00+08:00"),
        "major_handling": when("2026-02-27T23:59:59+08:00"),
    }
    meeting = Deadline.objects.get(complaint__tracking_no=no, kind="meeting")
    assert meeting.stage == "major_handling"
    assert meeting.anchor_at == when("2026-02-13T11:00:00+08:00")
    timeline = clerk.get(f"/api/v1/complaints/{no}/timeline").json()
    event = next(e["data"] for e in timeline if e["data"].get("label") == "召开重大投诉处理会议")
    assert event["owner"] == "邓超" and event["agenda"] == "研究批次问题"
    # The meeting's owner answers for its time limit: told at once, and sees the case
    # (a co-owner) before the department it is handed to takes it on.
    assert handler.get(f"/api/v1/complaints/{no}").status_code == 200
    told = Notification.objects.filter(
        recipient__username="handler", complaint__tracking_no=no, channel="in_app"
    )
    assert [":handoff:" in n.key for n in told] == [True]
    # Handed to the owner's department as the meeting decided.
    step(head, no, "hand_over", "major_handling", **HAND_OVER)
    assert keys(handler, no) == ["major_findings", "major_execute"]
    assert keys(people["after_sales_head"], no) == ["major_execute"]
    assert keys(leader, no) == ["hand_over"]
    assert set(open_deadlines(clerk, no)) == {"meeting", "major_handling"}
    clock("2026-02-26T15:00:00+08:00")
    step(handler, no, "major_findings", "major_handling", findings="同批次温控器存在缺陷")
    step(handler, no, "major_execute", "feedback", measure="replace", result="已更换新机")
    meeting.refresh_from_db()
    assert meeting.closed_at == when("2026-02-26T15:00:00+08:00") <= meeting.due_at
    step(clerk, no, "reply", "confirmation", reply="已为您更换新机。")
    data = step(clerk, no, "satisfaction", "review", satisfaction="satisfied")
    assert data["status"] == "awaiting_approval"
    assert set(open_deadlines(clerk, no)) == {"review"}
    # The group leader reviews it though it now sits with after-sales.
    assert keys(head, no) == ["review_close", "review_reopen"]
    data = step(head, no, "review_close", "closed")
    assert [d["key"] for d in data["deadlines"]] == ["follow_up"]


def test_the_meeting_deadline_is_exactly_the_time_limit_set(people, clock):
    no = walk_to_major_handling(people, clock)
    clock("2026-02-13T11:00:07+08:00")
    step(people["head"], no, "convene", "major_handling", **MEETING)
    meeting = Deadline.objects.get(complaint__tracking_no=no, kind="meeting")
    assert meeting.due_at == when("2026-02-27T18:00:00+08:00")
    # What the API shows is the time set, to the second, in Beijing time.
    shown = people["head"].get(f"/api/v1/complaints/{no}").json()["deadlines"]
    assert [d["due_at"] for d in shown if d["key"] == "meeting"] == ["2026-02-27T18:00:00+08:00"]


def test_an_urgent_complaint_is_marked_and_decided_by_the_command_group(people, clock):
    """Across the National Day holiday (Oct 1-7, 2026; Sat Oct 10 worked)."""
    clerk, head, leader = people["clerk"], people["head"], people["leader"]
    clock("2026-09-30T16:05:00+08:00")
    no = register(clerk, severity="urgent", received_at="2026-09-30T16:00:00+08:00")
    # Registering it urgent fires the `urgent` trigger: level III (较大, factor 0.75) from
    # then on. Hours count from receipt itself: 24 h → 18 h, 16:00 + 18 h; 2 h → 1.5 h,
    # rounded up to a whole hour: 2 h, 16:00 + 2 h.
    assert open_deadlines(clerk, no) == {
        "reporting_urgent": when("2026-09-30T18:00:00+08:00"),
        "reporting": when("2026-10-01T10:00:00+08:00"),
    }
    clock("2026-09-30T16:30:00+08:00")
    step(clerk, no, "accept", "analysis")
    # Level III (factor 0.75), rounded up to whole units: analysis: 1 working day → 0.75 →
    # 1 working day from Wed Sep 30 -> Thu Oct 8 (Oct 1-7 off); urgent_activation: 2 h →
    # 1.5 → 2 hours from entering analysis at 16:30.
    assert open_deadlines(clerk, no) == {
        "urgent_activation": when("2026-09-30T18:30:00+08:00"),
        "analysis": when("2026-10-08T23:59:59+08:00"),
    }
    assert keys(head, no) == ["investigate", "classify", "activate", "report_to_command"]
    assert keys(leader, no) == ["activate", "report_to_command"]
    assert act(clerk, no, "activate").status_code == 403
    assert clerk.get(f"/api/v1/complaints/{no}").json()["emergency_marked"] is False
    clock("2026-09-30T16:45:00+08:00")
    data = step(leader, no, "activate", "emergency_handling")
    assert data["emergency_marked"] is True
    # emergency_solution: level III (较大, factor 0.75): 24 h → 18 h, from 16:45.
    assert open_deadlines(clerk, no) == {"emergency_solution": when("2026-10-01T10:45:00+08:00")}
    step(head, no, "emergency_findings", "emergency_handling", findings="接口密封圈未装到位")
    clock("2026-09-30T17:00:00+08:00")
    data = step(head, no, "emergency_solution", "command_decision", opinion="立即上门关阀并更换")
    assert data["status"] == "awaiting_approval"
    # command_decision: level III: 2 h → 1.5 h, rounded up: 2 h from 17:00.
    assert open_deadlines(clerk, no) == {"command_decision": when("2026-09-30T19:00:00+08:00")}
    # The command group's leader decides, not the one who proposed.
    assert keys(head, no) == []
    assert keys(leader, no) == ["command_approve", "command_send_back"]
    clock("2026-09-30T17:30:00+08:00")
    step(leader, no, "command_approve", "emergency_execution")
    # emergency_execution: level III: 24 h → 18 h, from 17:30.
    assert open_deadlines(clerk, no) == {"emergency_execution": when("2026-10-01T11:30:00+08:00")}
    clock("2026-09-30T19:00:00+08:00")
    step(clerk, no, "emergency_execute", "feedback", measure="repair", result="已更换密封圈")
    # feedback: level III: 1 working day → 0.75, rounded up: 1, from Sep 30 -> Thu Oct 8.
    assert open_deadlines(clerk, no) == {"feedback": when("2026-10-08T23:59:59+08:00")}
    clock("2026-10-08T09:00:00+08:00")
    step(clerk, no, "reply", "confirmation", reply="已上门更换密封圈，经检测无泄漏。")
    # confirmation: level III: 3 working days → 2.25, rounded up: 3, from Thu Oct 8: Fri Oct 9,
    # Sat Oct 10 (make-up), Mon Oct 12.
    assert open_deadlines(clerk, no) == {"confirmation": when("2026-10-12T23:59:59+08:00")}
    clock("2026-10-09T10:00:00+08:00")
    step(clerk, no, "satisfaction", "review", satisfaction="satisfied")
    # review: level III: 2 working days → 1.5, rounded up: 2, from Fri Oct 9: Sat Oct 10
    # (make-up), Mon Oct 12.
    assert open_deadlines(clerk, no) == {"review": when("2026-10-12T23:59:59+08:00")}
    data = step(head, no, "review_close", "closed")
    assert data["emergency_marked"] is True
    # follow_up (never scaled): 2 working days after closure on Fri Oct 9: Sat Oct 10
    # (make-up), Mon Oct 12.
    assert open_deadlines(clerk, no) == {"follow_up": when("2026-10-12T23:59:59+08:00")}
    assert labels(clerk, no) == (
        "上报投诉处理小组 启动应急预案 核实紧急情况 提出应急解决方案 批准应急方案 "
        "实施应急方案 向客户反馈处理结果 记录客户意见 审核通过结案"
    )


def test_a_marked_complaint_back_from_the_customer_goes_to_the_command_group(people):
    clerk, head, leader = people["clerk"], people["head"], people["leader"]
    no = register(clerk, severity="urgent")
    step(clerk, no, "accept", "analysis")
    step(leader, no, "activate", "emergency_handling")
    step(head, no, "emergency_solution", "command_decision", opinion="上门更换")
    step(leader, no, "command_approve", "emergency_execution")
    step(clerk, no, "emergency_execute", "feedback", measure="repair", result="已维修")
    step(clerk, no, "reply", "confirmation", reply="已维修。")
    step(clerk, no, "satisfaction", "analysis", satisfaction="dissatisfied")
    again = act(leader, no, "activate")
    assert again.status_code == 409
    assert fields(act(leader, no, "report_to_command")) == ["report"]
    step(leader, no, "report_to_command", "emergency_handling", report="客户仍反映有异味")
    assert set(open_deadlines(clerk, no)) == {"emergency_solution"}


def test_bad_paths(people):
    clerk, head = people["clerk"], people["head"]
    no = register(clerk)
    response = act(clerk, no, "reply", reply="已处理")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "投诉接收" in detail and "上报投诉处理小组" in detail and "不属于受理范围" in detail
    assert "accept" not in detail
    assert fields(act(clerk, no, "refuse")) == ["reason"]
    assert fields(act(clerk, no, "preliminary_check")) == ["findings"]
    step(clerk, no, "accept", "analysis")
    assert act(head, no, "convene", owner="handler").status_code == 409  # not major
    assert fields(act(head, no, "route_ordinary")) == ["assignee"]
    # The agent must work in the complaint's department (customer service).
    assert fields(act(head, no, "route_ordinary", assignee="handler")) == ["assignee"]
    step(head, no, "classify", "analysis", severity="major")
    assert fields(act(head, no, "convene")) == ["owner", "due_at", "agenda"]
    past = act(head, no, "convene", **{**MEETING, "due_at": "2020-01-01T10:00:00+08:00"})
    assert fields(past) == ["due_at"]
    assert clerk.get(f"/api/v1/complaints/{no}").json()["stage"] == "analysis"
