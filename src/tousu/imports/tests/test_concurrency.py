"""Two imports of one file at once, beside staff registering complaints of the same days:
every record comes in once, tracking numbers stay unique, the audit log intact."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from tousu.audit.services import audit_verify
from tousu.complaints.models import Complaint
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import Conflict
from tousu.demo.loader import demo_organisation_create
from tousu.imports.mapping import mapping_load
from tousu.imports.models import ImportedRecord
from tousu.imports.services import import_file
from tousu.imports.tests.files import ago, mapping_file, row, xlsx_file


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_bring_each_record_in_once(tmp_path: Path):
    users = demo_organisation_create("market")
    received = ago(hours=3)
    rows = [row(f"P{n:03d}", received, closed=n % 3 != 0) for n in range(60)]
    path = xlsx_file(tmp_path, rows)
    mapping = mapping_load(mapping_file(tmp_path))
    start = threading.Barrier(3)
    errors: list[BaseException] = []
    imported: list[int] = []

    def importing() -> None:
        try:
            start.wait()
            imported.append(import_file(path=path, mapping=mapping, batch=7).imported)
        except Conflict:
            pass  # the other import took these records first: a re-run adds the rest
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def registering() -> None:
        try:
            start.wait()
            for _ in range(10):
                complaint_make(users["clerk"], received_at=received)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    running = [threading.Thread(target=importing) for _ in range(2)]
    running.append(threading.Thread(target=registering))
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    # Whatever a stopped import left out, running it again brings in.
    import_file(path=path, mapping=mapping)
    assert ImportedRecord.objects.count() == 60
    assert Complaint.objects.count() == 70
    numbers = list(Complaint.objects.values_list("tracking_no", flat=True))
    assert len(set(numbers)) == 70
    report = audit_verify()
    assert report.ok, report.problems
