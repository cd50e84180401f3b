"""The shared task queue (TOUSU_TASK_BACKEND=database, django-tasks-db): two
`tousu db_worker` processes on one PostgreSQL database run every enqueued task once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from django_tasks_db.models import DBTaskResult

from tousu.ops.tests.probe_tasks import note_run
from tousu.supervision.tests.processes import worker_env

TASKS = 80

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def queue_settings(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
        "worker": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    }


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_enqueued_task_once(queue_settings, tmp_path):
    ledger = tmp_path / "runs.txt"
    results = [note_run.enqueue(number, str(ledger)) for number in range(TASKS)]
    assert DBTaskResult.objects.filter(status="READY").count() == TASKS
    assert not ledger.exists()  # enqueued, not run: the web process does not run them

    env = {**worker_env(), "TOUSU_TASK_BACKEND": "database"}
    workers = []
    for name in ("w1", "w2"):
        out = (tmp_path / f"{name}.err").open("wb")
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tousu",
                    "db_worker",
                    "--batch",
                    "--interval",
                    "0.1",
                    "--no-startup-delay",
                    "--worker-id",
                    name,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        )
    try:
        for worker in workers:
            assert worker.wait(timeout=120) == 0, (tmp_path / "w1.err").read_text()[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)

    runs = Counter(int(line.split()[0]) for line in ledger.read_text().splitlines())
    assert runs == Counter({number: 1 for number in range(TASKS)})
    rows = DBTaskResult.objects.filter(pk__in=[r.id for r in results])
    assert set(rows.values_list("status", flat=True)) == {"SUCCESSFUL"}
    claimed_by = Counter(w for ids in rows.values_list("worker_ids", flat=True) for w in ids)
    assert set(claimed_by) == {"w1", "w2"}, claimed_by  # both took a share
    assert sum(claimed_by.values()) == TASKS  # and each task was claimed once
    pids = {line.split()[1] for line in ledger.read_text().splitlines()}
    assert len(pids) == 2
    assert note_run.get_result(results[0].id).return_value == 0
