"""Scenario: the 客户紧急情况处置预案 (``customer_emergency``) worked through the API by a
travel company: four classes (客户投诉 / 服务中断 / 资金安全 / 生命安全), each on its own steps.

Demo people (customer_emergency.demo.yaml): clerk = 客服专员 (cs), head = 客服部负责人 (cs),
mediator = 跟进专人 (cs), handler = 技术人员 (it), fund = 资金安全专员 (finance),
safety = 安全救援负责人 (security), leader = 应急总指挥.
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
        "title": "客户紧急情况",
        "description": "客户来电反映的情况。",
        "severity": "major",
        "complainant": {"name": "陈晓", "phone": "13912345678"},
    }
)


@pytest.fixture
def c(db):
    return clients("customer_emergency")


def complaint_replied(c, no):
    step(c["clerk"], no, "accept_complaint", "handling")
    step(c["head"], no, "assign_owner", "handling", assignee="mediator")
    step(c["mediator"], no, "reply_result", "feedback", reply="已按差价退款并致歉")


def test_a_complaint_is_followed_by_one_person_to_the_customers_satisfaction(c):
    clerk, head, owner = c["clerk"], c["head"], c["mediator"]
    no = register(clerk, category="quality", severity="ordinary")
    assert open_kinds(no) == {"complaint_acceptance"}
    assert keys(clerk, no) == ["classify", "accept_complaint"]
    assert keys(owner, no) == []
    assert act(owner, no, "accept_complaint").status_code == 403
    assert act(c["leader"], no, "activate").status_code == 409  # no activation for a complaint
    assert c["fund"].get(f"/api/v1/complaints/{no}").status_code == 404

    data = step(clerk, no, "accept_complaint", "handling")
    assert data["status"] == "investigating" and not data["emergency_marked"]
    assert open_kinds(no) == {"complaint_contact", "complaint_resolution"}
    assert keys(head, no) == ["assign_owner"]
    assert step(head, no, "assign_owner", "handling", assignee="mediator")["assignee"] == "mediator"
    assert keys(owner, no) == ["coordinate", "progress", "resolve", "reply_result"]
    step(owner, no, "coordinate", "handling", findings="酒店为经济型，与合同不符")
    step(owner, no, "progress", "handling", reply="已联系地接社核实，两日内答复")
    assert open_kinds(no) == {"complaint_resolution"}
    step(owner, no, "resolve", "handling", measure="refund", amount="1200", result="已退差价")
    data = step(owner, no, "reply_result", "feedback", reply="已按差价退款并致歉")
    assert data["status"] == "replied" and open_kinds(no) == {"feedback"}
    data = step(clerk, no, "satisfaction", "closed", satisfaction="satisfied")
    assert data["status"] == "closed" and data["satisfaction"] == "satisfied"
    assert open_kinds(no) == {"follow_up"}  # the plan's 回访, and nothing else
    assert labels(clerk, no) == [
        "记录投诉内容，了解客户需求，启动相应处理流程",
        "派专人跟进",
        "协调各部门共同解决问题",
        "与客户沟通，反馈处理进度",
        "解决问题",
        "反馈处理结果",
        "记录客户满意度",
    ]


def test_a_dissatisfied_customer_sends_the_complaint_back_to_handling(c):
    no = register(c["clerk"], category="attitude")
    complaint_replied(c, no)
    step(c["mediator"], no, "satisfaction", "handling", satisfaction="dissatisfied")
    assert "complaint_resolution" in open_kinds(no)  # a fresh 3 working days
    step(c["mediator"], no, "reply_result", "feedback", reply="导游已停职，另赔偿200元")
    step(c["clerk"], no, "satisfaction", "closed", satisfaction="basically_satisfied")


# class → (category, department, specialist, their actions, deadlines on activation, steps)
CLASSES = {
    "interruption": (
        "system_fault",
        "it",
        "handler",
        ["troubleshoot", "interim_service", "service_restored", "situation_report"],
        {"interruption_notice", "interruption_restore"},
        [
            ("handler", "troubleshoot", "handling", {"findings": "支付回调队列堵塞"}),
            ("clerk", "notify_interruption", "handling", {"reply": "系统故障，正在抢修"}),
            ("handler", "interim_service", "handling", {"measure": "explain", "result": "人工"}),
            ("handler", "service_restored", "review", {"measure": "repair", "result": "已恢复"}),
            ("handler", "review_interruption", "review", {"report": "增加队列监控"}),
        ],
    ),
    "fund": (
        "account_theft",
        "finance",
        "fund",
        ["fund_investigate", "secure_funds", "fund_explain", "fund_resolved", "situation_report"],
        {"fund_secure", "fund_explain", "fund_resolution"},
        [
            ("fund", "secure_funds", "handling", {"measure": "rectify", "result": "账户已冻结"}),
            ("investigator", "fund_investigate", "handling", {"findings": "撞库登录"}),
            ("fund", "fund_explain", "handling", {"reply": "资金已冻结，正在追回"}),
            ("fund", "fund_resolved", "review", {"report": "已追回并退还3000元"}),
            ("fund", "review_fund", "review", {"report": "启用异地登录二次验证"}),
        ],
    ),
    "life": (
        "safety_accident",
        "security",
        "safety",
        ["rescue", "life_contact", "aftermath", "situation_report"],
        {"life_rescue", "life_contact"},
        [
            ("safety", "rescue", "handling", {"report": "已送医，领队陪同"}),
            ("clerk", "life_contact", "handling", {"reply": "已联系家属，安排保险理赔"}),
            ("safety", "aftermath", "review", {"report": "协助景区和保险公司善后"}),
            ("safety", "review_life", "review", {"report": "栈道路段增加安全提示"}),
        ],
    ),
}


@pytest.mark.parametrize("kind", CLASSES)
def test_each_emergency_class_activates_at_once_and_follows_its_own_steps(c, kind):
    category, department, specialist, actions, opened, steps = CLASSES[kind]
    no = register(c["clerk"], category=category, severity="urgent")
    assert keys(c["clerk"], no) == ["classify", "activate"]
    assert act(c["clerk"], no, "accept_complaint").status_code == 409
    data = step(c["clerk"], no, "activate", "handling")
    assert data["emergency_marked"] and open_kinds(no) == opened
    step(
        c["head"],
        no,
        "dispatch",
        "handling",
        department=department,
        assignee=specialist,
        slip="交专业部门处置",
    )
    assert keys(c[specialist], no) == actions
    assert act(c[specialist], no, "assign_owner", assignee=specialist).status_code == 409
    for user, action, stage, data in steps:
        step(c[user], no, action, stage, **data)
    assert open_kinds(no) == {"review"}
    assert act(c[specialist], no, "close_incident", note="x").status_code == 403
    assert step(c["leader"], no, "close_incident", "closed", note="处置结束")["status"] == "closed"
    assert open_kinds(no) == {"follow_up"}  # the format schedules 回访 for every class


def test_bad_paths_are_409_with_the_reason_and_422_naming_the_field(c):
    no = register(c["clerk"], category="quality")
    early = act(c["clerk"], no, "reply_result", reply="x")
    assert early.status_code == 409
    assert "接报登记" in early.json()["detail"] and "记录投诉内容" in early.json()["detail"]
    step(c["clerk"], no, "accept_complaint", "handling")
    for data, field in [({}, "assignee"), ({"assignee": "fund"}, "assignee")]:
        wrong = act(c["head"], no, "assign_owner", **data)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == field
    step(c["head"], no, "assign_owner", "handling", assignee="mediator")
    no_amount = act(c["mediator"], no, "resolve", measure="compensate", result="赔偿")
    assert [e["field"] for e in no_amount.json()["errors"]] == ["amount"]
    bad = act(c["mediator"], no, "resolve", measure="rectify")
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["measure", "result"]
    step(c["mediator"], no, "reply_result", "feedback", reply="已处理")
    unsure = act(c["clerk"], no, "satisfaction", satisfaction="very")
    assert [e["field"] for e in unsure.json()["errors"]] == ["satisfaction"]


def test_deadlines_of_cases_received_before_national_day(c, clock):
    clock("2026-09-30T16:05:00+08:00")
    received = "2026-09-30T16:00:00+08:00"
    cases = {
        cat: register(c["clerk"], category=cat, received_at=received)
        for cat in ("quality", "network_fault", "account_theft", "natural_disaster")
    }
    # Hours count from the receipt itself (16:00). Registration weighs the triggers
    # (severity major): the complaint (quality) fires none, so +2 h; the interruption fires
    # `interruption`, level IV (一般, factor 1): +1 h as planned; the account theft fires
    # `fund_urgent` (fund, major), level II (重大, factor 0.5): 0.5 h → 0.25 h; the natural
    # disaster fires `life`, level II (重大, factor 0.5): 0.25 h → 0.125 h (7 min 30 s).
    assert due(cases["quality"], "complaint_acceptance") == at("2026-09-30T18:00:00+08:00")
    assert due(cases["network_fault"], "interruption_activation") == at("2026-09-30T17:00:00+08:00")
    assert due(cases["account_theft"], "fund_activation") == at("2026-09-30T16:15:00+08:00")
    assert due(cases["natural_disaster"], "life_activation") == at("2026-09-30T16:07:30+08:00")

    clock("2026-09-30T16:20:00+08:00")
    fund = cases["account_theft"]
    step(c["clerk"], fund, "activate", "handling")
    # Level II (重大, factor 0.5) on the deadlines opened in handling: 2 h → 1 h.
    assert due(fund, "fund_secure") == at("2026-09-30T17:20:00+08:00")  # 16:20 + 1 h
    # 24 h → 12 h: 16:20 + 12 h, in the night before the holiday.
    assert due(fund, "fund_explain") == at("2026-10-01T04:20:00+08:00")
    # 5 working days → ceil(2.5) = 3 working days from Sep 30: Oct 1–7 holiday; Oct 8 (1),
    # 9 (2), Sat Oct 10 make-up (3).
    assert due(fund, "fund_resolution") == at("2026-10-10T23:59:59+08:00")

    clock("2026-09-30T16:30:00+08:00")
    no = cases["quality"]
    step(c["clerk"], no, "accept_complaint", "handling")
    # No trigger, no factor: 3 working days from Sep 30: Oct 8 (1), Oct 9 (2), Sat Oct 10
    # make-up (3).
    assert due(no, "complaint_resolution") == at("2026-10-10T23:59:59+08:00")
    clock("2026-10-09T10:00:00+08:00")
    step(c["head"], no, "assign_owner", "handling", assignee="mediator")
    step(c["mediator"], no, "reply_result", "feedback", reply="已退款")
    # 2 working days from Fri Oct 9: Sat Oct 10 make-up (1), Sun off, Mon Oct 12 (2).
    assert due(no, "feedback") == at("2026-10-12T23:59:59+08:00")


def test_deadlines_across_the_spring_festival(c, clock):
    clock("2026-02-13T10:05:00+08:00")
    no = register(
        c["clerk"],
        category="safety_accident",
        severity="urgent",
        received_at="2026-02-13T10:00:00+08:00",
    )
    # Life safety, urgent: `life_urgent` fires, level I (特别重大, factor 0.25):
    # 15 min → 3 min 45 s, from 10:00.
    assert due(no, "life_activation") == at("2026-02-13T10:03:45+08:00")
    step(c["clerk"], no, "activate", "handling")
    # Level I (factor 0.25), from 10:05: 30 min (under one hour, scaled as is) → 7 min
    # 30 s; 2 h → 0.5 h, rounded up to a whole hour: 1 h.
    assert due(no, "life_rescue") == at("2026-02-13T10:12:30+08:00")
    assert due(no, "life_contact") == at("2026-02-13T11:05:00+08:00")
    clock("2026-02-13T18:00:00+08:00")
    step(c["leader"], no, "aftermath", "review", report="伤者已手术，家属已到")
    # Level I (factor 0.25): 5 working days → ceil(1.25) = 2 working days from Fri Feb 13:
    # Sat Feb 14 make-up (1), Feb 15–23 holiday, Feb 24 (2).
    assert due(no, "review") == at("2026-02-24T23:59:59+08:00")

    clock("2026-02-13T10:30:00+08:00")
    complaint = register(
        c["clerk"], category="price_dispute", received_at="2026-02-13T10:20:00+08:00"
    )
    step(c["clerk"], complaint, "accept_complaint", "handling")
    # No trigger (price dispute, major), no factor: 3 working days from Fri Feb 13:
    # Sat Feb 14 (1), Feb 24 (2), Feb 25 (3).
    assert due(complaint, "complaint_resolution") == at("2026-02-25T23:59:59+08:00")


def test_a_closed_complaint_gets_its_follow_up_visit(c, clock):
    clock("2026-09-30T17:00:00+08:00")
    no = register(c["clerk"], category="quality", received_at="2026-09-30T16:00:00+08:00")
    complaint_replied(c, no)
    step(c["clerk"], no, "satisfaction", "closed", satisfaction="satisfied")
    # 2 working days after closure on Wed Sep 30: Oct 1–7 holiday; Oct 8 (1), Oct 9 (2).
    rows = Deadline.objects.filter(complaint__tracking_no=no, closed_at=None)
    assert [(r.kind, r.due_at) for r in rows] == [("follow_up", at("2026-10-09T23:59:59+08:00"))]


def test_a_dissatisfied_follow_up_visit_reopens_the_complaint(c):
    no = register(c["clerk"], category="quality")
    complaint_replied(c, no)
    step(c["clerk"], no, "satisfaction", "closed", satisfaction="satisfied")
    # Closing schedules the visit (2 working days); every other clock has stopped.
    assert open_kinds(no) == {"follow_up"}
    # The visit is the 客服专员's or the 跟进专人's, not the 客服部负责人's.
    assert keys(c["mediator"], no) == ["follow_up"]
    assert keys(c["head"], no) == []
    assert (
        act(c["head"], no, "follow_up", reached=True, satisfaction="satisfied").status_code == 403
    )
    actions = c["clerk"].get(f"/api/v1/complaints/{no}/actions").json()["actions"]
    visit = [a["key"] for a in actions if a["type"] == "record_follow_up"]
    assert visit, "no follow-up action in stage closed"
    step(c["clerk"], no, visit[0], "handling", reached=True, satisfaction="dissatisfied")
    assert "follow_up" not in open_kinds(no)  # recorded: the visit's clock stops
    assert "complaint_resolution" in open_kinds(no)  # handling runs again
