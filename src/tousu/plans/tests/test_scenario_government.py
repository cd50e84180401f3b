"""Scenario: the `government` template (群众投诉应急预案) walked through the API.

The demo district 城南区: clerk 信息收集组 (12345 office), leader 应急指挥部指挥长,
investigator 现场处置组勘查人员 and handler/head of 区城市管理局 (urban), supervisor
督查人员, press 宣传报道组. What makes the plan particular: the emergency HQ sets the level,
starts the response and dispatches the working groups; major and urgent matters go back to the
HQ for the solution and for releasing information; urgent matters are handled within 2 hours
of receipt; a follow-up visit reopens a case the citizen is not satisfied with.
"""

import pytest

from tousu.deadlines.models import Deadline
from tousu.plans.tests.scenario import act, clients, fields, keys, open_deadlines, registrar, step
from tousu.plans.tests.scenario import at as when
from tousu.plans.tests.scenario import deadline as row
from tousu.plans.tests.scenario import label_line as labels

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "学校门口流动摊贩长期占道经营",
        "description": "城南第二小学门口放学时段有流动摊贩占用人行道，学生只能走机动车道。",
        "category": "urban_management",
        "complainant": {"name": "王芳", "phone": "13912345678"},
    }
)


@pytest.fixture
def people():
    """The district's users by username, each with an API client."""
    return clients("government")


SLIP = {"department": "urban", "assignee": "handler", "slip": "派单：请区城管局现场处置并反馈"}


def dispatch(client, no, action="dispatch"):
    step(client, no, action, "on_site", **SLIP)


def ordinary_round(people, no):
    """On site to the reply, for an ordinary matter."""
    step(people["investigator"], no, "survey", "on_site", findings="现场有12个摊位占道")
    step(people["investigator"], no, "propose", "implementation", opinion="劝离并设置护栏")
    step(people["handler"], no, "execute", "feedback", measure="rectify", result="已劝离")
    step(people["handler"], no, "reply", "aftercare", reply="已清理占道摊贩并设置护栏。")


def test_main_path_of_an_ordinary_matter(people):
    clerk, leader, investigator = people["clerk"], people["leader"], people["investigator"]
    handler, head, supervisor = people["handler"], people["head"], people["supervisor"]
    no = register(clerk)
    assert set(open_deadlines(clerk, no)) == {"acceptance"}
    assert keys(clerk, no) == ["classify", "verify", "accept", "redirect"]
    assert keys(leader, no) == ["classify", "verify", "accept"]
    assert handler.get(f"/api/v1/complaints/{no}").status_code == 404
    step(clerk, no, "verify", "reception", findings="经电话核实，情况属实")
    assert step(clerk, no, "accept", "response")["status"] == "assigned"
    assert set(open_deadlines(clerk, no)) == {"dispatch", "handling"}
    assert keys(leader, no) == ["set_level", "dispatch"]
    assert keys(clerk, no) == ["dispatch"]
    assert act(clerk, no, "set_level", severity="major").status_code == 403
    dispatch(clerk, no)
    assert keys(investigator, no) == ["survey", "comfort", "site_report", "propose"]
    assert keys(handler, no) == ["survey"]
    assert keys(head, no) == ["site_report", "propose"]
    step(investigator, no, "survey", "on_site", findings="现场有12个摊位占道")
    data = step(investigator, no, "propose", "implementation", opinion="劝离并设置护栏")
    assert data["status"] == "executing"
    assert keys(handler, no) == ["execute"]
    assert act(investigator, no, "execute", measure="rectify", result="x").status_code == 403
    step(handler, no, "execute", "feedback", measure="rectify", result="已劝离并设置护栏")
    data = step(handler, no, "reply", "aftercare", reply="已清理占道摊贩并设置护栏。")
    assert data["status"] == "replied"
    assert set(open_deadlines(clerk, no)) == {"aftercare"}
    assert keys(leader, no) == ["evaluation", "close"]
    assert keys(supervisor, no) == ["evaluation", "accountability", "close"]
    assert act(clerk, no, "close").status_code == 403
    step(leader, no, "evaluation", "aftercare", report="联合执法常态化")
    data = step(supervisor, no, "close", "closed")
    # Closed: only the follow-up visit (回访) is still to come.
    assert data["status"] == "closed"
    assert [d["key"] for d in data["deadlines"]] == ["follow_up"]
    assert keys(clerk, no) == ["follow_up"]
    step(clerk, no, "follow_up", "closed", reached=True, satisfaction="satisfied")
    rows = Deadline.objects.filter(complaint__tracking_no=no)
    assert not rows.filter(closed_at=None).exists()
    kinds = "acceptance dispatch handling feedback aftercare follow_up"
    assert set(rows.values_list("kind", flat=True)) == set(kinds.split())
    assert row(no, "handling").closed_reason == "reply"
    assert labels(clerk, no) == (
        "核实事件情况 受理并启动应急响应 派单至现场处置组 现场勘查取证 提出解决方案 "
        "落实解决方案 答复投诉人 评估总结 办结 记录回访"
    )


def test_an_urgent_matter_goes_through_the_emergency_hq_within_two_hours(people, clock):
    """Received Wed Sep 30, 2026 16:00, the eve of the National Day holiday (Oct 1-7;
    Sat Oct 10 worked)."""
    clerk, leader, investigator = people["clerk"], people["leader"], people["investigator"]
    handler, supervisor = people["handler"], people["supervisor"]
    clock("2026-09-30T16:05:00+08:00")
    gas = {"title": "楼道内闻到浓烈燃气味", "category": "utilities", "severity": "urgent"}
    no = register(clerk, **gas, received_at="2026-09-30T16:00:00+08:00")
    # Registered urgent: the `urgent` trigger opens an incident at level II (重大, factor 0.5),
    # which scales every deadline of the case, rounded up to a whole unit.
    # acceptance: 1 working day → 0.5 → 1, from Wed Sep 30 -> Thu Oct 8, the first day after
    # the holiday.
    assert open_deadlines(clerk, no) == {"acceptance": when("2026-10-08T23:59:59+08:00")}
    clock("2026-09-30T16:10:00+08:00")
    step(clerk, no, "accept", "response")
    # Level II (factor 0.5):
    # urgent_handling: 2 h → 1 h from receipt (16:00) -> 17:00, warned at half, 16:30;
    # outage_handling: 24 h → 12 h from receipt -> Oct 1 04:00;
    # dispatch: 1 working day → 0.5 → 1, from Sep 30 -> Oct 8;
    # handling: 7 working days → 3.5 → 4, from acceptance: Oct 8, 9, 10 (Sat), 12.
    assert open_deadlines(clerk, no) == {
        "urgent_handling": when("2026-09-30T17:00:00+08:00"),
        "outage_handling": when("2026-10-01T04:00:00+08:00"),
        "dispatch": when("2026-10-08T23:59:59+08:00"),
        "handling": when("2026-10-12T23:59:59+08:00"),
    }
    assert row(no, "urgent_handling").warn_at == when("2026-09-30T16:30:00+08:00")
    # The HQ starts the emergency response and dispatches the on-site group.
    assert keys(leader, no) == ["set_level", "activate", "dispatch"]
    assert act(clerk, no, "activate").status_code == 403
    assert step(leader, no, "activate", "response")["emergency_marked"] is True
    assert act(leader, no, "activate").status_code == 409
    dispatch(leader, no)
    # The working groups: logistics supports, the on-site group surveys and reports.
    logistics = people["logistics"]
    assert keys(logistics, no) == ["logistics_support"]
    step(logistics, no, "logistics_support", "on_site", report="调拨应急抢修车2辆")
    step(investigator, no, "survey", "on_site", findings="3号楼一单元燃气立管接口泄漏")
    step(investigator, no, "site_report", "on_site", report="已疏散住户，关闭总阀")
    assert act(investigator, no, "propose", opinion="x").status_code == 409
    # Under level II the urgent limit is 17:00 (1 h): the HQ and the groups act within it.
    clock("2026-09-30T16:25:00+08:00")
    data = step(investigator, no, "propose_to_hq", "hq_review", opinion="更换立管接口并全楼检测")
    assert data["status"] == "awaiting_approval"
    # hq_review: 1 working day → 0.5 → 1, from Sep 30 -> Oct 8.
    assert open_deadlines(clerk, no)["hq_review"] == when("2026-10-08T23:59:59+08:00")
    assert keys(leader, no) == ["approve", "send_back"]
    assert act(investigator, no, "approve").status_code == 403
    step(leader, no, "approve", "implementation")
    assert keys(handler, no) == ["execute_and_release"]
    clock("2026-09-30T16:40:00+08:00")
    step(handler, no, "execute_and_release", "release", measure="repair", result="已更换接口")
    # release: level II: 24 h → 12 h from entering the stage at 16:40.
    assert open_deadlines(clerk, no)["release"] == when("2026-10-01T04:40:00+08:00")
    # The publicity group drafts; the HQ reviews and releases (审定并对外发布).
    press = people["press"]
    assert keys(press, no) == ["draft_release"]
    assert keys(handler, no) == []
    step(press, no, "draft_release", "release", report="建设路燃气泄漏处置情况通报（稿）")
    assert act(press, no, "publish_release", report="x").status_code == 403
    assert keys(leader, no) == ["publish_release"]
    step(leader, no, "publish_release", "feedback", report="建设路燃气泄漏已处置完毕，无人员伤亡")
    clock("2026-09-30T16:50:00+08:00")
    step(handler, no, "reply", "aftercare", reply="燃气泄漏已处置，经检测全楼安全。")
    urgent = row(no, "urgent_handling")
    assert urgent.closed_reason == "reply" and urgent.closed_at <= urgent.due_at
    # aftercare: level II: 5 working days → 2.5 → 3, from Sep 30: Oct 8, 9, 10 (Sat).
    assert open_deadlines(clerk, no) == {"aftercare": when("2026-10-10T23:59:59+08:00")}
    step(supervisor, no, "accountability", "aftercare", report="燃气公司巡检不到位，已约谈")
    data = step(supervisor, no, "close", "closed")
    assert data["emergency_marked"] is True
    # follow_up (never scaled): 1 working day after closure on Sep 30 -> Thu Oct 8.
    assert open_deadlines(clerk, no) == {"follow_up": when("2026-10-08T23:59:59+08:00")}


def test_the_hq_raises_the_level_across_the_spring_festival(people, clock):
    """Received Fri Feb 13, 2026 (holiday Feb 15-23; Sat Feb 14 and Sat Feb 28 worked)."""
    clerk, leader = people["clerk"], people["leader"]
    clock("2026-02-13T10:05:00+08:00")
    water = {"title": "小区停水未提前通知", "category": "utilities"}
    no = register(clerk, **water, received_at="2026-02-13T10:00:00+08:00")
    # acceptance: 1 working day from Fri Feb 13 -> Sat Feb 14, a make-up working day.
    assert open_deadlines(clerk, no) == {"acceptance": when("2026-02-14T23:59:59+08:00")}
    clock("2026-02-13T10:30:00+08:00")
    step(clerk, no, "accept", "response")
    # outage: receipt + 24 h; dispatch: Sat Feb 14; handling, 7 working days: Feb 14 (1),
    # Feb 24-27 (2-5), Sat Feb 28 (6), Mon Mar 2 (7).
    assert open_deadlines(clerk, no) == {
        "outage_handling": when("2026-02-14T10:00:00+08:00"),
        "dispatch": when("2026-02-14T23:59:59+08:00"),
        "handling": when("2026-03-02T23:59:59+08:00"),
    }
    # Warned at 80 % of the wall time: Feb 13 10:30 + 0.8 x (17 d 13:29:59) = Feb 27 11:41:59.
    assert row(no, "handling").warn_at == when("2026-02-27T11:41:59+08:00")
    assert keys(leader, no) == ["set_level", "dispatch"]
    clock("2026-02-13T10:40:00+08:00")
    step(leader, no, "set_level", "response", severity="urgent")
    # Now urgent: the `urgent` trigger opens an incident at level II (重大, factor 0.5). The
    # 2-hour limit opens, 2 h → 1 h counted from receipt (10:00 -> 11:00), and the running
    # limits are recomputed from their start: outage 24 h → 12 h from receipt (10:00 ->
    # 22:00); dispatch 1 working day → 0.5 → 1 (Sat Feb 14); handling 7 working days →
    # 3.5 → 4 from acceptance: Feb 14 (1), Feb 24-26 (2-4).
    assert open_deadlines(clerk, no) == {
        "urgent_handling": when("2026-02-13T11:00:00+08:00"),
        "outage_handling": when("2026-02-13T22:00:00+08:00"),
        "dispatch": when("2026-02-14T23:59:59+08:00"),
        "handling": when("2026-02-26T23:59:59+08:00"),
    }
    # Warned again at 80 %: Feb 13 10:30 + 0.8 x (13 d 13:29:59) = Feb 24 06:53:59.
    assert row(no, "handling").warn_at == when("2026-02-24T06:53:59+08:00")
    assert keys(leader, no) == ["set_level", "activate", "dispatch"]
    assert step(leader, no, "activate", "response")["emergency_marked"] is True


def test_a_dissatisfied_follow_up_reopens_the_case_for_redo(people):
    clerk, leader = people["clerk"], people["leader"]
    no = register(clerk)
    step(clerk, no, "accept", "response")
    dispatch(clerk, no)
    ordinary_round(people, no)
    step(leader, no, "close", "closed")
    assert fields(act(clerk, no, "follow_up", reached=True)) == ["satisfaction"]
    data = step(clerk, no, "follow_up", "redo", reached=True, satisfaction="dissatisfied")
    assert data["status"] == "investigating" and data["satisfaction"] == "dissatisfied"
    assert set(open_deadlines(clerk, no)) == {"redo_handling"}
    assert keys(leader, no) == ["redispatch"]
    dispatch(leader, no, "redispatch")
    assert set(open_deadlines(clerk, no)) == {"redo_handling"}
    ordinary_round(people, no)
    assert row(no, "redo_handling").closed_reason == "reply"
    step(leader, no, "close", "closed")
    step(clerk, no, "follow_up", "closed", reached=True, satisfaction="satisfied")
    assert not Deadline.objects.filter(complaint__tracking_no=no, closed_at=None).exists()


def test_closing_schedules_the_follow_up_visit(people, clock):
    clerk = people["clerk"]
    clock("2026-10-09T09:00:00+08:00")
    no = register(clerk)
    step(clerk, no, "accept", "response")
    dispatch(clerk, no)
    ordinary_round(people, no)
    clock("2026-10-09T10:00:00+08:00")
    data = step(people["leader"], no, "close", "closed")
    # 1 working day after closure on Fri Oct 9 -> Sat Oct 10, a make-up working day.
    due = {d["key"]: when(d["due_at"]) for d in data["deadlines"]}
    assert due == {"follow_up": when("2026-10-10T23:59:59+08:00")}
    clock("2026-10-10T11:00:00+08:00")
    step(clerk, no, "follow_up", "closed", reached=False)
    visit = row(no, "follow_up")
    assert visit.closed_reason == "follow_up" and visit.closed_at <= visit.due_at


def test_bad_paths(people):
    clerk, leader = people["clerk"], people["leader"]
    no = register(clerk)
    response = act(clerk, no, "reply", reply="已办理")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert (
        "报告与接收" in detail and "受理并启动应急响应" in detail and "不予受理并告知途径" in detail
    )
    assert "redirect" not in detail
    assert fields(act(clerk, no, "redirect")) == ["reason"]
    assert fields(act(clerk, no, "verify")) == ["findings"]
    step(clerk, no, "accept", "response")
    assert act(leader, no, "activate").status_code == 409  # an ordinary matter
    assert fields(act(leader, no, "dispatch")) == ["department", "slip"]
    assert fields(act(leader, no, "dispatch", department="nowhere", slip="派单")) == ["department"]
    dispatch(leader, no)
    assert act(people["investigator"], no, "propose_to_hq", opinion="x").status_code == 409
    assert fields(act(people["investigator"], no, "propose")) == ["opinion"]
    assert clerk.get(f"/api/v1/complaints/{no}").json()["stage"] == "on_site"
