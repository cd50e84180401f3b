"""Concurrent writers on PostgreSQL: tracking numbers stay unique, the chain stays whole."""

import threading

import pytest
from django.db import connection

from tousu.audit.services import audit_verify
from tousu.complaints.models import Complaint
from tousu.complaints.tests.factories import complaint_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_registrations_keep_numbers_unique_and_the_chain_intact(org):
    errors: list[BaseException] = []

    def register(count: int) -> None:
        try:
            for _ in range(count):
                complaint_make(org.clerk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(10,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(Complaint.objects.values_list("tracking_no", flat=True))
    assert len(numbers) == 80 == len(set(numbers))
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 81))
    report = audit_verify()
    assert report.ok and report.checked == 80
