"""Every message of every shipped template reaches its audience, once, at the transition
it belongs to, with no ``{placeholder}`` left (messages of incidents — 启动应急响应,
情况报送 — belong to the emergency response and are not sent on a complaint's path)."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from tousu.complaints.models import Category, Complaint
from tousu.complaints.selectors import complaint_visible_to
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_open
from tousu.demo.loader import _data_for, demo_organisation_create
from tousu.notifications.messages import AUDIENCE, COMPLAINANT, INCIDENT_KINDS
from tousu.notifications.models import Notification
from tousu.plans.choices import ActionType
from tousu.plans.engine import actions_available
from tousu.plans.models import Plan
from tousu.plans.services import TEMPLATE_KEYS

pytestmark = pytest.mark.django_db

# Actions that do not move a case towards its end (taken last when walking to closure).
SIDEWAYS = {
    ActionType.SEND_BACK,
    ActionType.REOPEN,
    ActionType.TRANSFER,
    ActionType.MARK_EMERGENCY,
    ActionType.WAIT,
    ActionType.CLASSIFY,
}
# The action type at which each kind of message is sent.
TRIGGERS = {
    "accepted": ActionType.ACCEPT,
    "refused": ActionType.REFUSE,
    "transferred": ActionType.TRANSFER,
    "transfer": ActionType.TRANSFER,
    "dispatch": ActionType.TRANSFER,
    "appeal_received": ActionType.APPEAL,
    "review": ActionType.APPEAL,
    "reply": ActionType.REPLY,
    "meeting": ActionType.CONVENE_MEETING,
    "extended": ActionType.EXTEND,
}


def _register(users, definition) -> Complaint:
    return complaint_register(
        actor=users["clerk"],
        channel=definition["channels"][0],
        title="电热水壶使用一周漏水",
        description="使用一周后底座漏水，商家拒绝调换。",
        category=definition["categories"][0]["key"],
        complainant=ComplainantData(name="张伟", phone="13912345678", email="zw@example.cn"),
    )


def _perform(users, definition, kind: str, rng) -> Complaint | None:
    """A fresh complaint set in a stage that has an action of type ``kind`` (test set-up),
    then that action performed through the engine by someone the plan lets."""
    for stage_key, stage in definition["stages"].items():
        for spec in stage.get("actions", []):
            if spec["type"] != kind:
                continue
            complaint = _register(users, definition)
            when = spec.get("when") or {}
            fields = {"stage": stage_key, "status": stage["status"]}
            for name in ("severity", "nature", "channel"):
                if when.get(name):
                    fields[name] = when[name][0]
            if when.get("category"):
                fields["category"] = Category.objects.get(key=when["category"][0])
            if kind == ActionType.APPEAL:
                fields["workflow"] = {**complaint.workflow, "appeal_rounds": 0}
            if kind == ActionType.EXTEND:
                # Extended by the head of the unit that handles it.
                fields["department"] = users["head"].department
            Complaint.objects.filter(pk=complaint.pk).update(**fields)
            complaint.refresh_from_db()
            if kind == ActionType.EXTEND:
                # The time limit it extends is running (set up as the plan opens it).
                rule = next(
                    r
                    for s in definition["stages"].values()
                    for r in s.get("deadlines", [])
                    if r["key"] == spec["extends"]["deadline"]
                )
                deadline_open(
                    complaint=complaint,
                    stage=stage_key,
                    kind=rule["key"],
                    anchor_at=timezone.now(),
                    amount=Decimal(str(rule["amount"])),
                    unit=rule["unit"],
                )
            for _attempt in range(3):
                for person in users.values():
                    offered = {
                        a.key: a for a in actions_available(complaint=complaint, user=person)
                    }
                    if spec["key"] not in offered or not complaint_visible_to(
                        user=person, complaint=complaint
                    ):
                        continue
                    try:
                        return complaint_act(
                            complaint=complaint,
                            actor=person,
                            action=spec["key"],
                            version=complaint.version,
                            data=_data_for(offered[spec["key"]], complaint, users, rng),
                        )
                    except ServiceError:
                        complaint.refresh_from_db()
    return None


def _complainant_rows(complaint, event):
    return Notification.objects.filter(
        complaint=complaint, recipient__isnull=True, key__contains=f":{event}:complainant:"
    )


def _prefix(text: str) -> str:
    return text.split("{")[0]


@pytest.mark.parametrize("template", TEMPLATE_KEYS)
def test_every_plan_message_reaches_its_audience_once(template):
    users = demo_organisation_create(template)
    definition = Plan.objects.get(key=template).active_revision.definition
    messages = definition.get("messages", {})
    rng = random.Random(5)
    touched: list[Complaint] = []
    for event, text in messages.items():
        if event in INCIDENT_KINDS:
            continue
        assert event in AUDIENCE, f"{template}: message “{event}” has no audience"
        if event == "received":
            complaint = _register(users, definition)
            rows = _complainant_rows(complaint, event)
        elif event == "closed":
            complaint = _perform(users, definition, ActionType.REPLY, rng)
            for _step in range(40):
                if complaint is None or definition["stages"][complaint.stage].get("terminal"):
                    break
                moved = False
                people = list(users.values())
                rng.shuffle(people)
                for person in people:
                    offered = actions_available(complaint=complaint, user=person)
                    # Forward moves first: satisfaction, approvals, replies, closing.
                    stage = complaint.stage
                    offered.sort(key=lambda a, st=stage: (a.type in SIDEWAYS, (a.to or st) == st))
                    for action in offered:
                        if action.type in (ActionType.REFUSE, ActionType.APPEAL):
                            continue
                        try:
                            complaint = complaint_act(
                                complaint=complaint,
                                actor=person,
                                action=action.key,
                                version=complaint.version,
                                data={
                                    **_data_for(action, complaint, users, rng),
                                    "satisfaction": "satisfied",
                                },
                            )
                            moved = True
                            break
                        except ServiceError:
                            complaint.refresh_from_db()
                    if moved:
                        break
                assert moved, f"{template}: stuck in {complaint.stage}"
            assert complaint is not None
            assert definition["stages"][complaint.stage].get("terminal"), (
                template,
                complaint.stage,
            )
            rows = _complainant_rows(complaint, event)
        elif event in ("warning", "breach"):
            complaint = _register(users, definition)
            for days in (1, 3, 10, 40):
                moment = timezone.now() + timedelta(days=days)
                # A worker that runs on time: just after each warning point on the way (a
                # late worker does not warn of a limit already past).
                for row in Deadline.objects.filter(
                    complaint=complaint, closed_at=None, warned_at=None, warn_at__lt=moment
                ).order_by("warn_at"):
                    just_after = row.warn_at + timedelta(seconds=1)
                    call_command(
                        "worker", "--once", "--now", just_after.isoformat(), stdout=io.StringIO()
                    )
                call_command("worker", "--once", "--now", moment.isoformat(), stdout=io.StringIO())
            rows = Notification.objects.filter(
                complaint=complaint, recipient__isnull=False, key__contains=f":{event}"
            )
        elif event == "follow_up":
            complaint = None
            for candidate in Complaint.objects.filter(pk__in=[c.pk for c in touched]):
                if definition["stages"][candidate.stage].get("terminal"):
                    complaint = candidate
            assert complaint is not None or not definition.get("follow_up"), template
            call_command(
                "worker",
                "--once",
                "--now",
                (timezone.now() + timedelta(days=60)).isoformat(),
                stdout=io.StringIO(),
            )
            rows = _complainant_rows(complaint, event)
        else:
            complaint = _perform(users, definition, TRIGGERS[event], rng)
            assert complaint is not None, f"{template}: no one could send “{event}”"
            if AUDIENCE[event] == COMPLAINANT:
                rows = _complainant_rows(complaint, event)
            else:
                rows = Notification.objects.filter(
                    complaint=complaint, recipient__isnull=False, key__contains=":handoff:"
                )
        touched.append(complaint)
        bodies = [r.body for r in rows if r.channel in ("email", "in_app")]
        assert bodies, f"{template}: “{event}” was not sent"
        assert all(body.startswith(_prefix(text)) for body in bodies), (template, event, bodies)
        if AUDIENCE[event] == COMPLAINANT:
            assert len(bodies) == 1, (template, event, bodies)  # once, by email
        else:
            assert all(r.recipient_id for r in rows)
    for row in Notification.objects.filter(complaint__in=[c for c in touched if c]):
        assert "{" not in row.body and "}" not in row.body, (template, row.key, row.body)
        assert "major" not in row.body and "ordinary" not in row.body, (template, row.body)
