"""What the scale-out and crash tests check after a load: that every complaint is whole,
that each deadline event happened once, and that each notification arrived once where
it arrives (the loopback mail server and webhook receiver)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint, ComplaintSearchDocument
from tousu.deadlines.models import Deadline
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification

RECEIPT = ":received:complainant:email"
SETTLE_POLL = 0.2


def settle(*, timeout: float, alive: Callable[[], None], deadlines: bool = True) -> None:
    """Wait until the workers have nothing left: no notification waiting and, with
    ``deadlines``, no open deadline unbreached. ``alive`` fails the test when a worker
    died meanwhile."""
    limit = time.monotonic() + timeout
    while True:
        alive()
        open_rows = (
            Deadline.objects.filter(breached_at=None, closed_at=None, paused_at=None).count()
            if deadlines
            else 0
        )
        # A row a killed worker claimed waits for its lease to end, not counted here.
        waiting = Notification.objects.filter(
            Q(status=DeliveryStatus.PENDING)
            | Q(status=DeliveryStatus.DELIVERING, lease_until__lt=timezone.now())
        ).count()
        if not open_rows and not waiting:
            return
        assert time.monotonic() < limit, (
            f"not settled after {timeout} s: {open_rows} deadlines open, {waiting} waiting"
        )
        time.sleep(SETTLE_POLL)


def complaints_whole(tracking_nos: set[str]) -> None:
    """Every complaint of the database is whole: its deadline rows, its one registration
    event, its search document, its receipt queued (one transaction made them all)."""
    complaints = dict(Complaint.objects.values_list("tracking_no", "pk"))
    assert tracking_nos <= set(complaints), sorted(tracking_nos - set(complaints))[:10]
    with_deadlines = set(
        Deadline.objects.filter(complaint__isnull=False).values_list("complaint_id", flat=True)
    )
    assert set(complaints.values()) <= with_deadlines
    registered = Counter(
        AuditEvent.objects.filter(action=EventAction.REGISTERED).values_list("object_id", flat=True)
    )
    assert registered == Counter(set(complaints)), "one registration event per complaint"
    documents = set(ComplaintSearchDocument.objects.values_list("complaint_id", flat=True))
    assert documents == set(complaints.values())
    receipts = Counter(
        Notification.objects.filter(key__endswith=RECEIPT).values_list("complaint_id", flat=True)
    )
    assert receipts == Counter(set(complaints.values())), "one receipt per complaint"


def deadline_events_once() -> int:
    """Each deadline breached once, its breach escalation on the timeline once; returns
    how many deadlines there are."""
    rows = list(Deadline.objects.all())
    assert rows and all(r.breached_at is not None for r in rows if r.closed_at is None)
    of_complaints = {
        r.pk for r in rows if r.complaint_id and r.closed_at is None and r.kind != "follow_up"
    }
    escalated = AuditEvent.objects.filter(action=EventAction.ESCALATED)
    breaches = Counter(
        (e.complaint_id, e.data["deadline"]) for e in escalated if e.data.get("at") == "breach"
    )
    assert set(breaches.values()) <= {1}, [k for k, n in breaches.items() if n > 1][:10]
    assert sum(breaches.values()) == len(of_complaints)
    # A breach's penalty once per deadline and person.
    penalties = Counter(PenaltyEntry.objects.values_list("deadline_id", "person_id"))
    assert set(penalties.values()) <= {1}, [k for k, n in penalties.items() if n > 1][:10]
    return len(rows)


def delivered_once(mail_keys: list[str], hook_keys: list[str]) -> tuple[int, int]:
    """Every notification delivered; at the mail server and the webhook receiver each
    arrived exactly once. Returns (mails, webhooks)."""
    statuses = Counter(Notification.objects.values_list("status", flat=True))
    assert set(statuses) == {DeliveryStatus.DELIVERED}, statuses
    emails = set(Notification.objects.filter(channel=Channel.EMAIL).values_list("key", flat=True))
    hooks = set(Notification.objects.filter(channel=Channel.WEBHOOK).values_list("key", flat=True))
    seen_mail, seen_hooks = Counter(mail_keys), Counter(hook_keys)
    assert set(seen_mail) == emails, (len(seen_mail), len(emails))
    assert set(seen_hooks) == hooks, (len(seen_hooks), len(hooks))
    assert set(seen_mail.values()) == {1}, [k for k, n in seen_mail.items() if n > 1][:10]
    assert set(seen_hooks.values()) == {1}, [k for k, n in seen_hooks.items() if n > 1][:10]
    return len(emails), len(hooks)
