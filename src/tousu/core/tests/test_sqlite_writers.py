"""SQLite's writers queue on a lock file beside the database (``tousu.core.sqlite``):
a write transaction holds it from BEGIN to COMMIT or ROLLBACK, a writer of another
process waits for it and then goes, a killed writer frees it, and a waiter gives up after
the database's timeout with SQLite's own error."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from tousu.complaints.models import ComplainantKey, DailySequence
from tousu.core.sqlite.base import AUTOCHECKPOINT_PAGES, CHECKPOINT_EVERY, DatabaseWrapper

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer queue"),
]

HOLDER = """
import sys
import django
django.setup()
from django.db import transaction
from tousu.complaints.models import ComplainantKey, DailySequence
from tousu.core.sqlite.base import DatabaseWrapper
with transaction.atomic():
    DailySequence.objects.create(day="2001-01-01", last=1)
    print("held", flush=True)
    sys.stdin.readline()
"""


def _lock_path() -> str:
    return f"{connection.settings_dict['NAME']}-writer.lock"


def _lock_is_free() -> bool:
    handle = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(handle)  # drops the lock, if this took it
    return True


class Holder:
    """Another process in a write transaction, until ``release``."""

    def __init__(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tousu.settings",
            "TOUSU_DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    def release(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return self.process.wait(30)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)


def _write_in_thread(day: date, errors: list[BaseException]) -> threading.Thread:
    def write():
        try:
            with transaction.atomic():
                DailySequence.objects.create(day=day, last=1)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_a_write_transaction_holds_the_lock_file_until_it_ends():
    assert _lock_is_free()
    with transaction.atomic():
        DailySequence.objects.create(day=date(2001, 1, 2), last=1)
        assert not _lock_is_free()
    assert _lock_is_free()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        DailySequence.objects.create(day=date(2001, 1, 3), last=1)
        assert not _lock_is_free()
        raise ZeroDivisionError  # rolled back: the lock goes with it
    assert _lock_is_free()
    assert not DailySequence.objects.filter(day=date(2001, 1, 3)).exists()


def test_a_writer_of_another_process_makes_this_one_wait_then_go():
    holder = Holder()
    errors: list[BaseException] = []
    thread = _write_in_thread(date(2001, 1, 4), errors)
    thread.join(0.5)
    # Still waiting: the other process has the database.
    assert thread.is_alive() and errors == []
    assert not DailySequence.objects.filter(day=date(2001, 1, 4)).exists()
    assert holder.release() == 0
    thread.join(30)
    assert not thread.is_alive() and errors == []
    days = set(DailySequence.objects.values_list("day", flat=True))
    assert {date(2001, 1, 1), date(2001, 1, 4)} <= days


def test_a_killed_writer_frees_the_queue():
    holder = Holder()
    holder.kill()
    errors: list[BaseException] = []
    thread = _write_in_thread(date(2001, 1, 5), errors)
    thread.join(30)
    assert not thread.is_alive() and errors == []
    # The killed transaction left nothing.
    assert not DailySequence.objects.filter(day=date(2001, 1, 1)).exists()
    assert DailySequence.objects.filter(day=date(2001, 1, 5)).exists()


def test_a_waiter_gives_up_after_the_timeout_and_the_next_writer_goes(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    holder = Holder()
    try:
        with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
            DailySequence.objects.create(day=date(2001, 1, 6), last=1)
    finally:
        assert holder.release() == 0
    # Nothing of the refused transaction holds the queue: the next one goes.
    with transaction.atomic():
        DailySequence.objects.create(day=date(2001, 1, 7), last=1)
    assert not DailySequence.objects.filter(day=date(2001, 1, 6)).exists()
    assert _lock_is_free()


def test_a_commit_sqlite_refuses_rolls_back_and_frees_the_queue():
    """A foreign key is checked at COMMIT (deferred): the refused transaction is rolled
    back and the next writer goes."""
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplainantKey.objects.create(complainant_id=999_999, digest="nobody")
    assert _lock_is_free()
    assert not ComplainantKey.objects.filter(digest="nobody").exists()
    with transaction.atomic():
        DailySequence.objects.create(day=date(2001, 1, 8), last=1)


def test_a_lock_file_that_cannot_be_opened_is_named_in_the_error(monkeypatch, tmp_path):
    monkeypatch.setattr(DatabaseWrapper, "_writer_path", lambda self: str(tmp_path))
    with pytest.raises(OperationalError, match="writers' lock"), transaction.atomic():
        DailySequence.objects.create(day=date(2001, 1, 9), last=1)
    monkeypatch.undo()
    with transaction.atomic():  # the process's turn was given back
        DailySequence.objects.create(day=date(2001, 1, 10), last=1)
    assert not DailySequence.objects.filter(day=date(2001, 1, 9)).exists()


def test_the_log_is_copied_into_the_database_after_a_writers_turn_not_in_it(monkeypatch):
    """SQLite's own checkpoint runs inside the COMMIT that takes the log past 1,000 pages,
    in the writers' turn; here it waits for a log ten times that, and the process copies
    the log every ``CHECKPOINT_EVERY`` commits once the lock is free."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == AUTOCHECKPOINT_PAGES
    done: list[tuple[bool, int, int]] = []
    real = DatabaseWrapper._checkpoint

    def watched(self):
        free = _lock_is_free()
        real(self)
        busy, pages, copied = self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        done.append((free, pages, copied))

    monkeypatch.setattr(DatabaseWrapper, "_checkpoint", watched)
    for n in range(2 * CHECKPOINT_EVERY):
        with transaction.atomic():
            DailySequence.objects.create(day=date(2002, 1, 1) + timedelta(days=n), last=1)
    assert len(done) == 2
    # The lock was free, and the log is all in the database after each.
    assert all(free and pages > 0 and copied == pages for free, pages, copied in done), done
