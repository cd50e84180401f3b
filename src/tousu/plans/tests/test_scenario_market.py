"""Scenario: the `market` template (市场投诉应急预案) walked through the API by its people.

The demo organisation 东湖商贸市场: clerk 投诉受理员, investigator 调查员, mediator 调解员,
recorder 记录员 (all in the office), handler/head of 商品质量管理部 (quality), leader of the
leadership group. What makes the plan particular: the investigator's opinion is approved by
the leadership group before a department executes it, and a dissatisfied consumer appeals to
the leadership group.
"""

import json

import pytest
from django.test import Client

from tousu.deadlines.models import Deadline
from tousu.plans.tests.scenario import (
    act,
    clients,
    due,
    fields,
    keys,
    open_deadlines,
    registrar,
    step,
)
from tousu.plans.tests.scenario import at as when
from tousu.plans.tests.scenario import label_line as labels

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "walk_in",
        "title": "电热水壶使用一周漏水",
        "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        "category": "other",
        "complainant": {"name": "张伟", "phone": "13912345678"},
    }
)


@pytest.fixture
def people():
    """The market's users by username, each with an API client."""
    return clients("market")


REFUND = {"measure": "refund", "amount": "299", "result": "商家已退款299元"}
SLIP = {"department": "quality", "slip": "投诉接收单：调查结论及处理意见", "assignee": "handler"}


def transfer_to_quality(people, no):
    step(people["clerk"], no, "transfer", "execution", **SLIP)


def to_confirmation(people, no, *, first=True):
    """From investigation: opinion, approval, execution by quality, result told."""
    step(people["investigator"], no, "propose", "approval", opinion="商家退货退款299元")
    step(people["leader"], no, "approve", "execution")
    if first:
        transfer_to_quality(people, no)
    step(people["handler"], no, "execute", "feedback", **REFUND)
    step(people["clerk"], no, "reply", "confirmation", reply="商家已为您退货退款299元。")


def test_main_path_from_walk_in_to_archive(people):
    clerk, investigator, mediator = people["clerk"], people["investigator"], people["mediator"]
    handler, leader = people["handler"], people["leader"]
    no = register(clerk)
    assert set(open_deadlines(clerk, no)) == {"acceptance", "settlement"}
    assert keys(clerk, no) == ["classify", "accept", "refuse"]
    assert keys(investigator, no) == []
    assert act(investigator, no, "accept").status_code == 403
    step(clerk, no, "classify", "intake", category="quality")
    data = step(clerk, no, "accept", "investigation")
    assert data["status"] == "investigating"
    assert keys(investigator, no) == ["findings", "propose"]
    assert keys(mediator, no) == ["mediation_record"]
    assert keys(clerk, no) == []
    step(investigator, no, "findings", "investigation", findings="底座密封圈老化，属质量问题")
    step(mediator, no, "mediation_record", "investigation", report="双方同意退货退款")
    data = step(investigator, no, "propose", "approval", opinion="商家退货退款299元")
    assert data["status"] == "awaiting_approval"
    assert keys(leader, no) == ["approve", "send_back"]
    assert act(investigator, no, "approve").status_code == 403
    step(leader, no, "approve", "execution")
    # The department only sees the complaint once it is transferred to it.
    assert handler.get(f"/api/v1/complaints/{no}/actions").status_code == 404
    transfer_to_quality(people, no)
    assert keys(handler, no) == ["execute"]
    assert keys(people["head"], no) == ["execute"]
    step(handler, no, "execute", "feedback", **REFUND)
    step(handler, no, "reply", "confirmation", reply="商家已为您退货退款299元。")
    assert act(handler, no, "satisfaction", satisfaction="satisfied").status_code == 403
    data = step(clerk, no, "satisfaction", "closed", satisfaction="satisfied")
    assert data["status"] == "closed" and data["satisfaction"] == "satisfied"
    assert data["deadlines"] == []
    # The recorder files the case (整理归档) though it sits with the quality department.
    assert keys(people["recorder"], no) == ["archive"]
    assert act(handler, no, "archive").status_code == 403
    data = step(people["recorder"], no, "archive", "archived")
    assert data["status"] == "archived" and data["deadlines"] == []
    rows = Deadline.objects.filter(complaint__tracking_no=no)
    assert not rows.filter(closed_at=None).exists()
    kinds = "acceptance settlement investigation approval execution feedback confirmation"
    assert set(rows.values_list("kind", flat=True)) == set(kinds.split())
    assert rows.get(kind="settlement").closed_reason == "reply"
    assert labels(clerk, no) == (
        "登记分类 受理并转交调查员 记录调查取证结果 记录调解情况 提出处理意见 批准处理意见 "
        "转交相关部门执行 执行处理意见 告知消费者处理结果 记录消费者意见 整理归档"
    )


def test_no_department_executes_before_the_leadership_group_approves(people):
    clerk, investigator, handler, leader = (
        people[k] for k in ("clerk", "investigator", "handler", "leader")
    )
    no = register(clerk, category="quality")
    step(clerk, no, "accept", "investigation")
    step(investigator, no, "propose", "approval", opinion="商家退货退款299元")
    # The group sends the opinion back with a note; the investigator proposes again.
    assert "note" in fields(act(leader, no, "send_back"))
    step(leader, no, "send_back", "investigation", note="请补充商家进货凭证后再提意见")
    assert act(leader, no, "approve").status_code == 409
    step(investigator, no, "propose", "approval", opinion="商家退货退款299元并赔偿100元")
    # Handing it to quality early is refused: the plan transfers only after approval.
    version = clerk.get(f"/api/v1/complaints/{no}").json()["version"]
    body = {"version": version, "department": "quality", "assignee": "handler", "note": "先了解"}
    moved = clerk.post(
        f"/api/v1/complaints/{no}/assignment", json.dumps(body), content_type="application/json"
    )
    assert moved.status_code == 409, moved.content
    assert "领导小组审批" in moved.json()["detail"]
    assert handler.get(f"/api/v1/complaints/{no}").status_code == 404
    step(leader, no, "approve", "execution")
    step(
        clerk,
        no,
        "transfer",
        "execution",
        department="quality",
        slip="转质量部执行",
        assignee="handler",
    )
    assert keys(handler, no) == ["execute"]
    step(handler, no, "execute", "feedback", measure="compensate", amount="399", result="已赔付")
    assert labels(clerk, no) == (
        "受理并转交调查员 提出处理意见 退回重新调查 提出处理意见 批准处理意见 "
        "转交相关部门执行 执行处理意见"
    )


def dissatisfied_after_first_round(people) -> str:
    no = register(people["clerk"], category="quality")
    step(people["clerk"], no, "accept", "investigation")
    to_confirmation(people, no)
    data = step(people["clerk"], no, "satisfaction", "dissatisfied", satisfaction="dissatisfied")
    assert data["status"] == "replied"
    return no


def test_a_dissatisfied_consumer_appeals_to_the_leadership_group(people):
    clerk, leader = people["clerk"], people["leader"]
    no = dissatisfied_after_first_round(people)
    assert set(open_deadlines(clerk, no)) == {"appeal_window"}
    assert keys(clerk, no) == ["appeal", "close_without_appeal"]
    assert keys(leader, no) == []
    assert fields(act(clerk, no, "appeal")) == ["reason"]
    data = step(clerk, no, "appeal", "appeal_review", reason="赔偿金额不足以弥补损失")
    assert data["status"] == "awaiting_approval"
    assert set(open_deadlines(clerk, no)) == {"appeal_review"}
    assert keys(leader, no) == ["uphold", "reopen"]
    assert keys(clerk, no) == []
    assert act(clerk, no, "uphold", reply="维持").status_code == 403
    assert fields(act(leader, no, "reopen")) == ["note"]
    # The group reopens the case: a new investigation with a fresh investigation deadline.
    data = step(leader, no, "reopen", "investigation", note="请重新核实损失")
    assert data["status"] == "investigating"
    assert set(open_deadlines(clerk, no)) == {"investigation"}
    assert Deadline.objects.filter(complaint__tracking_no=no, kind="investigation").count() == 2


def test_a_reopened_appeal_is_handled_again_and_has_no_second_round(people):
    clerk, leader = people["clerk"], people["leader"]
    no = dissatisfied_after_first_round(people)
    step(clerk, no, "appeal", "appeal_review", reason="赔偿金额不足以弥补损失")
    step(leader, no, "reopen", "investigation", note="请重新核实损失")
    to_confirmation(people, no, first=False)
    step(clerk, no, "satisfaction", "dissatisfied", satisfaction="dissatisfied")
    again = act(clerk, no, "appeal", reason="仍不满意")
    assert again.status_code == 409 and "1" in again.json()["detail"]
    data = step(clerk, no, "close_without_appeal", "closed", note="已告知可向消协调解或拨打12315")
    assert data["status"] == "closed" and data["deadlines"] == []


def test_the_leadership_group_upholds_the_opinion_on_appeal(people):
    clerk, leader = people["clerk"], people["leader"]
    no = dissatisfied_after_first_round(people)
    step(clerk, no, "appeal", "appeal_review", reason="要求三倍赔偿")
    assert fields(act(leader, no, "uphold")) == ["reply"]
    data = step(leader, no, "uphold", "closed", reply="经复核，维持退货退款的处理意见。")
    assert data["status"] == "closed" and data["deadlines"] == []
    rows = Deadline.objects.filter(complaint__tracking_no=no)
    assert rows.get(kind="appeal_review").closed_reason == "uphold"
    assert not rows.filter(closed_at=None).exists()


def test_deadlines_across_the_national_day_holiday(people, clock):
    clock("2026-09-30T16:05:00+08:00")
    clerk = people["clerk"]
    no = register(clerk, category="quality", received_at="2026-09-30T16:00:00+08:00")
    # acceptance, 7 working days from receipt (Wed Sep 30): Oct 1-7 are the holiday;
    # Thu Oct 8 (1), Fri Oct 9 (2), Sat Oct 10 make-up day (3), Sun Oct 11 off,
    # Mon Oct 12 (4), Tue Oct 13 (5), Wed Oct 14 (6), Thu Oct 15 (7) -> end of Oct 15.
    # settlement, 60 calendar days from Sep 30: Oct 31 is day 31, Nov 29 is day 60, a
    # Sunday -> the next working day, Mon Nov 30.
    assert open_deadlines(clerk, no) == {
        "acceptance": when("2026-10-15T23:59:59+08:00"),
        "settlement": when("2026-11-30T23:59:59+08:00"),
    }
    # Warning at half the wall time: Sep 30 16:00 + (15 d 7:59:59) / 2 = Oct 8 07:59:59.5.
    acceptance = Deadline.objects.get(complaint__tracking_no=no, kind="acceptance")
    assert acceptance.warn_at == when("2026-10-08T07:59:59+08:00")
    assert not acceptance.provisional
    clock("2026-09-30T16:30:00+08:00")
    step(clerk, no, "accept", "investigation")
    # investigation, 5 working days from Sep 30: Oct 8, 9, 10 (Sat, make-up), 12, 13.
    assert due(no, "investigation") == when("2026-10-13T23:59:59+08:00")
    clock("2026-10-09T10:00:00+08:00")
    step(people["investigator"], no, "propose", "approval", opinion="退货退款")
    # approval, 2 working days from Fri Oct 9: Sat Oct 10 (make-up, 1), Mon Oct 12 (2).
    assert due(no, "approval") == when("2026-10-12T23:59:59+08:00")
    clock("2026-10-10T09:00:00+08:00")
    step(people["leader"], no, "approve", "execution")
    # execution, 5 working days from Sat Oct 10: Oct 12, 13, 14, 15, 16 (Fri).
    assert due(no, "execution") == when("2026-10-16T23:59:59+08:00")
    assert set(open_deadlines(clerk, no)) == {"execution", "settlement"}


def test_deadlines_across_the_spring_festival(people, clock):
    clock("2026-02-13T10:05:00+08:00")
    clerk = people["clerk"]
    no = register(clerk, category="quality", received_at="2026-02-13T10:00:00+08:00")
    # acceptance, 7 working days from Fri Feb 13: Sat Feb 14 is a make-up day (1), Feb 15-23
    # the holiday, Tue Feb 24 (2), 25 (3), 26 (4), Fri 27 (5), Sat Feb 28 make-up (6),
    # Sun Mar 1 off, Mon Mar 2 (7).
    # settlement, 60 calendar days: Feb 28 is day 15, Mar 31 day 46, Apr 14 (a Tuesday,
    # after 清明 Apr 4-6) day 60.
    assert open_deadlines(clerk, no) == {
        "acceptance": when("2026-03-02T23:59:59+08:00"),
        "settlement": when("2026-04-14T23:59:59+08:00"),
    }
    clock("2026-02-13T11:00:00+08:00")
    step(clerk, no, "accept", "investigation")
    # investigation, 5 working days: Sat Feb 14 (1), Feb 24 (2), 25 (3), 26 (4), 27 (5).
    assert due(no, "investigation") == when("2026-02-27T23:59:59+08:00")


def test_bad_paths(people):
    """409 naming the stage and what is possible there; 422 naming each missing field."""
    clerk, investigator, leader = people["clerk"], people["investigator"], people["leader"]
    no = register(clerk)
    response = act(clerk, no, "reply", reply="已处理")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "告知消费者处理结果" in detail and "投诉受理" in detail
    assert "受理并转交调查员" in detail and "不予受理" in detail and "accept" not in detail
    assert fields(act(clerk, no, "refuse")) == ["reason"]
    step(clerk, no, "accept", "investigation")
    assert act(leader, no, "approve").status_code == 409
    assert act(clerk, no, "accept").status_code == 409
    assert fields(act(investigator, no, "findings")) == ["findings"]
    assert fields(act(investigator, no, "propose")) == ["opinion"]
    step(investigator, no, "propose", "approval", opinion="退款")
    step(leader, no, "approve", "execution")
    assert fields(act(clerk, no, "transfer")) == ["department", "slip"]
    transfer_to_quality(people, no)
    assert fields(act(people["handler"], no, "execute")) == ["measure", "result"]
    no_amount = act(people["handler"], no, "execute", measure="refund", result="退")
    assert fields(no_amount) == ["amount"]
    # Nothing was changed by the refused attempts.
    assert clerk.get(f"/api/v1/complaints/{no}").json()["stage"] == "execution"


def test_send_back_without_a_note_names_the_field_once(people):
    no = register(people["clerk"])
    step(people["clerk"], no, "accept", "investigation")
    step(people["investigator"], no, "propose", "approval", opinion="退款")
    assert fields(act(people["leader"], no, "send_back")) == ["note"]
    # The refused attempt changed nothing; with a note the opinion goes back.
    step(people["leader"], no, "send_back", "investigation", note="退款依据不足，请补充调查")


def test_after_each_hand_off_the_next_person_is_told_and_has_it_on_my_work(db):
    """Intake → investigator → leadership group → complaint office → quality → office:
    at each hand-off the person who now has the action gets a notification (in-app) and
    finds the case on their 我的待办 page."""
    from tousu.accounts.models import User
    from tousu.complaints.awaiting import work_list
    from tousu.notifications.models import Notification

    people = clients("market")
    no = register(people["clerk"], category="quality")

    def told_and_listed(username: str) -> None:
        user = User.objects.get(username=username)
        handoffs = Notification.objects.filter(
            recipient=user, complaint__tracking_no=no, channel="in_app", key__contains="handoff"
        )
        assert handoffs.exists(), f"{username} was not told"
        assert no in handoffs.latest("pk").body
        assert no in [c.tracking_no for c in work_list(user)], f"not on {username}'s work"
        page = Client()
        page.force_login(user)
        assert no in page.get("/work/").content.decode()

    def handoffs_of(username: str) -> int:
        return Notification.objects.filter(
            recipient__username=username, complaint__tracking_no=no, key__contains="handoff"
        ).count()

    def hand_off(actor: str, action: str, stage: str, then: str, **data) -> None:
        before = handoffs_of(actor)
        step(people[actor], no, action, stage, **data)
        assert handoffs_of(actor) == before, f"{actor} was told about their own step"
        told_and_listed(then)

    hand_off("clerk", "accept", "investigation", "investigator")
    hand_off("investigator", "propose", "approval", "leader", opinion="商家退货退款299元")
    # The office sends the approved opinion to the department that executes it.
    hand_off("leader", "approve", "execution", "clerk")
    hand_off("clerk", "transfer", "execution", "handler", **SLIP)
    hand_off("handler", "execute", "feedback", "clerk", **REFUND)
    outsiders = Notification.objects.filter(
        complaint__tracking_no=no,
        recipient__username__in=["pricing_handler", "advertising_handler"],
    )
    assert not outsiders.exists()
