"""Scenario: the customer-complaint assurance plan (``assurance``) worked through the API.

Demo people (assurance.demo.yaml): clerk/handler/head = 客服部 (客服专员, 客诉专人 once
assigned, 负责人); investigator = 质量管理部, tech = 技术支持部, analyst = 市场部 (客诉分析小组);
leader = 总经理. ``clock`` makes the people act at a given Beijing time.
"""

from datetime import timedelta

import pytest

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

RECEIVED = "2026-11-02T09:15:00+08:00"  # a Monday, for the walks that do not count days

register = registrar(
    {
        "channel": "phone",
        "title": "智能门锁指纹识别经常失灵",
        "description": "指纹识别成功率明显下降，老人多次被锁在门外，软件升级后仍未改善。",
        "category": "product_function",
        "product": "安居S3智能门锁",
        "complainant": {"name": "周女士", "phone": "13607100000"},
        "received_at": RECEIVED,
    }
)


def test_a_complaint_walks_from_first_response_to_analysis_and_closure(db):
    u = demo_organisation_create("assurance")
    clerk, handler, head = api(u["clerk"]), api(u["handler"]), api(u["head"])
    no = register(clerk)
    detail = clerk.get(f"/api/v1/complaints/{no}").json()
    assert (detail["stage"], detail["status"]) == ("intake", "registered")
    # Receipt + 1 hour and receipt + 24 hours.
    assert row(no, "response_1h").due_at == at("2026-11-02T10:15:00+08:00")
    assert row(no, "initial_plan_24h").due_at == at("2026-11-03T09:15:00+08:00")
    # The 客诉专人 acts only on the complaints assigned to them.
    assert seen_by(u, no, "first_response") == {"clerk"}
    assert seen_by(u, no, "assign") == {"head"}
    step(head, no, "assign", "intake", assignee="handler")
    assert open_kinds(no) == {"response_1h", "initial_plan_24h"}  # assigning is no reply
    assert seen_by(u, no, "first_response") == {"clerk", "handler"}
    step(handler, no, "first_response", "confirmation", reply="您好，已收到，今天内给您方案。")
    assert row(no, "response_1h").closed_reason == "first_response"
    assert open_kinds(no) == {"initial_plan_24h"}
    assert act(clerk, no, "initial_plan", opinion="上门检测").status_code == 403
    step(handler, no, "confirm", "confirmation", findings="指纹模组老化，识别率约40%")
    step(handler, no, "initial_plan", "handling", opinion="上门更换指纹模组")
    assert row(no, "initial_plan_24h").closed_reason == "initial_plan"
    assert open_kinds(no) == {"handling"}
    step(handler, no, "execute", "handling", measure="replace", result="已上门更换指纹模组")
    step(handler, no, "result_reply", "feedback", reply="已更换指纹模组，识别正常。")
    assert "satisfaction" not in keys(head, no)
    step(clerk, no, "satisfaction", "analysis", satisfaction="satisfied")
    assert open_kinds(no) == {"analysis"}
    closed = step(head, no, "improvement", "closed", measure="rectify", result="改进模组供应商")
    assert closed["status"] == "closed" and closed["deadlines"] == []
    assert not open_kinds(no)
    assert labels(clerk, no) == [
        "指派专人负责",
        "回复客户（1小时内）",
        "确认问题细节（必要时现场调查、技术支持）",
        "提出初步处理方案",
        "执行处理（维修、更换、退换货等）",
        "向客户反馈处理结果",
        "记录客户满意度",
        "提出改进措施并提交相关部门执行",
    ]


@pytest.mark.parametrize(
    ("received", "first_response", "met", "plan_at", "handling_due"),
    [
        # Answered after 40 minutes; the plan on 10-01, a holiday. 3 working days after
        # 10-01: 10-08, 10-09, Sat 10-10 (调休 working day).
        (
            "2026-09-30T16:00:00+08:00",
            "2026-09-30T16:40:00+08:00",
            True,
            "2026-10-01T09:00:00+08:00",
            "2026-10-10T23:59:59+08:00",
        ),
        # Answered late (after 90 minutes): the deadline still closes, as missed. 3 working
        # days after Fri 02-13: Sat 02-14 (调休), 02-24, 02-25 (02-15..02-23 春节).
        (
            "2026-02-13T10:00:00+08:00",
            "2026-02-13T11:30:00+08:00",
            False,
            "2026-02-13T15:00:00+08:00",
            "2026-02-25T23:59:59+08:00",
        ),
    ],
    ids=["national_day", "spring_festival"],
)
def test_the_one_hour_reply_closes_on_the_first_response(
    db, received, first_response, met, plan_at, handling_due
):
    u = demo_organisation_create("assurance")
    clerk, head = api(u["clerk"]), api(u["head"])
    with clock(received):
        no = register(clerk, received_at=received)
    # Hours run through holidays: exactly receipt + 1 h and receipt + 24 h.
    response, plan = row(no, "response_1h"), row(no, "initial_plan_24h")
    assert response.due_at == at(received) + timedelta(hours=1)
    assert plan.due_at == at(received) + timedelta(hours=24)
    assert (response.provisional, plan.provisional) == (False, False)
    with clock(first_response):
        step(clerk, no, "first_response", "confirmation", reply="您好，已收到您的投诉。")
    response.refresh_from_db()
    assert (response.closed_at, response.closed_reason) == (at(first_response), "first_response")
    assert (response.closed_at <= response.due_at) is met
    assert open_kinds(no) == {"initial_plan_24h"}  # the 24 hours run on
    with clock(plan_at):
        step(head, no, "initial_plan", "handling", opinion="上门检测并更换")
    plan.refresh_from_db()
    assert plan.closed_at == at(plan_at) and plan.closed_at < plan.due_at
    assert row(no, "handling").due_at == at(handling_due)


def test_dissatisfied_goes_back_to_handling_until_the_group_closes_it(db):
    u = demo_organisation_create("assurance")
    clerk, head, gm = api(u["clerk"]), api(u["head"]), api(u["leader"])
    no = register(clerk)
    step(clerk, no, "first_response", "confirmation", reply="已收到")
    step(head, no, "initial_plan", "handling", opinion="远程指导重置")
    step(clerk, no, "result_reply", "feedback", reply="已远程指导重置。")
    step(clerk, no, "satisfaction", "handling", satisfaction="dissatisfied")
    handling = Deadline.objects.filter(complaint__tracking_no=no, kind="handling")
    assert handling.count() == 2 and open_kinds(no) == {"handling"}  # a fresh 3 working days
    step(clerk, no, "result_reply", "feedback", reply="建议上门检测。")
    step(clerk, no, "satisfaction", "handling", satisfaction="dissatisfied")
    assert "close_unresolved" not in keys(clerk, no)
    no_note = act(gm, no, "close_unresolved")
    assert [e["field"] for e in no_note.json()["errors"]] == ["note"]
    step(gm, no, "close_unresolved", "analysis", note="已告知可向消协或市场监管部门投诉")
    assert open_kinds(no) == {"analysis"}
    step(head, no, "improvement", "closed", measure="rectify", result="完善远程指导流程")
    assert not open_kinds(no)


def test_wrong_stage_is_409_and_missing_data_is_422(db):
    u = demo_organisation_create("assurance")
    clerk, head = api(u["clerk"]), api(u["head"])
    no = register(clerk)
    early = act(head, no, "initial_plan", opinion="上门检测")
    assert early.status_code == 409
    assert "客诉接收与初步判断" in early.json()["detail"]
    # Only what the 客服部负责人 may do now is offered; the reply is the 客服专员's.
    possible = "（此阶段可执行：初步判断（类型、级别）、指派专人负责、提请启动应急响应）"
    assert possible in early.json()["detail"]
    assert "回复客户" not in early.json()["detail"] and "classify" not in early.json()["detail"]
    late = act(clerk, no, "initial_plan", opinion="上门检测")
    assert late.status_code == 409
    assert "（此阶段可执行：初步判断（类型、级别）、回复客户（1小时内））" in late.json()["detail"]
    silent = act(clerk, no, "first_response")
    assert silent.status_code == 422
    assert [e["field"] for e in silent.json()["errors"]] == ["reply"]
    assert open_kinds(no) == {"response_1h", "initial_plan_24h"}  # nothing changed
    step(clerk, no, "first_response", "confirmation", reply="已收到")
    assert [e["field"] for e in act(head, no, "initial_plan").json()["errors"]] == ["opinion"]
    step(head, no, "initial_plan", "handling", opinion="更换")
    step(clerk, no, "result_reply", "feedback", reply="已更换")
    odd = act(clerk, no, "satisfaction", satisfaction="great")
    assert [e["field"] for e in odd.json()["errors"]] == ["satisfaction"]
    step(clerk, no, "satisfaction", "analysis", satisfaction="basically_satisfied")
    wrong = act(head, no, "improvement", measure="refund", amount="99", result="x")
    assert [e["field"] for e in wrong.json()["errors"]] == ["measure"]


def test_the_analysis_group_writes_the_cause_analysis(db):
    u = demo_organisation_create("assurance")
    clerk, head = api(u["clerk"]), api(u["head"])
    no = register(clerk)
    step(clerk, no, "first_response", "confirmation", reply="已收到")
    step(head, no, "initial_plan", "handling", opinion="更换")
    step(clerk, no, "result_reply", "feedback", reply="已更换")
    step(clerk, no, "satisfaction", "analysis", satisfaction="satisfied")
    # The 客诉分析小组 (质量管理部, 技术支持部, 市场部) sees the case while it is in analysis.
    assert seen_by(u, no, "cause_analysis") == {"investigator", "tech", "analyst"}
    analyst = api(u["analyst"])
    step(analyst, no, "cause_analysis", "analysis", report="指纹模组批次老化，建议更换供应商")
    assert act(clerk, no, "cause_analysis", report="x").status_code == 403
    # Someone with no part in the plan still does not find the case.
    assert api(u["production_handler"]).get(f"/api/v1/complaints/{no}").status_code == 404
    step(analyst, no, "improvement", "closed", measure="rectify", result="更换模组供应商")
    # Once closed, the analyst who acted still sees the case, read-only.
    assert analyst.get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(analyst, no) == []
