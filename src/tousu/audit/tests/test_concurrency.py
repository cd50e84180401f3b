"""Concurrent writers on PostgreSQL: chains of different subjects never wait on each other.

Each test holds a transaction open in a thread (its own connection) and times what
another connection can do meanwhile; ``lock_timeout`` turns a wait into an error, so a
regression fails fast instead of hanging.
"""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from tousu.audit.models import AuditChain, AuditEvent
from tousu.audit.services import audit_record, audit_seal, audit_verify
from tousu.complaints.models import Complaint
from tousu.complaints.tests.factories import complaint_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _note(complaint, action="test.note"):
    return audit_record(
        actor=None, action=action, object_type="complaint", object_id="1", complaint=complaint
    )


class Held:
    """A transaction in another thread that appends for ``complaint`` and stays open."""

    def __init__(self, complaint):
        self.complaint = complaint
        self.appended = threading.Event()
        self.release = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                _note(self.complaint, "test.held")
                self.appended.set()
                assert self.release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.appended.wait(10), self.errors
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)
        assert self.errors == []


def _lock_timeout(milliseconds):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'")


def test_an_append_for_another_complaint_commits_while_one_is_held(org):
    a, b = complaint_make(org.clerk), complaint_make(org.clerk)
    with Held(a):
        started = time.monotonic()
        with transaction.atomic():
            _lock_timeout(2000)
            event = _note(b)
        assert time.monotonic() - started < 1.0
        assert AuditEvent.objects.filter(seq=event.seq).exists()  # committed, visible
        # The control: the held complaint's own chain does wait.
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            _lock_timeout(300)
            _note(a)
    assert list(a.events.values_list("action", flat=True))[-1] == "test.held"
    assert audit_verify().ok


def test_the_sealer_skips_a_held_chain_and_seals_it_next_time(org):
    a, b = complaint_make(org.clerk), complaint_make(org.clerk)
    audit_seal()
    _note(b)
    with Held(a):
        started = time.monotonic()
        seal = audit_seal()
        assert time.monotonic() - started < 1.0
        # b's new head is sealed; a's chain is locked by the held writer: left for later.
        assert [key for key, _seq, _hash in seal.heads] == [f"complaint:{b.pk}"]
    seal = audit_seal()
    chain = AuditChain.objects.get(key=f"complaint:{a.pk}")
    assert seal.heads == [[chain.key, chain.last_seq, chain.last_hash]]
    assert audit_verify().ok


def test_parallel_registrations_keep_numbers_unique_and_the_chains_intact(org):
    errors: list[BaseException] = []

    def register(count: int) -> None:
        try:
            for _ in range(count):
                complaint_make(org.clerk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def seal(stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                audit_seal()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    stop = threading.Event()
    sealer = threading.Thread(target=seal, args=(stop,))
    sealer.start()
    threads = [threading.Thread(target=register, args=(10,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    sealer.join()
    assert errors == []
    numbers = list(Complaint.objects.values_list("tracking_no", flat=True))
    assert len(numbers) == 80 == len(set(numbers))
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 81))
    audit_seal()
    report = audit_verify()
    assert report.ok, report.problems
    assert report.events == AuditEvent.objects.count() and report.seals >= 1
    assert report.unsealed_chains == 0
