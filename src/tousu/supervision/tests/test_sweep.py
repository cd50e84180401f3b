"""The worker chasing deadlines: penalties, escalation, follow-ups, the board."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tousu.accounts.services import token_create
from tousu.assessment.models import PenaltyEntry
from tousu.assessment.penalties import penalty_contest, penalty_waive
from tousu.audit.services import audit_verify
from tousu.conftest import PASSWORD
from tousu.core.problems import NotAllowed
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.models import Notification
from tousu.plans.services import organisation_plan_adopt, plan_load
from tousu.supervision.models import WorkerRun

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).parents[2] / "plans" / "tests" / "example.yaml"


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)}"})


def register(client, **data) -> dict:
    body = {
        "channel": "phone",
        "title": "课堂讲义错误较多",
        "description": "孩子所用讲义错误较多，老师未及时更正，家长要求补课并更换讲义。",
        "category": data.pop("category", "lesson_quality"),
        "complainant": {"name": "李娜", "phone": "13900001111"},
        **data,
    }
    response = client.post("/api/v1/complaints", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def act(client, no, action, **data):
    version = client.get(f"/api/v1/complaints/{no}").json()["version"]
    response = client.post(
        f"/api/v1/complaints/{no}/actions/{action}",
        json.dumps({"version": version, **data}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def worker(now: str) -> str:
    out = io.StringIO()
    call_command("worker", "--once", "--now", now, stdout=out)
    return out.getvalue()


def penalties_json(period=None) -> list[dict]:
    out = io.StringIO()
    args = ["penalties", "list", "--json"] + (["--period", period] if period else [])
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_school_late_transfer_slip_costs_the_responsible_person_100_yuan_once(db):
    users = demo_organisation_create("school")
    created = register(
        api(users["clerk"]), nature="problem", received_at="2026-10-12T09:00:00+08:00"
    )
    slip = Deadline.objects.get(complaint__tracking_no=created["tracking_no"], kind="transfer_slip")
    # 2 days from Mon Oct 12 (not counted): Tue 13 (1), Wed 14 (2) → Wed 23:59:59.
    assert slip.due_at.isoformat() == "2026-10-14T15:59:59+00:00"
    worker("2026-10-14T23:00:00+08:00")
    assert penalties_json() == []
    for _ in range(3):  # however often the worker runs, one entry
        worker("2026-10-15T00:00:00+08:00")
    entries = penalties_json("2026-10")
    assert len(entries) == 1
    entry = entries[0]
    # Nobody was assigned yet: the first-contact owner (首问负责) is responsible.
    assert entry["person"] == "clerk" and entry["amount"] == "100.00"
    assert entry["rule"] == "late_slip" and entry["complaint"] == created["tracking_no"]
    assert WorkerRun.objects.filter(status="done").count() == 4
    assert audit_verify().ok


@pytest.fixture
def shop(org):
    plan_load(source=EXAMPLE.read_bytes())
    organisation_plan_adopt(key="shop")
    org.head.email = "head@example.cn"
    org.head.save()
    return org


def test_a_breach_raises_severity_and_notifies_the_head_on_the_timeline(shop):
    clerk = api(shop.clerk)
    created = register(clerk, category="food", channel="walk_in")
    no = created["tracking_no"]
    act(clerk, no, "accept")
    version = clerk.get(f"/api/v1/complaints/{no}").json()["version"]
    clerk.post(
        f"/api/v1/complaints/{no}/assignment",
        json.dumps(
            {"version": version, "department": "quality", "assignee": "handler", "note": "转质量部"}
        ),
        content_type="application/json",
    )
    handling = Deadline.objects.get(complaint__tracking_no=no, kind="handling")
    worker(handling.due_at.isoformat())  # exactly at the due time: not yet past it
    assert clerk.get(f"/api/v1/complaints/{no}").json()["severity"] == "ordinary"
    worker(_plus_minute(handling.due_at))
    shown = clerk.get(f"/api/v1/complaints/{no}").json()
    assert shown["severity"] == "major"
    timeline = clerk.get(f"/api/v1/complaints/{no}/timeline").json()
    escalations = [e for e in timeline if e["action"] == "complaint.escalated"]
    breach = [e for e in escalations if e["data"]["at"] == "breach"]
    assert len(breach) == 1
    assert breach[0]["data"]["changes"]["severity"] == ["ordinary", "major"]
    assert "孙志强" in breach[0]["data"]["notified"]  # the quality department's head
    assert "周国平" in breach[0]["data"]["notified"]  # the plan's manager (leadership)
    inbox = Notification.objects.filter(recipient=shop.head, complaint__tracking_no=no)
    assert {n.channel for n in inbox} == {"in_app", "email"}
    assert no in inbox.get(channel="in_app").body
    worker(_plus_minute(handling.due_at, minutes=5))
    assert (
        len(
            [
                e
                for e in clerk.get(f"/api/v1/complaints/{no}/timeline").json()
                if e["action"] == "complaint.escalated" and e["data"]["at"] == "breach"
            ]
        )
        == 1
    )
    entries = PenaltyEntry.objects.filter(complaint__tracking_no=no)
    assert [(e.person.username, e.amount) for e in entries] == [("handler", 100)]
    page = Client()
    page.login(username="clerk", password=PASSWORD)
    timeline = page.get(f"/complaints/{no}/").content.decode().split('id="timeline"')[1]
    assert "时限预警/超期处理" in timeline and "超期" in timeline
    assert "普通 → 重大" in timeline and "孙志强" in timeline


def _plus_minute(moment, minutes=1):
    from datetime import timedelta

    return (moment + timedelta(minutes=minutes)).isoformat()


def test_the_supervision_page_shows_overdue_work_by_department_in_chinese(shop):
    clerk = api(shop.clerk)
    created = register(clerk, category="food", channel="walk_in")
    act(clerk, created["tracking_no"], "accept")
    page = Client()
    assert page.login(username="supervisor", password=PASSWORD)
    acceptance = Deadline.objects.filter(complaint__tracking_no=created["tracking_no"]).first()
    html = page.get("/supervision/").content.decode()
    assert "督办" in html
    Deadline.objects.filter(pk=acceptance.pk).update(due_at=acceptance.anchor_at)
    html = page.get("/supervision/").content.decode()
    assert "已超期" in html and "投诉处理办公室" in html and created["tracking_no"] in html
    response = page.post(
        f"/supervision/deadlines/{acceptance.pk}/remind/", {"kind": "supervision"}, follow=True
    )
    assert response.status_code == 200
    timeline = clerk.get(f"/api/v1/complaints/{created['tracking_no']}/timeline").json()
    assert timeline[-1]["action"] == "complaint.supervised"
    assert Client().get("/supervision/").status_code == 302
    handler = Client()
    handler.login(username="handler", password=PASSWORD)
    assert handler.get("/supervision/").status_code == 403


def test_follow_up_is_called_when_due_and_dissatisfaction_reopens(shop):
    clerk, leader = api(shop.clerk), api(shop.leader)
    no = register(clerk, category="service", channel="phone")["tracking_no"]
    act(clerk, no, "accept")
    act(clerk, no, "propose", opinion="口头致歉")
    act(leader, no, "approve")
    act(clerk, no, "reply", reply="已致歉")
    closed = act(clerk, no, "satisfaction", satisfaction="satisfied")
    assert closed["stage"] == "closed"
    follow = Deadline.objects.get(complaint__tracking_no=no, kind="follow_up", closed_at=None)
    worker(_plus_minute(follow.due_at))
    assert any(
        "回访" in n.body
        for n in Notification.objects.filter(recipient=shop.clerk, complaint__tracking_no=no)
    )
    reopened = act(
        clerk, no, "follow_up", reached=True, satisfaction="dissatisfied", remarks="仍不满意"
    )
    assert reopened["stage"] == "handling"
    assert not Deadline.objects.filter(
        complaint__tracking_no=no, kind="follow_up", closed_at=None
    ).exists()


def test_a_repeat_complaint_costs_the_department_head_and_can_be_waived(shop):
    clerk, leader = api(shop.clerk), api(shop.leader)
    first = register(clerk, category="service", channel="phone")["tracking_no"]
    act(clerk, first, "accept")
    version = clerk.get(f"/api/v1/complaints/{first}").json()["version"]
    clerk.post(
        f"/api/v1/complaints/{first}/assignment",
        json.dumps({"version": version, "department": "quality", "note": "转质量部"}),
        content_type="application/json",
    )
    act(clerk, first, "propose", opinion="口头致歉")
    act(leader, first, "approve")
    act(clerk, first, "reply", reply="已致歉")
    act(clerk, first, "satisfaction", satisfaction="satisfied")
    again = register(clerk, category="service", channel="phone")["tracking_no"]
    timeline = clerk.get(f"/api/v1/complaints/{again}/timeline").json()
    assert any(
        e["action"] == "complaint.repeat" and e["data"]["earlier"] == first for e in timeline
    )
    entry = PenaltyEntry.objects.get(rule="repeat")
    # The department that handled the first complaint answers for the repeat.
    assert entry.person == shop.head and entry.amount == 200 and entry.performance == "zero"
    with pytest.raises(NotAllowed):  # someone else's entry
        penalty_contest(actor=shop.clerk, entry=entry, reason="不是我")
    with pytest.raises(NotAllowed):  # only leadership waives
        penalty_waive(actor=shop.clerk, entry=entry, reason="x")
    waived = penalty_waive(actor=shop.leader, entry=entry, reason="客户重复来电咨询，非投诉")
    assert waived.status == "waived" and PenaltyEntry.objects.filter(pk=entry.pk).exists()
    page = Client()
    page.login(username="leader", password=PASSWORD)
    csv = page.get(f"/supervision/penalties/export.csv?period={entry.period}")
    assert csv.status_code == 200 and "处理后重复投诉" in csv.content.decode("utf-8-sig")


def test_worker_refuses_a_now_that_is_not_an_instant(db):
    for bad in ("tomorrow", "2026-10-15", "2026-10-15T09:00"):
        with pytest.raises(CommandError, match="ISO 8601"):
            call_command("worker", "--once", "--now", bad)
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("penalties", "list", "--period", "2026-13")


def test_a_pass_left_running_by_a_killed_worker_is_marked_abandoned(db):
    from datetime import timedelta

    from django.utils import timezone

    stale = WorkerRun.objects.create(
        worker="host:1", now=timezone.now(), started_at=timezone.now() - timedelta(hours=2)
    )
    worker(timezone.now().isoformat())
    stale.refresh_from_db()
    assert stale.status == "failed" and "abandoned" in stale.error


def test_staff_see_only_their_own_ledger_entries(shop):
    from tousu.complaints.tests.factories import complaint_make

    complaint = complaint_make(shop.clerk, category="food", channel="phone")
    for person in (shop.clerk, shop.handler):
        PenaltyEntry.objects.create(
            key=f"t:{person.pk}",
            person=person,
            rule="r",
            rule_label=f"规则-{person.username}",
            complaint=complaint,
            amount=100,
            period="2026-11",
        )
    own = Client()
    own.login(username="handler", password=PASSWORD)
    html = own.get("/supervision/penalties/?period=2026-11").content.decode()
    assert "规则-handler" in html and "规则-clerk" not in html
    boss = Client()
    boss.login(username="supervisor", password=PASSWORD)
    html = boss.get("/supervision/penalties/?period=2026-11").content.decode()
    assert "规则-handler" in html and "规则-clerk" in html
