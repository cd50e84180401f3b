"""The day's counter behind tracking numbers. On PostgreSQL a registration takes it in a
statement of its own before its transaction, whose commit does not wait for the disk:
the registration's own commit, which does wait, comes later in the log and carries the
counter with it. A number lost in a crash was held by no complaint."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from tousu.complaints.models import DailySequence
from tousu.complaints.services import _tracking_no_next

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commits"),
]

MOMENT = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_the_counter_counts_apart_and_inside_a_transaction_alike():
    assert connection.get_autocommit()
    first, second = _tracking_no_next(MOMENT), _tracking_no_next(MOMENT)
    with transaction.atomic():
        third = _tracking_no_next(MOMENT)
    assert [first, second, third] == [f"TS-20260315-00000{n}" for n in (1, 2, 3)]
    assert DailySequence.objects.get(day="2026-03-15").last == 3


def test_only_the_counters_own_commit_skips_the_wait_for_the_disk():
    _tracking_no_next(MOMENT)
    # The setting was the counter's statement's alone: the connection's next commits wait.
    assert _synchronous_commit() == "on"
    with transaction.atomic():
        _tracking_no_next(MOMENT)  # inside a registration's transaction: its commit waits
        assert _synchronous_commit() == "on"
