"""Scenario: the training school's plan (``school``) worked through the API.

Demo people (school.demo.yaml): clerk/mediator/office_head = 行政部 (投诉专员, 协商专员,
负责人); reception/investigator/recorder/handler/head = 东湖校区 (前台, 调查员, 记录员,
承办人, 校区主管); teaching_head/teaching_handler = 教学部; leader/regional = 总经理,
区域经理. Times written "+08:00" are Beijing time; ``clock`` makes the people act then.
"""

from pathlib import Path

import pytest
import yaml
from django.test import Client

from tousu.assessment.models import PenaltyEntry
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.plans.tests.scenario import (
    act,
    api,
    at,
    clock,
    keys,
    labels,
    open_kinds,
    registrar,
    row,
    seen_by,
    step,
)

pytestmark = pytest.mark.django_db

NATIONAL_DAY_EVE = "2026-09-30T16:00:00+08:00"
SPRING_FESTIVAL_EVE = "2026-02-13T10:00:00+08:00"
TEMPLATE = Path(__file__).parents[1] / "templates_yaml" / "school.yaml"

register = registrar(
    {
        "channel": "phone",
        "title": "数学老师本月第二次迟到二十分钟",
        "description": "初二数学提高班任课老师迟到约二十分钟，耽误的课时没有补上。",
        "category": "teacher_attendance",
        "complainant": {"name": "李女士", "phone": "13807150000"},
    }
)


def people(users, *names) -> list[Client]:
    return [api(users[name]) for name in names]


def left_open(no) -> set[str]:
    """Open deadlines of the plan's stages (a follow-up after closure is meant to stay)."""
    stages = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))["stages"].values()
    return open_kinds(no) & {rule["key"] for stage in stages for rule in stage.get("deadlines", [])}


def penalties(no: str) -> list[tuple]:
    return [
        (e.rule, e.person.username, int(e.amount), e.performance)
        for e in PenaltyEntry.objects.filter(complaint__tracking_no=no).order_by("pk")
    ]


def test_campus_complaint_goes_with_the_slip_to_coordination_until_satisfied(db):
    u = demo_organisation_create("school")
    reception, investigator, recorder, teacher, teaching_head = people(
        u, "reception", "investigator", "recorder", "teaching_handler", "teaching_head"
    )
    no = register(reception, nature="problem", channel="walk_in")
    detail = reception.get(f"/api/v1/complaints/{no}").json()
    assert (detail["stage"], detail["status"]) == ("intake", "registered")
    assert detail["department"]["code"] == "campus_donghu"
    assert open_kinds(no) == {"slip_investigation", "transfer_slip"}
    # The campus' front desk and investigator record the investigation for the slip, and so
    # may 行政部's 投诉专员 (the plan names admin_clerk too); nobody else.
    assert seen_by(u, no, "slip_findings") == {"reception", "investigator", "clerk"}
    step(investigator, no, "slip_findings", "slip", findings="考勤记录：本月两次迟到")
    assert open_kinds(no) == {"transfer_slip"}  # the slip's 2 days run on in this stage
    assert act(recorder, no, "transfer", department="teaching", slip="接收单").status_code == 403
    slip = {
        "department": "teaching",
        "slip": "迟到两次，附考勤截图",
        "assignee": "teaching_handler",
    }
    moved = step(reception, no, "transfer", "coordination", **slip)
    assert moved["department"]["code"] == "teaching" and moved["status"] == "investigating"
    assert row(no, "transfer_slip").closed_reason == "transfer"
    assert open_kinds(no) == {"coordination_day1", "coordination_day3", "coordination_limit"}
    step(teacher, no, "coordination_findings", "coordination", findings="老师交通原因迟到")
    step(teacher, no, "coordination_result", "campus_reply", report="补足两课时并更换上课时段")
    step(teacher, no, "reply_plan", "campus_execution", reply="本周六补课两课时。")
    assert "execute_solution" not in keys(teacher, no)  # a problem names who is at fault
    fault = {"complained_person": "teaching_handler", "items": 1}
    step(
        teacher,
        no,
        "execute_solution_problem",
        "feedback",
        **fault,
        measure="rectify",
        result="已补课",
    )
    # 问题型投诉: the teacher's month at zero and 100 yuan for the one item; her direct
    # superior's management performance at zero.
    assert penalties(no) == [
        ("problem_person_campus", "teaching_handler", 100, "zero"),
        ("problem_superior_campus", "teaching_head", 0, "management_zero"),
    ]
    assert "satisfaction" not in keys(teacher, no)
    assert act(teacher, no, "satisfaction", satisfaction="satisfied").status_code == 403
    step(reception, no, "satisfaction", "review", satisfaction="dissatisfied")
    assert open_kinds(no) == {"review_due"}
    # Dissatisfied: coordination again, with a fresh 1/3/7-day ladder.
    step(teaching_head, no, "reopen_campus", "coordination")
    assert Deadline.objects.filter(complaint__tracking_no=no, kind="coordination_day1").count() == 2
    step(teacher, no, "coordination_result", "campus_reply", report="固定由该老师授课")
    step(teacher, no, "reply_plan", "campus_execution", reply="补课并固定授课老师。")
    step(
        teacher,
        no,
        "execute_solution_problem",
        "feedback",
        **fault,
        measure="rectify",
        result="已落实",
    )
    assert len(penalties(no)) == 2  # once per complaint, however often it is carried out
    closed = step(reception, no, "satisfaction", "closed", satisfaction="satisfied")
    assert closed["status"] == "closed" and not left_open(no)
    campus = [
        "形成协调处理方案",
        "向家长反馈处理方案",
        "实施解决并认定被投诉人（问题型：当月绩效为0，每项内容不低于100元）",
        "记录家长满意度",
    ]
    assert labels(reception, no) == [
        "需其他部门协调：投诉调查（数据汇总、现场照片、实物收集）",
        "填写投诉接收单（附调查材料），转交协调处理",
        "补充调查",
        *campus,
        "重新协调处理",
        *campus,
    ]


def test_suggestion_across_national_day(db):
    u = demo_organisation_create("school")
    clerk, teacher, gm = api(u["clerk"]), api(u["teaching_handler"]), api(u["leader"])
    with clock("2026-09-30T16:05:00+08:00"):
        no = register(clerk, nature="suggestion", received_at=NATIONAL_DAY_EVE)
    # 24 h from receipt, holidays or not: 09-30 16:00 + 24 h.
    assert row(no, "suggestion_forward").due_at == at("2026-10-01T16:00:00+08:00")
    assert row(no, "slip_investigation").due_at == at("2026-10-01T16:00:00+08:00")
    # 2 calendar days, 09-30 not counted: 10-01, 10-02; 10-02 is a holiday, so the end moves
    # to the next working day, Thu 10-08 (10-01..10-07 国庆).
    assert row(no, "transfer_slip").due_at == at("2026-10-08T23:59:59+08:00")
    assert {"forward_suggestion"} == {k for k in keys(clerk, no) if k.startswith("forward_")}
    with clock("2026-09-30T17:00:00+08:00"):
        slip = {"department": "teaching", "slip": "建议当堂练习", "assignee": "teaching_handler"}
        step(clerk, no, "forward_suggestion", "suggestion_report", **slip)
    assert row(no, "suggestion_forward").closed_at == at("2026-09-30T17:00:00+08:00")
    assert row(no, "transfer_slip").closed_reason == "forward_suggestion"
    # 5 working days after 09-30: 10-08, 10-09, Sat 10-10 (调休 working day), 10-12, 10-13.
    assert row(no, "suggestion_report").due_at == at("2026-10-13T23:59:59+08:00")
    with clock("2026-10-08T10:00:00+08:00"):
        wrong = act(teacher, no, "adopt_suggestion", measure="refund", amount="100", result="x")
        assert [e["field"] for e in wrong.json()["errors"]] == ["measure"]
        adopted = {"measure": "rectify", "result": "每节课留十五分钟练习，当面致谢"}
        step(teacher, no, "adopt_suggestion", "suggestion_report", **adopted)
    with clock("2026-10-09T10:00:00+08:00"):
        step(teacher, no, "suggestion_dept_report", "suggestion_review", report="已采纳")
    # 2 working days after 10-09: Sat 10-10 (调休), Mon 10-12.
    assert row(no, "suggestion_review").due_at == at("2026-10-12T23:59:59+08:00")
    with clock("2026-10-10T09:00:00+08:00"):
        step(clerk, no, "admin_review", "suggestion_gm", opinion="建议可行，已落实")
        step(gm, no, "send_back_suggestion", "suggestion_gm", note="补充家长反馈")
        assert act(gm, no, "approve_suggestion").status_code == 409  # nothing to approve
        step(clerk, no, "revise_suggestion", "suggestion_gm", opinion="已落实，家长认可")
        step(gm, no, "approve_suggestion", "reply")
    # 1 working day after Sat 10-10 (itself a working day): Mon 10-12.
    assert row(no, "reply_due").due_at == at("2026-10-12T23:59:59+08:00")
    step(clerk, no, "reply", "feedback", reply="感谢您的建议，已在作文课落实。")
    assert step(clerk, no, "satisfaction", "closed", satisfaction="satisfied")["status"] == "closed"
    assert not left_open(no)


def test_problem_across_spring_festival(db):
    u = demo_organisation_create("school")
    clerk, head, handler, gm = api(u["clerk"]), api(u["head"]), api(u["handler"]), api(u["leader"])
    with clock("2026-02-13T10:05:00+08:00"):
        no = register(clerk, nature="problem", received_at=SPRING_FESTIVAL_EVE)
    # 2 calendar days after Fri 02-13: Sat 02-14, Sun 02-15; 02-15 is in 春节 (02-15..02-23),
    # so the end moves to the next working day, Tue 02-24.
    assert row(no, "transfer_slip").due_at == at("2026-02-24T23:59:59+08:00")
    assert row(no, "slip_investigation").due_at == at("2026-02-14T10:00:00+08:00")
    assert "suggestion_forward" not in open_kinds(no)
    with clock("2026-02-13T11:00:00+08:00"):
        step(clerk, no, "forward_problem", "interview", department="campus_donghu", slip="补课")
    # 5 working days after 02-13: Sat 02-14 (调休), 02-24, 02-25, 02-26, 02-27.
    assert row(no, "problem_agreement").due_at == at("2026-02-27T23:59:59+08:00")
    assert "propose_opinion" not in keys(head, no)  # not before the interview
    with clock("2026-02-14T09:30:00+08:00"):
        step(clerk, no, "interview", "problem_opinion", findings="已道歉；家长要求补两课时")
    # 24 hours after the interview.
    assert row(no, "problem_opinion").due_at == at("2026-02-15T09:30:00+08:00")
    with clock("2026-02-14T11:00:00+08:00"):
        step(head, no, "propose_opinion", "opinion_approval", opinion="补课两课时，扣老师绩效")
        assert act(head, no, "approve_opinion").status_code == 403  # the GM approves
    assert row(no, "problem_opinion").closed_at == at("2026-02-14T11:00:00+08:00")
    with clock("2026-02-14T15:00:00+08:00"):
        step(gm, no, "approve_opinion", "agreement")
        step(clerk, no, "negotiation", "agreement", findings="家长同意补课方案")
        step(head, no, "propose_final", "final_approval", opinion="周六补课两课时")
    assert row(no, "problem_agreement").closed_reason == "propose_final"
    with clock("2026-02-14T16:00:00+08:00"):
        step(gm, no, "approve_final", "problem_execution")
    # 2 working days after the approval on Sat 02-14: 02-24, 02-25.
    assert row(no, "problem_execution").due_at == at("2026-02-25T23:59:59+08:00")
    with clock("2026-02-25T09:00:00+08:00"):
        step(handler, no, "execute_final", "problem_execution", measure="rectify", result="已补课")
        assert act(head, no, "report_result", report="已执行").status_code == 422
        fault = {"complained_person": "handler", "items": 2}
        step(head, no, "report_result", "reply", report="已执行；处罚已落实", **fault)
    # Two items upheld: 2 × 100 yuan and the month at zero for the person complained
    # about; the management performance of their direct superior (the campus head) at zero.
    assert penalties(no) == [
        ("problem_person", "handler", 200, "zero"),
        ("problem_superior", "head", 0, "management_zero"),
    ]
    execution = row(no, "problem_execution")
    assert execution.closed_at <= execution.due_at
    assert open_kinds(no) == {"reply_due"}


def test_malicious_across_national_day(db):
    u = demo_organisation_create("school")
    clerk, office_head = api(u["clerk"]), api(u["office_head"])
    head, gm = api(u["head"]), api(u["leader"])
    with clock("2026-09-30T16:05:00+08:00"):
        no = register(clerk, nature="malicious", received_at=NATIONAL_DAY_EVE)
    assert "forward_malicious" not in keys(api(u["mediator"]), no)
    with clock("2026-09-30T18:00:00+08:00"):
        slip = {"department": "campus_donghu", "slip": "扬言发帖，要求全额退费并赔偿"}
        step(office_head, no, "forward_malicious", "malicious_opinion", **slip)
    # 24 hours from entering the path; 5 working days after 09-30: 10-08, 10-09, Sat 10-10
    # (调休), 10-12, 10-13.
    assert row(no, "malicious_opinion").due_at == at("2026-10-01T18:00:00+08:00")
    assert row(no, "malicious_visit").due_at == at("2026-10-13T23:59:59+08:00")
    with clock("2026-10-01T11:00:00+08:00"):
        step(clerk, no, "malicious_talk", "malicious_opinion", findings="已约谈，保持联系")
        step(head, no, "malicious_propose", "malicious_gm", opinion="按合同退未上课时费用")
        step(gm, no, "approve_malicious", "malicious_visit")
    assert open_kinds(no) == {"malicious_visit"}  # runs on across the GM's review
    with clock("2026-10-09T15:00:00+08:00"):
        step(head, no, "visit", "malicious_result", findings="登门说明，家长接受退费方案")
    assert row(no, "malicious_visit").closed_reason == "visit"
    # 2 working days after the visit on 10-09: Sat 10-10 (调休), Mon 10-12.
    assert row(no, "malicious_result").due_at == at("2026-10-12T23:59:59+08:00")
    with clock("2026-10-10T10:00:00+08:00"):
        step(head, no, "malicious_report", "reply", report="处理结果和应对方案")
        step(clerk, no, "reply", "feedback", reply="已按合同办理退费。")
        closed = step(head, no, "close_unrated", "closed", note="家长未评价")
    assert closed["status"] == "closed" and not left_open(no)


def test_wrong_stage_is_409_and_missing_data_is_422(db):
    u = demo_organisation_create("school")
    clerk = api(u["clerk"])
    no = register(clerk, nature="problem")
    early = act(clerk, no, "interview", findings="x")
    assert early.status_code == 409
    assert (
        "接收投诉" in early.json()["detail"]
        and "登记并会同被投诉部门约见" in early.json()["detail"]
    )
    # A path of another nature is not possible either.
    assert act(clerk, no, "forward_suggestion", department="teaching", slip="x").status_code == 409
    no_slip = act(clerk, no, "forward_problem", department="campus_donghu")
    assert no_slip.status_code == 422
    assert [e["field"] for e in no_slip.json()["errors"]] == ["slip"]
    no_reply = act(clerk, no, "answer_directly")
    assert [e["field"] for e in no_reply.json()["errors"]] == ["reply"]
    assert api(u["mediator"]).get(f"/api/v1/complaints/{no}").json()["version"] == 1


def test_office_head_turns_a_failed_interview_into_a_malicious_complaint(db):
    u = demo_organisation_create("school")
    clerk, office_head = api(u["clerk"]), api(u["office_head"])
    no = register(clerk, nature="problem")
    step(clerk, no, "forward_problem", "interview", department="campus_donghu", slip="家长要求补课")
    # Forwarded to the campus, the case stays in sight of 行政部, who interview the parent.
    assert "interview" in keys(api(u["mediator"]), no)
    assert seen_by(u, no, "interview_to_malicious") == {"office_head"}
    failed = {"nature": "malicious", "note": "面谈失败，家长扬言闹事"}
    assert act(api(u["head"]), no, "interview_to_malicious", **failed).status_code == 403
    # 教学部 has no part in the interview and still does not see the case.
    assert api(u["teaching_head"]).get(f"/api/v1/complaints/{no}").status_code == 404
    step(office_head, no, "interview_to_malicious", "malicious_opinion", **failed)
    assert open_kinds(no) == {"malicious_opinion", "malicious_visit"}


def test_an_answer_on_the_spot_closes_and_schedules_the_follow_up_visit(db):
    u = demo_organisation_create("school")
    reception = api(u["reception"])
    with clock("2026-09-30T16:30:00+08:00"):
        no = register(reception, nature="problem", channel="walk_in", received_at=NATIONAL_DAY_EVE)
        step(reception, no, "answer_directly", "feedback", reply="当场说明调课安排")
        step(reception, no, "satisfaction", "closed", satisfaction="satisfied")
    assert open_kinds(no) == {"follow_up"}  # the 24 h and 2-day intake periods closed
    # follow_up.after: 3 working days after closing on 09-30: 10-08, 10-09, Sat 10-10 (调休).
    assert row(no, "follow_up").due_at == at("2026-10-10T23:59:59+08:00")
    # The front desk or 行政部's 投诉专员 records the visit; the campus head does not.
    assert seen_by(u, no, "follow_up") == {"reception", "clerk"}
    assert act(api(u["head"]), no, "follow_up", reached=True).status_code == 403
    assert [e["field"] for e in act(reception, no, "follow_up").json()["errors"]] == ["reached"]
    with clock("2026-10-09T10:00:00+08:00"):
        step(reception, no, "follow_up", "closed", reached=True, satisfaction="satisfied")
    assert row(no, "follow_up").closed_at == at("2026-10-09T10:00:00+08:00")
    assert open_kinds(no) == set()


def test_a_dissatisfied_follow_up_visit_sends_the_case_to_review(db):
    u = demo_organisation_create("school")
    reception = api(u["reception"])
    no = register(reception, nature="problem", channel="walk_in")
    step(reception, no, "answer_directly", "feedback", reply="当场说明调课安排")
    step(reception, no, "satisfaction", "closed", satisfaction="satisfied")
    assert open_kinds(no) == {"follow_up"}
    reopened = step(reception, no, "follow_up", "review", reached=True, satisfaction="dissatisfied")
    assert reopened["satisfaction"] == "dissatisfied"
    assert open_kinds(no) == {"review_due"}  # the visit is recorded; the review runs
