"""A worker whose claim ran out sends nothing another worker took over.

A worker claims a batch for ``LEASE`` and sends it one row at a time. When it is slow
(here: held on its first request), its lease runs out and a second worker takes the
batch over and delivers it. When the first one comes back it must not send the rest
of the batch again: only the row that was in flight when the lease ran out may arrive
twice (at least once, with its idempotency key).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import LEASE
from tousu.supervision.tests.processes import Children, Receiver

CHILD_TIMEOUT = 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_worker_does_not_resend_what_another_took_over(tmp_path):
    now = timezone.now()
    children = Children(tmp_path)
    try:
        with Receiver(hold_at=1) as receiver:
            keys = [f"takeover:{i:02d}" for i in range(20)]
            Notification.objects.bulk_create(
                Notification(
                    key=key,
                    channel=Channel.WEBHOOK,
                    address=receiver.url,
                    subject="测试",
                    body=key,
                    created_at=now,
                    next_attempt_at=now,
                )
                for key in keys
            )
            slow = children.command("worker", "--once", "--now", now.isoformat(), name="slow")
            assert receiver.holding.wait(timeout=CHILD_TIMEOUT), slow.stderr[-3000:]
            held = receiver.keys[0]
            # As of a moment after the slow one's lease: the batch is free to take over.
            later = now + LEASE + timedelta(minutes=1)
            children.command("worker", "--once", "--now", later.isoformat(), name="fast").succeed(
                timeout=CHILD_TIMEOUT
            )
            assert Counter(receiver.keys) == Counter(keys) + Counter([held])
            receiver.release()
            slow.succeed(timeout=CHILD_TIMEOUT)
            seen = receiver.counts()
    finally:
        children.stop_all()
    assert sorted(seen) == keys
    assert {k: n for k, n in seen.items() if n > 1} == {held: 2}
    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert not Notification.objects.exclude(lease_until=None).exists()
