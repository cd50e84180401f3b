"""The worker under concurrency and crashes, as real processes against PostgreSQL.

Workers are child processes (``python -m tousu worker …`` or ``worker_child``) on the
test's own database, so the rows they must see are committed (``transaction=True``).
Webhook deliveries go to a real HTTP server on loopback that counts them by their
``X-Tousu-Key``. The ``--now`` option is a test seam: the workers act as of that instant.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.choices import EventAction
from tousu.complaints.tests.factories import complainant, complaint_make
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import LEASE
from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun
from tousu.supervision.tests.processes import Children, Receiver, worker_env
from tousu.supervision.worker import run_once

CHILD_TIMEOUT = 60  # seconds; each of these tests takes a few


@pytest.fixture
def children(tmp_path):
    started = Children(tmp_path)
    yield started
    started.stop_all()


def outbox(count: int, *, url: str, due) -> list[str]:
    """``count`` pending webhook notifications to ``url``, all due at ``due``."""
    keys = [f"worker-test:{i:04d}" for i in range(count)]
    Notification.objects.bulk_create(
        Notification(
            key=key,
            channel=Channel.WEBHOOK,
            address=url,
            subject="测试",
            body=f"第{i}条",
            created_at=due,
            next_attempt_at=due,
        )
        for i, key in enumerate(keys)
    )
    return keys


def statuses() -> Counter:
    return Counter(Notification.objects.values_list("status", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_each_due_notification_exactly_once(children):
    now = timezone.now()
    with Receiver() as receiver:
        keys = outbox(1000, url=receiver.url, due=now - timedelta(minutes=1))
        # Small batches, so the two claim in turns and SKIP LOCKED is what keeps them apart.
        first = children.gated("drain", now.isoformat(), "20", name="worker-a")
        second = children.gated("drain", now.isoformat(), "20", name="worker-b")
        children.go()
        done = [first.json(timeout=CHILD_TIMEOUT), second.json(timeout=CHILD_TIMEOUT)]
        seen = receiver.counts()
    assert sorted(seen) == keys
    assert set(seen.values()) == {1}, [k for k, n in seen.items() if n > 1][:10]
    assert statuses() == {DeliveryStatus.DELIVERED: 1000}
    # Both took part (one taking all would be possible, but with batches of 20 unlikely).
    assert all(d["delivered"] > 0 for d in done), done
    assert sum(d["delivered"] for d in done) == 1000
    assert sum(d["retried"] + d["dead"] for d in done) == 0
    assert not Notification.objects.exclude(lease_until=None).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(children):
    """SIGKILL in the middle of a batch, then another worker once the lease has run out.

    Delivery is at-least-once: the notification whose request was in flight when the
    worker died was sent but never marked, so it is sent again after the lease (5 min)
    ends. Each request carries the notification's idempotency key (``X-Tousu-Key``), by
    which a receiver drops the repeat. Nothing may be lost or stay claimed, and nothing
    but that one may be sent twice.
    """
    now = timezone.now()
    with Receiver(hold_at=5) as receiver:
        keys = outbox(30, url=receiver.url, due=now - timedelta(minutes=1))
        doomed = children.command("worker", "--once", "--now", now.isoformat(), name="doomed")
        # The receiver holds the fifth request: the worker is now mid-delivery.
        assert receiver.holding.wait(timeout=CHILD_TIMEOUT), doomed.stderr[-3000:]
        doomed.process.send_signal(signal.SIGKILL)
        assert doomed.finish(timeout=10) == -signal.SIGKILL
        receiver.release()
        in_flight = receiver.keys[4]

        # Four were delivered and marked; the rest stay claimed until the lease ends.
        assert statuses() == {DeliveryStatus.DELIVERED: 4, DeliveryStatus.DELIVERING: 26}
        claimed = Notification.objects.filter(status=DeliveryStatus.DELIVERING)
        assert set(claimed.values_list("lease_until", flat=True)) == {now + LEASE}

        # Within the lease another worker leaves them alone (the first might be alive).
        within = now + LEASE - timedelta(seconds=1)
        children.command("worker", "--once", "--now", within.isoformat(), name="early").succeed(
            timeout=CHILD_TIMEOUT
        )
        assert len(receiver.keys) == 5
        assert statuses()[DeliveryStatus.DELIVERING] == 26

        later = now + LEASE + timedelta(minutes=1)
        children.command("worker", "--once", "--now", later.isoformat(), name="restarted").succeed(
            timeout=CHILD_TIMEOUT
        )
        seen = receiver.counts()
    assert statuses() == {DeliveryStatus.DELIVERED: 30}
    assert sorted(seen) == keys
    assert {k for k, n in seen.items() if n > 1} <= {in_flight}
    assert max(seen.values()) <= 2
    assert not Notification.objects.exclude(lease_until=None).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_breach_each_deadline_once(children):
    users = demo_organisation_create("school")
    for i in range(100):
        # Two deadlines each at intake: the investigation (24 h) and the slip (2 days).
        complaint_make(
            users["reception"],
            category="teacher_attendance",
            nature="problem",
            complainant=complainant(phone=f"1380000{i:04d}"),
        )
    deadlines = list(Deadline.objects.all())
    assert len(deadlines) >= 200
    now = timezone.now() + timedelta(days=30)
    assert all(d.due_at < now for d in deadlines)
    first = children.gated("command", "worker", "--once", "--now", now.isoformat(), name="a")
    second = children.gated("command", "worker", "--once", "--now", now.isoformat(), name="b")
    children.go()
    first.succeed(timeout=CHILD_TIMEOUT)
    second.succeed(timeout=CHILD_TIMEOUT)

    runs = list(WorkerRun.objects.all())
    assert [r.status for r in runs] == [RunStatus.DONE, RunStatus.DONE], [r.error for r in runs]
    assert sum(r.counts.get("breached", 0) for r in runs) == len(deadlines)
    assert sum(r.counts.get("warned", 0) for r in runs) == len(deadlines)
    # Both took part: the rows were shared out, not done twice.
    assert all(r.counts["breached"] + r.counts["warned"] > 0 for r in runs), [
        r.counts for r in runs
    ]
    assert not Deadline.objects.filter(breached_at=None).exists()
    assert set(Deadline.objects.values_list("breached_at", flat=True)) == {now}

    # One breach escalation per deadline on the timeline, and no warning: a worker that
    # comes after the due time does not warn of a limit already past.
    # (The complaints' deadlines: the mass complaint's incident has its own, chased too.)
    of_complaints = [d for d in deadlines if d.complaint_id]
    assert len(of_complaints) == 200
    per_complaint = Counter(d.complaint_id for d in of_complaints)
    escalated = AuditEvent.objects.filter(action=EventAction.ESCALATED)
    events = [(e.complaint_id, e.data["deadline"]) for e in escalated if e.data["at"] == "breach"]
    assert len(events) == len(of_complaints)
    assert set(Counter(events).values()) == {1}
    assert Counter(c for c, _label in events) == per_complaint
    assert not [e for e in escalated if e.data["at"] == "warning"]

    # late_slip: one entry per breached slip deadline and person, and one audit line each.
    slips = {d.pk for d in deadlines if d.kind == "transfer_slip"}
    entries = list(PenaltyEntry.objects.filter(rule="late_slip"))
    assert len(entries) == len(slips) == 100
    assert {e.deadline_id for e in entries} == slips
    assert set(Counter((e.deadline_id, e.person_id) for e in entries).values()) == {1}
    assert len({e.key for e in entries}) == len(entries)
    assert sum(r.counts.get("penalties", 0) for r in runs) == PenaltyEntry.objects.count()
    assessed = AuditEvent.objects.filter(action="penalty.assessed").count()
    assert assessed == PenaltyEntry.objects.count()

    # Every breached deadline told its people once (keys name the deadline and person).
    told = Notification.objects.filter(key__contains=":breach:u", channel=Channel.IN_APP)
    assert {int(k.split(":")[1]) for k in told.values_list("key", flat=True)} == {
        d.pk for d in deadlines
    }
    report = audit_verify()
    assert report.ok, report


def test_worker_refuses_a_now_that_is_not_an_instant():
    """Checked before the database is touched, so it needs none."""
    result = subprocess.run(
        [sys.executable, "-m", "tousu", "worker", "--now", "not-a-date"],
        env=worker_env(database=False),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert result.returncode != 0
    assert "--now" in result.stderr and "not-a-date" in result.stderr
    assert "ISO 8601" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "not-a-date",
        "2026-10-02T09:00:00",  # no offset: which 9 o'clock?
        "2026-02-30T09:00:00+08:00",  # well formed, but no such day
    ],
)
def test_worker_refuses_a_bad_now(value):
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("worker", "--once", "--now", value)


@pytest.mark.django_db
def test_worker_refuses_an_empty_now():
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("worker", "--once", "--now", "")


@pytest.mark.django_db
def test_a_failing_job_leaves_its_own_error_on_the_run():
    with (
        mock.patch(
            "tousu.supervision.tasks.deadlines_sweep", side_effect=RuntimeError("sweep exploded")
        ),
        pytest.raises(RuntimeError, match="sweep exploded"),  # the run re-raises it
    ):
        run_once(now=timezone.now())
    run = WorkerRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "sweep exploded" in run.error
