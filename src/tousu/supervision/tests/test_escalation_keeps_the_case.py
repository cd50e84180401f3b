"""Escalation adds, never takes away: a breach tells people and adds a co-owner, the
department the plan holds accountable keeps the case, its actions and the penalty."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint, Participant
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import api, keys, registrar, step

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "walk_in",
        "title": "数学老师本月第二次迟到二十分钟",
        "description": "初二数学提高班任课老师迟到约二十分钟，耽误的课时没有补上。",
        "category": "teacher_attendance",
        "complainant": {"name": "李女士", "phone": "13807150000"},
    }
)


def worker(now: str) -> None:
    call_command("worker", "--once", "--now", now, stdout=io.StringIO())


def test_a_campus_coordination_breach_leaves_the_case_with_the_teaching_department(db):
    u = demo_organisation_create("school")
    reception, investigator = api(u["reception"]), api(u["investigator"])
    teacher, teaching_head = api(u["teaching_handler"]), api(u["teaching_head"])
    no = register(reception, nature="problem", received_at="2026-11-02T09:00:00+08:00")
    step(investigator, no, "slip_findings", "slip", findings="考勤记录：本月两次迟到")
    slip = {"department": "teaching", "slip": "迟到两次", "assignee": "teaching_handler"}
    step(reception, no, "transfer", "coordination", **slip)
    limit = Deadline.objects.get(complaint__tracking_no=no, kind="coordination_limit")
    # Seven calendar days from the transfer: the worker runs just before and just after.
    worker(limit.due_at.isoformat())
    assert not PenaltyEntry.objects.filter(rule="unresolved_campus").exists()
    after = limit.due_at.timestamp() + 60
    worker(datetime.fromtimestamp(after, tz=UTC).isoformat())
    complaint = Complaint.objects.get(tracking_no=no)
    # The teaching department keeps the case, its assignee and its actions.
    assert complaint.department.code == "teaching"
    assert complaint.assignee.username == "teaching_handler"
    assert teacher.get(f"/api/v1/complaints/{no}").status_code == 200
    assert "coordination_result" in keys(teacher, no)
    assert "coordination_result" in keys(teaching_head, no)
    # The GM (lead of the leadership group) is added as a co-owner, told, and sees it.
    gm = u["leader"]
    assert Participant.objects.filter(complaint=complaint, user=gm, part="co_owner").exists()
    assert Notification.objects.filter(recipient=gm, complaint=complaint).exists()
    # The 200 yuan and zero performance fall on the head of the department that must fix
    # it — the teaching department's head — once, however often the worker runs.
    worker(datetime.fromtimestamp(after + 3600, tz=UTC).isoformat())
    entries = PenaltyEntry.objects.filter(complaint=complaint, rule="unresolved_campus")
    assert [(e.person.username, e.amount, e.performance) for e in entries] == [
        ("teaching_head", 200, "zero")
    ]
    # The timeline says the system escalated, and shows no internal key.
    timeline = reception.get(f"/api/v1/complaints/{no}/timeline").json()
    breach = [
        e
        for e in timeline
        if e["action"] == "complaint.escalated" and e["data"]["deadline"] == "协调处理期限（7日）"
    ]
    assert breach and breach[-1]["data"]["by"] == "worker"
    assert "department" not in breach[-1]["data"]["changes"]
    page = teaching_head_page(u, no)
    assert "系统（时限督办程序）" in page and "共同负责人（督办）" in page
    assert "coordination_limit" not in page and "breach" not in page


def teaching_head_page(u, no) -> str:
    client = Client()
    client.force_login(u["teaching_head"])
    return client.get(f"/complaints/{no}/").content.decode()


def test_a_stale_form_after_an_escalation_is_a_409_naming_it(db):
    u = demo_organisation_create("school")
    reception, investigator = api(u["reception"]), api(u["investigator"])
    teacher = api(u["teaching_handler"])
    no = register(reception, nature="problem", received_at="2026-11-02T09:00:00+08:00")
    step(investigator, no, "slip_findings", "slip", findings="考勤记录")
    slip = {"department": "teaching", "slip": "迟到两次", "assignee": "teaching_handler"}
    step(reception, no, "transfer", "coordination", **slip)
    seen = teacher.get(f"/api/v1/complaints/{no}").json()["version"]
    limit = Deadline.objects.get(complaint__tracking_no=no, kind="coordination_limit")
    worker((limit.due_at + timedelta(minutes=1)).isoformat())
    response = teacher.post(
        f"/api/v1/complaints/{no}/actions/coordination_result",
        json.dumps({"version": seen, "report": "补课"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    # It names the escalation (the last of the deadlines that ran out) and what changed.
    assert "升级督办" in response.json()["detail"] and "协调处理" in response.json()["detail"]
