"""Scenario: the 客服应急预案 (``service_incident``) worked through the API by a broadband
provider's customer service: 事件报告 → 应急办公室 → 应急领导小组 → 启动 → 现场指挥 → 处置.

Demo people (service_incident.demo.yaml): clerk = 客服人员 (cs), head = 客服部门负责人/总指挥
(cs), handler = 应急办公室 (emergency_office, under cs), recorder = 信息报送组
(emergency_office), investigator = 现场指挥组 (it), tech = 技术处置人员 (it), leader = 组长.
"""

import pytest

from tousu.deadlines.models import Deadline
from tousu.plans.tests.scenario import (
    act,
    at,
    clients,
    due,
    keys,
    labels,
    open_kinds,
    registrar,
    step,
)

# The clock fixture hands out the instants with the offset they are written in.
pytestmark = [pytest.mark.django_db, pytest.mark.clock(utc=False)]

register = registrar(
    {
        "channel": "phone",
        "title": "事件报告",
        "description": "客服人员接报的突发事件。",
        "severity": "major",
        "complainant": {"name": "李明", "phone": "13912345678"},
    }
)


@pytest.fixture
def s(db):
    return clients("service_incident")


def reported(s, no):
    """事件报告: the agent reports to the 应急办公室 and hands the case to it."""
    step(
        s["clerk"],
        no,
        "report_office",
        "office",
        department="emergency_office",
        assignee="handler",
        slip="立即报告应急办公室",
    )


def activated(s, no):
    """The office reports and proposes, the leader activates (→ 现场指挥)."""
    step(s["handler"], no, "report_leadership", "office", report="已报告应急领导小组")
    step(s["handler"], no, "propose_activation", "activation", opinion="建议启动III级响应")
    step(s["leader"], no, "activate", "response")


def on_site(s, no):
    """The 现场指挥组 (in the IT department) works the case where it is and surveys."""
    step(s["investigator"], no, "survey", "response", findings="主干光缆被挖断")
    step(s["investigator"], no, "propose_plan", "plan_approval", opinion="熔接光缆并启用备用路由")
    step(s["leader"], no, "approve_plan", "execution")


def test_a_service_interruption_is_reported_activated_and_ended(s):
    clerk, handler, leader = s["clerk"], s["handler"], s["leader"]
    no = register(clerk, category="service_interruption")
    assert open_kinds(no) == {"event_report"}
    assert keys(clerk, no) == ["classify", "report_office"]
    assert keys(leader, no) == []
    assert act(leader, no, "report_office").status_code == 403
    assert s["tech"].get(f"/api/v1/complaints/{no}").status_code == 404

    reported(s, no)
    assert open_kinds(no) == {"office_report"}
    assert keys(handler, no) == ["verify", "report_leadership", "propose_activation", "dismiss"]
    step(handler, no, "verify", "office", findings="约三千户断网，两家网点业务中断")
    step(handler, no, "report_leadership", "office", report="已报告应急领导小组")
    data = step(handler, no, "propose_activation", "activation", opinion="建议启动III级响应")
    assert data["status"] == "awaiting_approval"
    assert keys(leader, no) == ["activate", "decline"]
    assert act(handler, no, "activate").status_code == 403
    data = step(leader, no, "activate", "response")
    assert data["emergency_marked"] and data["status"] == "investigating"
    assert open_kinds(no) == {"arrival", "first_situation_report", "handling_plan"}

    step(s["head"], no, "dispatch", "response", report="抢修队已出发")
    step(s["recorder"], no, "situation_report", "response", report="首报：影响约三千户")
    assert open_kinds(no) == {"handling_plan"}
    on_site(s, no)
    assert open_kinds(no) == {"interruption_notice", "interruption_backup"}
    assert keys(s["tech"], no) == ["backup"]
    assert keys(leader, no) == ["handled"]
    assert act(s["tech"], no, "repair_equipment", measure="repair", result="x").status_code == 409
    step(s["tech"], no, "backup", "closing", measure="rectify", result="备用路由已启用")
    step(clerk, no, "notify_customers", "closing", reply="业务已恢复，给您带来不便深表歉意。")
    data = step(leader, no, "terminate", "closed", note="响应终止；施工区域光缆加装警示")
    assert data["status"] == "closed"
    assert open_kinds(no) == set()
    assert labels(clerk, no) == [
        "立即向应急办公室报告",
        "核实事件情况",
        "向应急领导小组报告",
        "提请启动应急预案（建议响应级别和处置要点）",
        "启动应急预案",
        "组织相关人员赶赴现场（到场情况）",
        "信息报送组向应急领导小组报告现场情况",
        "现场勘查、分析原因",
        "制定处置方案",
        "审定处置方案",
        "启动备用方案，确保业务正常运行",
        "向受影响客户通报处置结果",
        "应急响应终止（处置情况及改进措施）",
    ]


def test_a_casualty_takes_the_rescue_path(s):
    no = register(s["clerk"], category="casualty", severity="urgent")
    reported(s, no)
    activated(s, no)
    step(s["investigator"], no, "propose_plan", "plan_approval", opinion="送医")
    assert act(s["investigator"], no, "approve_plan").status_code == 403
    step(s["leader"], no, "send_back", "response", note="先明确救援力量")
    assert "handling_plan" in open_kinds(no)  # a fresh 4 h for the new plan
    step(s["investigator"], no, "propose_plan", "plan_approval", opinion="120送医，后勤陪护")
    step(s["leader"], no, "approve_plan", "execution")
    assert open_kinds(no) >= {"rescue_start"}
    assert "rescue" in keys(s["investigator"], no)
    assert "backup" not in keys(s["tech"], no)
    step(s["investigator"], no, "rescue", "execution", report="已送医，伤者手腕骨折")
    assert Deadline.objects.get(complaint__tracking_no=no, kind="rescue_start").closed_reason == (
        "rescue"
    )
    step(s["investigator"], no, "rescue_done", "closing", report="伤者情况稳定")
    step(s["leader"], no, "terminate", "closed", note="门口加铺防滑垫")
    assert open_kinds(no) == set()


def test_the_leader_may_decline_and_a_routine_complaint_needs_no_activation(s):
    no = register(s["clerk"], category="equipment_failure")
    reported(s, no)
    step(s["handler"], no, "propose_activation", "activation", opinion="建议启动")
    step(s["leader"], no, "decline", "office", note="叫号机故障，无需启动")
    step(s["handler"], no, "dismiss", "closed", note="已更换叫号机")

    routine = register(s["clerk"], category="customer_complaint", severity="ordinary")
    reported(s, routine)
    assert "routine" in keys(s["handler"], routine)
    step(
        s["handler"],
        routine,
        "routine",
        "routine",
        department="cs",
        slip="一般投诉",
        assignee="clerk",
    )
    assert open_kinds(routine) == {"routine_response", "routine_resolution"}
    step(s["clerk"], routine, "listen", "routine", findings="自动续费未提醒")
    step(s["clerk"], routine, "reply", "closed", reply="已退款并取消续约")
    assert open_kinds(routine) == set()


def test_bad_paths_are_409_with_the_reason_and_422_naming_the_field(s):
    no = register(s["clerk"], category="service_interruption")
    early = act(s["clerk"], no, "terminate", note="x")
    assert early.status_code == 409
    assert "事件报告" in early.json()["detail"] and "立即向应急办公室报告" in early.json()["detail"]
    reported(s, no)
    routine = act(s["handler"], no, "routine", department="cs", slip="x")
    assert routine.status_code == 409  # only an ordinary customer complaint goes routine
    empty = act(s["handler"], no, "propose_activation")
    assert [e["field"] for e in empty.json()["errors"]] == ["opinion"]
    activated(s, no)
    on_site(s, no)
    wrong = act(s["tech"], no, "backup", measure="repair")
    assert wrong.status_code == 422
    assert sorted(e["field"] for e in wrong.json()["errors"]) == ["measure", "result"]
    step(s["tech"], no, "backup", "closing", measure="rectify", result="已恢复")
    silent = act(s["leader"], no, "terminate")
    assert [e["field"] for e in silent.json()["errors"]] == ["note"]


def test_hour_deadlines_and_the_national_day_holiday(s, clock):
    clock("2026-09-30T16:05:00+08:00")
    no = register(
        s["clerk"], category="service_interruption", received_at="2026-09-30T16:00:00+08:00"
    )
    # A service interruption fires the `service_interruption` trigger on registration: level
    # III (较大, factor 0.75) scales its deadlines, to whole hours and working days (a
    # period under one hour is scaled as is).
    # Hours count from the event itself: 0.5 h → 0.375 h (22 min 30 s), 16:00 + 22:30.
    assert due(no, "event_report") == at("2026-09-30T16:22:30+08:00")
    clock("2026-09-30T16:10:00+08:00")
    reported(s, no)
    # Level III: 1 h → 0.75 h, rounded up: 1 h, entered 16:10 + 1 h.
    assert due(no, "office_report") == at("2026-09-30T17:10:00+08:00")
    clock("2026-09-30T16:40:00+08:00")
    activated(s, no)
    # Entered response at 16:40, level III: 1 h → 1 h (0.75 up), 2 h → 2 h (1.5 up),
    # 4 h → 3 h (warned at half: 18:10).
    assert due(no, "arrival") == at("2026-09-30T17:40:00+08:00")
    assert due(no, "first_situation_report") == at("2026-09-30T18:40:00+08:00")
    assert due(no, "handling_plan") == at("2026-09-30T19:40:00+08:00")
    row = Deadline.objects.get(complaint__tracking_no=no, kind="handling_plan")
    assert row.warn_at == at("2026-09-30T18:10:00+08:00")
    clock("2026-09-30T19:00:00+08:00")
    on_site(s, no)
    # Execution entered 19:00, level III: notice 1 h → 1 h (0.75 up), backup 2 h → 2 h
    # (1.5 up) — straight into the holiday night.
    assert due(no, "interruption_notice") == at("2026-09-30T20:00:00+08:00")
    assert due(no, "interruption_backup") == at("2026-09-30T21:00:00+08:00")
    clock("2026-09-30T22:00:00+08:00")
    step(s["tech"], no, "backup", "closing", measure="rectify", result="已恢复")
    # Level III: 2 working days → 1.5, rounded up: 2, from Sep 30: Oct 1–7 holiday; Oct 8
    # (1), Oct 9 (2).
    assert due(no, "termination") == at("2026-10-09T23:59:59+08:00")


def test_deadlines_across_the_spring_festival(s, clock):
    clock("2026-02-13T10:05:00+08:00")
    no = register(
        s["clerk"],
        category="customer_complaint",
        severity="ordinary",
        received_at="2026-02-13T10:00:00+08:00",
    )
    reported(s, no)
    step(s["handler"], no, "routine", "routine", department="cs", slip="一般投诉")
    # 3 working days from Fri Feb 13: Sat Feb 14 make-up (1), Feb 15–23 holiday,
    # Feb 24 (2), Feb 25 (3).
    assert due(no, "routine_resolution") == at("2026-02-25T23:59:59+08:00")
    assert due(no, "routine_response") == at("2026-02-13T12:05:00+08:00")  # 10:05 + 2 h

    clock("2026-02-14T15:00:00+08:00")
    broken = register(
        s["clerk"], category="equipment_failure", received_at="2026-02-14T14:50:00+08:00"
    )
    reported(s, broken)
    activated(s, broken)
    on_site(s, broken)
    # 24 hours from entering execution (Sat Feb 14 15:00), holiday or not.
    assert due(broken, "equipment_restore") == at("2026-02-15T15:00:00+08:00")
    step(s["tech"], broken, "repair_equipment", "closing", measure="replace", result="已更换")
    # 2 working days from Sat Feb 14 (a make-up working day, not counted itself):
    # Feb 15–23 holiday, Feb 24 (1), Feb 25 (2).
    assert due(broken, "termination") == at("2026-02-25T23:59:59+08:00")


def test_the_on_site_group_works_an_activated_incident_where_it_is(s):
    no = register(s["clerk"], category="service_interruption")
    reported(s, no)
    # Before activation the 现场指挥组 has nothing to do and does not see the incident.
    assert s["investigator"].get(f"/api/v1/complaints/{no}").status_code == 404
    activated(s, no)
    assert s["investigator"].get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(s["investigator"], no) == ["dispatch", "survey", "propose_plan"]
    assert keys(s["logistics"], no) == ["logistics"]
    # The IT department's head plays no part in the response and still does not see it.
    assert s["it_head"].get(f"/api/v1/complaints/{no}").status_code == 404
    step(s["investigator"], no, "survey", "response", findings="现场勘查")
    data = step(s["investigator"], no, "propose_plan", "plan_approval", opinion="熔接光缆")
    # The incident stays with the 应急办公室 while the group works it.
    assert data["department"]["code"] == "emergency_office"
    assert keys(s["leader"], no) == ["approve_plan", "send_back"]
    # Approving is not the group's: it still sees the incident it worked, read-only.
    assert s["investigator"].get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(s["investigator"], no) == []
