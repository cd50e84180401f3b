"""The workflow engine on the small example plan, through the API as staff use it."""

import json
from pathlib import Path

import pytest
from django.test import Client

from tousu.accounts.choices import Role
from tousu.accounts.services import token_create, user_create
from tousu.audit.services import audit_verify
from tousu.complaints.tests.factories import complaint_make
from tousu.deadlines.models import Deadline
from tousu.plans.services import organisation_plan_adopt, plan_load

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")


@pytest.fixture
def shop(org):
    plan_load(source=EXAMPLE.read_bytes())
    organisation_plan_adopt(key="shop")
    return org


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)}"})


def act(client, complaint_no, action, **data):
    version = client.get(f"/api/v1/complaints/{complaint_no}").json()["version"]
    return client.post(
        f"/api/v1/complaints/{complaint_no}/actions/{action}",
        json.dumps({"version": version, **data}),
        content_type="application/json",
    )


def keys(client, complaint_no):
    return [
        a["key"] for a in client.get(f"/api/v1/complaints/{complaint_no}/actions").json()["actions"]
    ]


def test_a_complaint_walks_the_plan_to_closure(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="walk_in")
    no = complaint.tracking_no
    clerk, handler, leader = api(shop.clerk), api(shop.handler), api(shop.leader)
    assert complaint.stage == "intake" and complaint.status == "registered"
    assert Deadline.objects.filter(complaint=complaint, kind="acceptance", closed_at=None).exists()
    assert keys(clerk, no) == ["accept", "refuse"]
    assert act(clerk, no, "accept").json()["stage"] == "handling"
    # The handler cannot even see it until it is in their department.
    assert handler.get(f"/api/v1/complaints/{no}/actions").status_code == 404
    # Handing it to the quality department is the plan's transfer action (the note is
    # its slip), so it is on the timeline with the plan's label.
    version = clerk.get(f"/api/v1/complaints/{no}").json()["version"]
    moved = clerk.post(
        f"/api/v1/complaints/{no}/assignment",
        json.dumps(
            {
                "version": version,
                "department": "quality",
                "assignee": "handler",
                "note": "质量问题转质量部",
            }
        ),
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    assert act(handler, no, "findings", findings="核实：底座密封圈老化").status_code == 200
    proposed = act(handler, no, "propose", opinion="为消费者更换新品")
    assert (
        proposed.json()["stage"] == "approval" and proposed.json()["status"] == "awaiting_approval"
    )
    assert act(leader, no, "approve").json()["stage"] == "execution"
    done = act(handler, no, "execute", measure="replace", result="已更换新品")
    assert done.status_code == 200
    replied = act(handler, no, "reply", reply="已为您更换新品，感谢监督。")
    assert replied.json()["stage"] == "feedback"
    closed = act(clerk, no, "satisfaction", satisfaction="satisfied")
    data = closed.json()
    assert data["stage"] == "closed" and data["status"] == "closed"
    assert data["satisfaction"] == "satisfied"
    timeline = clerk.get(f"/api/v1/complaints/{no}/timeline").json()
    labels = [e["data"].get("label") for e in timeline if e["action"] == "complaint.action"]
    assert labels == [
        "受理",
        "转交承办部门",
        "记录调查结果",
        "提出处理意见",
        "批准",
        "执行处理决定",
        "答复投诉人",
        "记录满意度",
    ]
    assert not Deadline.objects.filter(complaint=complaint, closed_at=None, kind="handling")
    assert audit_verify().ok


def test_dissatisfied_goes_back_to_handling(shop):
    complaint = complaint_make(shop.clerk, category="service", channel="phone")
    clerk = api(shop.clerk)
    no = complaint.tracking_no
    act(clerk, no, "accept")
    act(clerk, no, "propose", opinion="口头道歉")
    act(api(shop.leader), no, "approve")
    act(clerk, no, "reply", reply="已道歉")
    back = act(clerk, no, "satisfaction", satisfaction="dissatisfied")
    assert back.json()["stage"] == "handling"


def test_an_action_of_another_stage_is_409_with_the_reason(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    response = act(api(shop.clerk), complaint.tracking_no, "reply", reply="x")
    assert response.status_code == 409
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    # The reason names the stage and what is possible, by their labels, never keys.
    assert "受理" in body["detail"] and "不予受理" in body["detail"]
    assert "accept" not in body["detail"]


def test_an_action_for_another_role_is_403(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    recorder_ = user_create(
        username="rec2", password=None, roles=[Role.RECORDER], department=shop.office
    )
    response = act(api(recorder_), complaint.tracking_no, "accept")
    assert response.status_code == 403


def test_the_proposer_cannot_approve_their_own_opinion(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    clerk = api(shop.clerk)
    act(clerk, complaint.tracking_no, "accept")
    act(clerk, complaint.tracking_no, "propose", opinion="退款")
    response = act(clerk, complaint.tracking_no, "approve")
    assert response.status_code == 409
    assert "proposed" in response.json()["detail"] or "提出" in response.json()["detail"]
    assert act(api(shop.leader), complaint.tracking_no, "approve").status_code == 200


def test_required_data_is_named(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    clerk = api(shop.clerk)
    refused = act(clerk, complaint.tracking_no, "refuse")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    no = complaint.tracking_no
    act(clerk, no, "accept")
    empty = act(clerk, no, "propose")
    assert [e["field"] for e in empty.json()["errors"]] == ["opinion"]
    act(clerk, no, "propose", opinion="退款")
    act(api(shop.leader), no, "approve")
    version = clerk.get(f"/api/v1/complaints/{no}").json()["version"]
    clerk.post(
        f"/api/v1/complaints/{no}/assignment",
        json.dumps(
            {
                "version": version,
                "department": "quality",
                "assignee": "handler",
                "note": "转质量部执行",
            }
        ),
        content_type="application/json",
    )
    handler = api(shop.handler)
    wrong = act(handler, no, "execute", measure="compensate", amount="100")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "measure"
    no_amount = act(handler, no, "execute", measure="refund")
    assert no_amount.status_code == 422
    assert no_amount.json()["errors"][0]["field"] == "amount"
    negative = act(handler, no, "execute", measure="refund", amount="-5")
    assert negative.json()["errors"][0]["field"] == "amount"
    refunded = act(handler, no, "execute", measure="refund", amount="299.5")
    assert refunded.status_code == 200


def test_stale_version_is_409(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    response = api(shop.clerk).post(
        f"/api/v1/complaints/{complaint.tracking_no}/actions/accept",
        json.dumps({"version": 99}),
        content_type="application/json",
    )
    assert response.status_code == 409


def test_urgent_complaints_get_their_own_deadline(shop):
    complaint = complaint_make(shop.clerk, category="food", channel="phone", severity="urgent")
    act(api(shop.clerk), complaint.tracking_no, "accept")
    kinds = set(
        Deadline.objects.filter(complaint=complaint, closed_at=None).values_list("kind", flat=True)
    )
    assert kinds == {"handling", "urgent_handling"}


def test_waiting_for_the_complainant_stops_the_clock(shop):
    import datetime as dt

    import time_machine

    shanghai = dt.timezone(dt.timedelta(hours=8))
    clerk = api(shop.clerk)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=shanghai), tick=False):
        complaint = complaint_make(shop.clerk, category="food", channel="phone")
        no = complaint.tracking_no
        act(clerk, no, "accept")
    handling = Deadline.objects.get(complaint=complaint, kind="handling")
    # 3 working days from Mon Nov 2 (not counted): Tue 3, Wed 4, Thu 5, closing 17:30.
    assert handling.due_at == dt.datetime(2026, 11, 5, 17, 30, tzinfo=shanghai)
    with time_machine.travel(dt.datetime(2026, 11, 3, 9, 0, tzinfo=shanghai), tick=False):
        assert act(clerk, no, "wait").status_code == 422  # the reason is required
        assert act(clerk, no, "wait", reason="等待消费者补充购物小票").status_code == 200
        assert act(clerk, no, "wait", reason="again").status_code == 409
    handling.refresh_from_db()
    assert handling.paused_at is not None
    with time_machine.travel(dt.datetime(2026, 11, 5, 9, 0, tzinfo=shanghai), tick=False):
        assert act(clerk, no, "resume").status_code == 200
    handling.refresh_from_db()
    # Paused Tue 09:00 → Thu 09:00: two working days did not count, so Mon Nov 9 17:30.
    assert handling.paused_at is None
    assert handling.due_at == dt.datetime(2026, 11, 9, 17, 30, tzinfo=shanghai)
