"""Scenario: the car dealer's 3·15 plan (``dealer_315``) worked through the API.

Demo people (dealer_315.demo.yaml): clerk/investigator/recorder/crm_head = 客户关系管理部
(客服, 投诉处理小组, 档案, 经理); handler/head = 售后服务部 (顾问, 经理); finance = 财务部;
analyst/mkt_head = 市场部; leader = 总经理. ``clock`` makes the people act at a given
Beijing time; deadlines are compared with instants counted by hand.
"""

import pytest

from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.plans.tests.scenario import (
    act,
    api,
    at,
    clock,
    events,
    keys,
    open_kinds,
    registrar,
    row,
    seen_by,
    step,
)

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "新车提车一个月变速箱异响多次维修未好",
        "description": "行驶约一千五百公里后变速箱异响，已到店维修两次仍未解决。",
        "category": "three_guarantee",
        "product": "瑞风S5 1.5T",
        "complainant": {"name": "陈先生", "phone": "13971000000"},
    }
)


def test_refund_by_finance_and_handling_continues_until_the_consumer_is_satisfied(db):
    u = demo_organisation_create("dealer_315")
    clerk, recorder, handler = api(u["clerk"]), api(u["recorder"]), api(u["handler"])
    head, finance = api(u["head"]), api(u["finance"])
    no = register(clerk)
    assert open_kinds(no) == {"notify_department"}
    # The 投诉处理小组 role (investigator, any department) includes the 市场部 analyst.
    assert seen_by(u, no, "transfer") == {"clerk", "investigator", "analyst", "crm_head"}
    assert act(recorder, no, "transfer", department="after_sales", slip="x").status_code == 403
    slip = {"department": "after_sales", "assignee": "handler", "slip": "异响两次未修好，三包期内"}
    step(clerk, no, "transfer", "investigation", **slip)
    assert open_kinds(no) == {"investigation", "settlement"}
    step(handler, no, "findings", "investigation", findings="检测：变速箱同步器磨损")
    step(handler, no, "propose", "review", opinion="更换变速箱总成")
    assert act(handler, no, "approve").status_code == 403  # the proposer's role does not review
    handling = step(head, no, "approve", "handling")
    assert handling["status"] == "executing" and open_kinds(no) == {"settlement", "courtesy_car"}
    # Round 1: repair; the consumer is not satisfied.
    step(handler, no, "repair", "handling", measure="repair", result="已更换同步器")
    step(handler, no, "reply", "feedback", reply="已维修，请试驾确认。")
    assert row(no, "settlement").closed_reason == "reply"
    step(clerk, no, "satisfaction", "handling", satisfaction="dissatisfied")
    # Round 2: a refund, which only finance may pay, and only with an amount. 财务部 sees the
    # 售后服务部 case while it is in handling, without it being handed over.
    assert "refund_compensate" not in keys(handler, no)
    refund = {"measure": "refund", "result": "退还维修期间收取的检测费"}
    assert act(handler, no, "refund_compensate", amount="800", **refund).status_code == 403
    assert act(head, no, "refund_compensate", amount="800", **refund).status_code == 403
    assert keys(finance, no) == ["refund_compensate"]
    assert seen_by(u, no, "refund_compensate") == {"finance"}
    no_amount = act(finance, no, "refund_compensate", **refund)
    assert no_amount.status_code == 422
    assert [e["field"] for e in no_amount.json()["errors"]] == ["amount"]
    step(finance, no, "refund_compensate", "handling", amount="800", **refund)
    step(clerk, no, "reply", "feedback", reply="检测费800元已退还。")
    step(clerk, no, "satisfaction", "handling", satisfaction="dissatisfied")
    # Round 3: compensation for transport, an apology; now satisfied, so archived.
    step(
        finance,
        no,
        "refund_compensate",
        "handling",
        measure="compensate",
        amount="1200.5",
        result="交通费用补偿",
    )
    step(clerk, no, "apologise_explain", "handling", measure="apologise", result="店长致歉")
    step(clerk, no, "reply", "feedback", reply="已补偿交通费用并致歉。")
    archived = step(clerk, no, "satisfaction", "archived", satisfaction="satisfied")
    assert archived["status"] == "archived" and archived["satisfaction"] == "satisfied"
    assert open_kinds(no) <= {"follow_up"}  # only the plan's 3-day callback may stay open
    # A fresh 三包 courtesy-car period each time handling starts again.
    assert Deadline.objects.filter(complaint__tracking_no=no, kind="courtesy_car").count() == 3
    timeline = events(clerk, no)
    reply, satisfaction = "反馈处理结果并询问是否满意", "记录消费者满意度"
    assert [e["label"] for e in timeline] == [
        "确定责任部门并通知（附投诉登记单）",
        "调查核实（检测、查阅维修记录）",
        "提出处理意见",
        "审核通过",
        "维修或更换零部件",
        reply,
        satisfaction,
        "办理退款、赔偿",
        reply,
        satisfaction,
        "办理退款、赔偿",
        "道歉、解释说明",
        reply,
        satisfaction,
    ]
    assert [e["amount"] for e in timeline if "amount" in e] == ["800.00", "1200.50"]
    assert [e["satisfaction"] for e in timeline if "satisfaction" in e] == [
        "dissatisfied",
        "dissatisfied",
        "satisfied",
    ]


@pytest.mark.parametrize(
    ("received", "times", "expected"),
    [
        # National Day: 10-01..10-07 off, Sat 10-10 a 调休 working day.
        (
            "2026-09-30T16:00:00+08:00",
            ["2026-09-30T16:05", "2026-09-30T16:30", "2026-09-30T17:00", "2026-09-30T18:00"],
            {
                "notify_department": "2026-09-30T18:00:00",  # 16:00 + 2 h
                # 7 working days after 09-30: 10-08, 10-09, 10-10, 10-12, 10-13, 10-14, 10-15
                "settlement": "2026-10-15T23:59:59",
                "investigation": "2026-10-09T23:59:59",  # 2 wd after 09-30: 10-08, 10-09
                "review": "2026-10-08T23:59:59",  # 1 wd after 09-30
                # 5 calendar days after 09-30 end on 10-05, a holiday → next working day
                "courtesy_car": "2026-10-08T23:59:59",
            },
        ),
        # Spring Festival: 02-15..02-23 off, Sat 02-14 and Sat 02-28 调休 working days.
        (
            "2026-02-13T10:00:00+08:00",
            ["2026-02-13T10:05", "2026-02-13T11:00", "2026-02-14T10:00", "2026-02-14T11:00"],
            {
                "notify_department": "2026-02-13T12:00:00",  # 10:00 + 2 h
                # 7 working days after 02-13: 02-14, 02-24, 02-25, 02-26, 02-27, 02-28, 03-02
                "settlement": "2026-03-02T23:59:59",
                "investigation": "2026-02-24T23:59:59",  # 2 wd after 02-13: 02-14, 02-24
                "review": "2026-02-24T23:59:59",  # 1 wd after Sat 02-14
                # 5 calendar days after 02-14 end on 02-19, a holiday → next working day
                "courtesy_car": "2026-02-24T23:59:59",
            },
        ),
    ],
    ids=["national_day", "spring_festival"],
)
def test_deadlines_around_a_holiday(db, received, times, expected):
    u = demo_organisation_create("dealer_315")
    clerk, handler, head = api(u["clerk"]), api(u["handler"]), api(u["head"])
    registered, transferred, proposed, approved = (f"{t}:00+08:00" for t in times)
    with clock(registered):
        no = register(clerk, received_at=received)
    with clock(transferred):
        step(clerk, no, "transfer", "investigation", department="after_sales", slip="三包")
    assert row(no, "notify_department").closed_at == at(transferred)
    with clock(proposed):
        step(handler, no, "propose", "review", opinion="更换变速箱总成")
    with clock(approved):
        step(head, no, "approve", "handling")
    assert {k: row(no, k).due_at for k in expected} == {
        k: at(f"{v}+08:00") for k, v in expected.items()
    }
    assert not any(row(no, k).provisional for k in expected)


def test_wrong_stage_is_409_and_missing_data_is_422(db):
    u = demo_organisation_create("dealer_315")
    clerk, handler, head = api(u["clerk"]), api(u["handler"]), api(u["head"])
    no = register(clerk)
    early = act(clerk, no, "reply", reply="已处理")
    assert early.status_code == 409
    assert "投诉接收" in early.json()["detail"] and "确定责任部门并通知" in early.json()["detail"]
    bare = act(clerk, no, "transfer")
    assert [e["field"] for e in bare.json()["errors"]] == ["department", "slip"]
    step(clerk, no, "transfer", "investigation", department="after_sales", slip="三包")
    assert act(clerk, no, "satisfaction", satisfaction="satisfied").status_code == 409
    step(handler, no, "propose", "review", opinion="维修")
    no_note = act(head, no, "send_back")
    assert no_note.status_code == 422 and no_note.json()["errors"][0]["field"] == "note"
    step(head, no, "approve", "handling")
    wrong = act(handler, no, "repair", measure="refund", amount="100", result="x")
    assert [e["field"] for e in wrong.json()["errors"]] == ["measure"]
    step(handler, no, "reply", "feedback", reply="已维修")
    odd = act(clerk, no, "satisfaction", satisfaction="very_good")
    assert [e["field"] for e in odd.json()["errors"]] == ["satisfaction"]


def test_finance_pays_the_refund_while_after_sales_keeps_the_case(db):
    u = demo_organisation_create("dealer_315")
    clerk, handler, head = api(u["clerk"]), api(u["handler"]), api(u["head"])
    no = register(clerk)
    slip = {"department": "after_sales", "assignee": "handler", "slip": "三包"}
    step(clerk, no, "transfer", "investigation", **slip)
    step(handler, no, "propose", "review", opinion="退还检测费")
    finance, analyst = api(u["finance"]), api(u["analyst"])
    # Before handling, 财务部 has nothing to do with the case and does not see it.
    assert finance.get(f"/api/v1/complaints/{no}").status_code == 404
    step(head, no, "approve", "handling")
    assert "refund_compensate" in keys(finance, no)
    assert "cause_analysis" in keys(analyst, no)
    # 人力资源部 plays no part in handling: still no sight of it.
    assert api(u["hr"]).get(f"/api/v1/complaints/{no}").status_code == 404
    paid = step(
        finance,
        no,
        "refund_compensate",
        "handling",
        measure="refund",
        amount="300",
        result="退还检测费",
    )
    # After-sales keeps the case: paying changes neither its department nor its assignee.
    assert paid["department"]["code"] == "after_sales"
    assert paid["assignee"] == "handler"
    step(handler, no, "reply", "feedback", reply="检测费已退还。")
    step(clerk, no, "satisfaction", "archived", satisfaction="satisfied")
    # Archived: 财务部, who paid, still sees the case read-only; 市场部 may still
    # analyse it and the 客服 records the callback.
    assert finance.get(f"/api/v1/complaints/{no}").status_code == 200
    assert keys(finance, no) == []
    assert keys(analyst, no) == ["cause_analysis"]
    assert open_kinds(no) == {"follow_up"}
    assert seen_by(u, no, "follow_up") == {"clerk"}
