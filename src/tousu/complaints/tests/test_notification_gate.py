"""Every staff message goes through the visibility gate: nobody is sent, or named in, a
message about a complaint they would get 404 on — checked from the outside, after the
worker has run far ahead, and in the code, so a new kind of message cannot skip it."""

from __future__ import annotations

import ast
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tousu.complaints.selectors import complaint_visible_to
from tousu.complaints.services import (
    ComplainantData,
    complaint_register,
    plan_revision_current,
)
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.incidents.selectors import incident_visible_to
from tousu.notifications.messages import message_kinds
from tousu.notifications.models import Notification
from tousu.supervision.reminders import supervision_remind

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2]


def _register(users, *, confidential: bool, n: int):
    return complaint_register(
        actor=users["clerk"],
        channel="walk_in",
        title=f"涉及商业秘密的投诉{n}" if confidential else f"普通投诉{n}",
        description="商户账本外泄" if confidential else "电热水壶漏水",
        category=plan_revision_current().definition["categories"][0]["key"],
        confidential=confidential,
        complainant=ComplainantData(name="张伟", phone=f"1391234{n:04d}"),
        received_at=timezone.now() - timedelta(days=40),
    )


@pytest.mark.parametrize("template", ["market", "school", "enterprise"])
def test_no_message_names_a_confidential_complaint_to_someone_who_gets_404(template):
    users = demo_organisation_create(template)
    cases = [_register(users, confidential=n % 2 == 0, n=n) for n in range(6)]
    # The worker runs far ahead: every warning, breach, escalation and follow-up happens.
    for days in (1, 5, 20, 60, 120):
        moment = timezone.now() + timedelta(days=days)
        call_command("worker", "--once", "--now", moment.isoformat(), stdout=io.StringIO())
    # Supervisors chase every open deadline of every case (催办 and 督办单).
    supervisor = users["supervisor"]
    for deadline in Deadline.objects.filter(closed_at__isnull=True):
        supervision_remind(actor=supervisor, deadline=deadline, kind="reminder")
        supervision_remind(actor=supervisor, deadline=deadline, kind="supervision")
    sent = Notification.objects.filter(recipient__isnull=False, complaint__isnull=False)
    sent = sent.select_related("recipient", "complaint")
    # An emergency response's messages go to those who see the incident.
    for row in Notification.objects.filter(incident__isnull=False).select_related("incident"):
        assert incident_visible_to(row.recipient, row.incident), (row.key, row.recipient)
    assert sent.filter(complaint__confidential=True).exists() or template != "market"
    assert sent.exists()
    for row in sent:
        assert complaint_visible_to(user=row.recipient, complaint=row.complaint), (
            row.key,
            row.recipient.username,
        )
    # Names on the timeline are only of people who were told, so only of those who see it.
    confidential = [c for c in cases if c.confidential]
    for complaint in confidential:
        for row in Notification.objects.filter(complaint=complaint, recipient__isnull=False):
            assert complaint_visible_to(user=row.recipient, complaint=complaint)
    # From the outside: whoever gets 404 on a confidential case finds it nowhere in their
    # inbox (the page that lists every message they were sent).
    for user in users.values():
        browser = Client()
        browser.force_login(user)
        inbox = browser.get("/notifications/?page=1").content.decode()
        for complaint in confidential:
            if browser.get(f"/complaints/{complaint.tracking_no}/").status_code == 404:
                assert complaint.tracking_no not in inbox, (user.username, complaint.tracking_no)
                assert not Notification.objects.filter(recipient=user, complaint=complaint)


def _calls(name: str) -> list[str]:
    found = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = getattr(func, "id", None) or getattr(func, "attr", None)
                if called == name:
                    found.append(str(path.relative_to(SRC)))
    return sorted(set(found))


def _outbox_writes() -> list[str]:
    """Modules that write outbox rows through the manager (``Notification.objects.create``
    and its kin), which would skip the outbox's own services."""
    writes = {"create", "bulk_create", "get_or_create", "update_or_create"}
    found = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(func, ast.Attribute)
                and func.attr in writes
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "objects"
                and getattr(func.value.value, "id", None) == "Notification"
            ):
                found.append(str(path.relative_to(SRC)))
    return sorted(set(found))


def test_staff_messages_have_one_door_and_it_is_gated():
    # Only the gated helper queues staff messages; only the outbox builds rows.
    # (incidents have their own gated door: the incident's gate, no complaint named)
    assert _calls("notify_users") == ["complaints/notify.py", "incidents/notify.py"]
    assert _calls("Notification") == ["notifications/services.py"]
    assert set(_outbox_writes()) <= {"notifications/services.py"}
    # Every kind of message the code knows is a kind the gated door can send.
    kinds = message_kinds()
    assert {"warning", "breach", "reminder", "supervision", "follow_up", "handoff"} <= kinds
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for kind in ('event="', "event='"):
            for chunk in text.split(kind)[1:]:
                used = chunk.split('"')[0].split("'")[0]
                if used and used.isidentifier():
                    assert used in kinds or used in {"received", "reply", "closed"}, (path, used)
