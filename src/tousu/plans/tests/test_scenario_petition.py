"""Scenario: the 信访 plan (``petition``) worked through the API by a county 信访局.

Demo people (petition.demo.yaml): clerk = 信访接待室接待员, recorder = 办公室工作人员,
leader/deputy = 领导小组组长/副组长, skip_head/skip_officer = 越级访工作组,
group_head/group_officer = 集访工作组, head/handler = 县人社局 (有权处理单位),
housing_*/town_* = other units, reviewer = 上一级机关 (复查/复核).
"""

import re

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
        "channel": "walk_in",
        "title": "信访事项",
        "description": "来访反映的问题，接待员如实记录。",
        "severity": "ordinary",
        "department": "office",  # the 办公室 registers and routes 来信来访
        "complainant": {"name": "张卫东", "phone": "13912345678"},
    }
)


@pytest.fixture
def p(db):
    return clients("petition")


def move(client, no, action, stage, department):
    """A transfer action (转送/交办/移交) with its slip (投诉接收单)."""
    return step(client, no, action, stage, department=department, slip=f"移交{department}，附材料")


def to_evaluation(p, no):
    step(p["clerk"], no, "accept", "routing")
    move(p["recorder"], no, "forward", "unit_acceptance", "hrss")
    step(p["head"], no, "sign_for", "handling", assignee="handler")
    step(p["handler"], no, "propose_opinion", "approval", opinion="支持：责令限期支付工资")
    step(p["head"], no, "approve", "answer")
    step(p["handler"], no, "issue_opinion", "evaluation", reply="已责令公司十日内支付。")


def test_a_regular_petition_is_forwarded_handled_and_closed(p):
    clerk, recorder, head, handler = p["clerk"], p["recorder"], p["head"], p["handler"]
    no = register(clerk, category="claim")
    assert clerk.get(f"/api/v1/complaints/{no}").json()["status"] == "registered"
    assert keys(clerk, no) == ["classify", "accept", "refuse"]
    assert keys(p["leader"], no) == []  # the leadership group does not register
    assert act(p["leader"], no, "accept").status_code == 403
    assert open_kinds(no) == {"acceptance_notice"}

    data = step(clerk, no, "accept", "routing")
    assert data["status"] == "assigned"
    assert open_kinds(no) == {"routing", "handling_total"}
    assert keys(recorder, no) == ["report_upward", "forward", "assign_down"]
    assert keys(p["leader"], no) == ["report_upward", "activate"]  # no meeting: ordinary

    data = move(recorder, no, "forward", "unit_acceptance", "hrss")
    assert data["department"]["code"] == "hrss"
    assert open_kinds(no) == {"handling_total", "objection_window"}
    # The 办公室 forwarded it: it keeps sight of the petition, with nothing to do there.
    assert keys(recorder, no) == []
    assert keys(head, no) == ["sign_for", "object_assignment"]
    assert keys(handler, no) == []
    assert act(handler, no, "sign_for", assignee="handler").status_code == 403

    step(head, no, "sign_for", "handling", assignee="handler")
    assert "propose_opinion" in keys(handler, no)
    step(handler, no, "findings", "handling", findings="公司确欠8名工人工资")
    data = step(handler, no, "propose_opinion", "approval", opinion="支持：责令限期支付")
    assert data["status"] == "awaiting_approval"
    assert act(handler, no, "approve").status_code == 403  # the unit's leader approves
    assert step(head, no, "approve", "answer")["status"] == "executing"
    step(handler, no, "implement", "answer", measure="explain", result="已约谈公司负责人")
    data = step(handler, no, "issue_opinion", "evaluation", reply="已责令公司十日内支付。")
    assert data["status"] == "replied"
    assert open_kinds(no) == {"review_request"}  # handling_total closed on the opinion

    data = step(clerk, no, "rate", "closed", satisfaction="satisfied")
    assert data["status"] == "closed"
    assert open_kinds(no) == set()
    assert labels(clerk, no) == [
        "受理登记",
        "转送有权处理单位",
        "签收并指定承办人",
        "调查核实",
        "拟定信访处理意见书（支持、解释或不予支持，并载明依据）",
        "审核同意",
        "落实处理意见",
        "出具信访处理意见书并书面答复信访人",
        "记录信访人评价",
    ]


def test_a_collective_visit_goes_to_the_collective_working_group(p):
    clerk, recorder, officer, lead = p["clerk"], p["recorder"], p["group_officer"], p["group_head"]
    no = register(clerk, category="collective_visit", severity="major")
    step(clerk, no, "accept", "routing")
    assert keys(recorder, no) == ["report_upward", "to_collective_group"]
    assert "emergency_meeting" in keys(p["leader"], no)  # major: the group may meet
    assert act(recorder, no, "forward", department="hrss", slip="x").status_code == 409
    data = move(recorder, no, "to_collective_group", "collective_response", "collective")
    assert data["status"] == "investigating"
    assert open_kinds(no) == {
        "handling_total",
        "collective_report",
        "collective_on_site",
        "collective_handover",
    }
    # Only the collective group (and the leaders) work it; the skip-level group cannot see it.
    assert keys(officer, no) == ["representatives", "collective_report", "hand_to_unit"]
    assert keys(p["leader"], no) == ["on_site", "police_support", "emergency_meeting", "activate"]
    assert p["skip_officer"].get(f"/api/v1/complaints/{no}/actions").status_code == 404
    assert act(officer, no, "on_site", findings="x").status_code == 403

    step(officer, no, "representatives", "collective_response", findings="代表5人已登记")
    step(officer, no, "collective_report", "collective_response", report="已报县委县政府")
    step(p["leader"], no, "on_site", "collective_response", findings="组长到场解释政策")
    assert open_kinds(no) == {"handling_total", "collective_handover"}
    assert step(p["leader"], no, "activate", "collective_response")["emergency_marked"]
    data = move(lead, no, "hand_to_unit", "unit_acceptance", "housing")
    assert data["department"]["code"] == "housing"
    step(p["housing_head"], no, "sign_for", "handling", assignee="housing_handler")
    assert "propose_opinion" in keys(p["housing_handler"], no)
    assert labels(clerk, no)[1:5] == [
        "移交处理集访工作组",
        "引导推选代表并登记（代表不超过5人，信访工作条例第20条）",
        "上报集访信息",
        "领导赴现场接待，做好政策解释和劝阻工作",
    ]


def test_a_skip_level_visit_goes_to_the_skip_level_working_group(p):
    clerk, recorder, officer = p["clerk"], p["recorder"], p["skip_officer"]
    no = register(clerk, category="skip_level", severity="urgent")
    assert open_kinds(no) == {"acceptance_notice"}
    step(clerk, no, "accept", "routing")
    assert open_kinds(no) == {"routing", "handling_total", "upward_report"}
    assert keys(recorder, no) == ["report_upward", "to_skip_level_group"]
    wrong = act(recorder, no, "to_collective_group", department="collective", slip="x")
    assert wrong.status_code == 409
    move(recorder, no, "to_skip_level_group", "skip_level_response", "skip_level")
    assert keys(officer, no) == ["skip_level_report", "persuade_return", "hand_to_unit"]
    assert p["group_officer"].get(f"/api/v1/complaints/{no}").status_code == 404
    step(officer, no, "skip_level_report", "skip_level_response", report="已上报越级访信息")
    # One report meets both the group's 2-hour limit and the urgent 上报 limit.
    met = Deadline.objects.filter(complaint__tracking_no=no, closed_reason="skip_level_report")
    assert {row.kind for row in met} == {"skip_level_report", "upward_report"}
    step(officer, no, "persuade_return", "skip_level_response", findings="已接回并劝返")
    move(p["skip_head"], no, "hand_to_unit", "unit_acceptance", "qingshi_town")
    step(p["town_head"], no, "sign_for", "handling", assignee="town_handler")
    assert open_kinds(no) == {"handling_total"}


def test_review_then_re_review_then_no_third_round(p):
    clerk, reviewer = p["clerk"], p["reviewer"]
    no = register(clerk, category="claim")
    to_evaluation(p, no)
    step(clerk, no, "rate", "evaluation", satisfaction="dissatisfied")
    assert keys(clerk, no) == ["rate", "request_review"]
    step(clerk, no, "request_review", "review", reason="认为补发金额计算有误")
    assert open_kinds(no) == {"review_decision"}
    assert keys(clerk, no) == []  # 复查 belongs to the body one level up
    step(reviewer, no, "review_findings", "review", findings="复查核实")
    step(reviewer, no, "review_reply", "re_review_window", reply="维持原处理意见")
    assert open_kinds(no) == {"re_review_request"}
    step(reviewer, no, "request_re_review", "re_review", reason="仍不服")
    step(reviewer, no, "hearing", "re_review", reason="当事人申请听证")
    step(reviewer, no, "hearing_held", "re_review", note="听证结束")
    assert open_kinds(no) == {"re_review_decision"}
    step(reviewer, no, "re_review_reply", "closed", reply="复核维持，信访事项终结")
    assert open_kinds(no) == set()
    timeline = clerk.get(f"/api/v1/complaints/{no}/timeline").json()
    assert [e["data"]["round"] for e in timeline if "round" in e["data"]] == [1, 2]
    third = act(clerk, no, "request_review", reason="第三次")
    assert third.status_code == 409
    # The 409 names only what the caller may still do: nothing for the 接待员 ...
    assert "办结" in third.json()["detail"] and "（此阶段可执行：—）" in third.json()["detail"]
    # ... while the 办公室 is offered the archiving.
    office = act(p["recorder"], no, "request_review", reason="第三次")
    assert office.status_code == 409
    assert (
        "办结" in office.json()["detail"]
        and "（此阶段可执行：立卷归档）" in office.json()["detail"]
    )


def test_bad_paths_are_409_with_the_reason_and_422_naming_the_field(p):
    clerk, recorder = p["clerk"], p["recorder"]
    no = register(clerk, category="claim")
    early = act(recorder, no, "forward", department="hrss", slip="x")
    assert early.status_code == 409
    assert "接待登记" in early.json()["detail"] and "受理登记" in early.json()["detail"]
    refused = act(clerk, no, "refuse")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    step(clerk, no, "accept", "routing")
    meeting = act(p["leader"], no, "emergency_meeting", owner="leader", agenda="x")
    assert meeting.status_code == 409  # only for major and urgent petitions
    empty = act(recorder, no, "assign_down")
    assert empty.status_code == 422
    assert sorted(e["field"] for e in empty.json()["errors"]) == ["department", "note", "slip"]
    move(recorder, no, "forward", "unit_acceptance", "hrss")
    nobody = act(p["head"], no, "sign_for")
    assert [e["field"] for e in nobody.json()["errors"]] == ["assignee"]
    outsider = act(p["head"], no, "sign_for", assignee="town_handler")
    assert [e["field"] for e in outsider.json()["errors"]] == ["assignee"]


def test_deadlines_of_a_petition_received_before_national_day(p, clock):
    clock("2026-09-30T16:05:00+08:00")
    no = register(
        p["clerk"], category="claim", severity="urgent", received_at="2026-09-30T16:00:00+08:00"
    )
    # Registered urgent: the `serious_urgent` trigger opens an incident at level I (特别重大,
    # factor 0.25), which scales the case's deadlines, rounded up to a whole unit.
    # 15 calendar days (第23条) → 3.75 → 4 days: Sep 30 is not counted; Oct 1 = day 1 …
    # Oct 4 = day 4, inside the holiday (Oct 1–7) → next working day Thu Oct 8 (§203).
    assert due(no, "acceptance_notice") == at("2026-10-08T23:59:59+08:00")
    clock("2026-09-30T17:00:00+08:00")
    step(p["clerk"], no, "accept", "routing")
    # Level I (factor 0.25): 2 h → 0.5 h, rounded up to a whole hour: 1 h from the receipt
    # itself: 16:00 + 1 h.
    assert due(no, "upward_report") == at("2026-09-30T17:00:00+08:00")
    # 15 calendar days → 4 from receipt, as above.
    assert due(no, "routing") == at("2026-10-08T23:59:59+08:00")
    # 60 calendar days → 15 from acceptance (Sep 30): Oct 1 = day 1 … Oct 15 (Thu, a
    # working day) = day 15.
    assert due(no, "handling_total") == at("2026-10-15T23:59:59+08:00")
    clock("2026-09-30T17:30:00+08:00")
    step(p["recorder"], no, "report_upward", "routing", report="已报县委县政府")
    move(p["recorder"], no, "forward", "unit_acceptance", "hrss")
    # Level I (factor 0.25): 5 working days → 1.25 → 2 from Sep 30: Oct 1–7 holiday;
    # Oct 8 (1), Oct 9 (2).
    assert due(no, "objection_window") == at("2026-10-09T23:59:59+08:00")


def test_deadlines_across_the_spring_festival(p, clock):
    clock("2026-02-13T10:05:00+08:00")
    no = register(p["clerk"], category="claim", received_at="2026-02-13T10:00:00+08:00")
    # 15 calendar days from Fri Feb 13: Feb 14 = day 1 … Feb 28 = day 15; Sat Feb 28 is a
    # make-up working day, so it stays → 2026-02-28T23:59:59+08:00.
    assert due(no, "acceptance_notice") == at("2026-02-28T23:59:59+08:00")
    clock("2026-02-13T11:00:00+08:00")
    step(p["clerk"], no, "accept", "routing")
    # 60 calendar days from Feb 13: Feb 14–28 = days 1–15, Mar 1–31 = 16–46, Apr 1–14 =
    # 47–60; Tue Apr 14 is a working day.
    assert due(no, "handling_total") == at("2026-04-14T23:59:59+08:00")
    clock("2026-02-13T15:00:00+08:00")
    move(p["recorder"], no, "forward", "unit_acceptance", "hrss")
    # 5 working days from Fri Feb 13: Sat Feb 14 make-up (1), Feb 15–23 holiday, Feb 24
    # (2), 25 (3), 26 (4), 27 (5).
    assert due(no, "objection_window") == at("2026-02-27T23:59:59+08:00")

    clock("2026-02-05T09:05:00+08:00")
    late = register(p["clerk"], category="claim", received_at="2026-02-05T09:00:00+08:00")
    # 15 calendar days from Thu Feb 5 end on Fri Feb 20, inside the holiday (Feb 15–23):
    # moved to the next working day, Tue Feb 24 (民法典 §203).
    assert due(late, "acceptance_notice") == at("2026-02-24T23:59:59+08:00")


def test_the_office_archives_a_closed_petition(p):
    no = register(p["clerk"], category="claim")
    to_evaluation(p, no)
    step(p["clerk"], no, "rate", "closed", satisfaction="satisfied")
    # The petition sits with 县人社局, yet the 办公室 sees it while it is its to archive.
    assert p["recorder"].get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(p["recorder"], no) == ["archive"]
    assert keys(p["clerk"], no) == []
    assert act(p["clerk"], no, "archive").status_code == 403
    # A working group with no part in it still does not see it.
    assert p["skip_officer"].get(f"/api/v1/complaints/{no}").status_code == 404
    assert step(p["recorder"], no, "archive", "archived")["status"] == "archived"
    # Archived, nothing is left for the 办公室 to do; who archived it sees it read-only.
    assert p["recorder"].get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(p["recorder"], no) == []


def test_the_409_reason_names_only_actions_possible_for_this_petition(p):
    no = register(p["clerk"], category="collective_visit")
    step(p["clerk"], no, "accept", "routing")
    refused = act(p["recorder"], no, "forward", department="hrss", slip="x")
    assert refused.status_code == 409
    possible = re.search(r"此阶段可执行：(.+)）。$", refused.json()["detail"]).group(1)
    assert (
        possible == "向本级党委政府及上一级信访部门报告（重大、紧急信访事项）、移交处理集访工作组"
    )
