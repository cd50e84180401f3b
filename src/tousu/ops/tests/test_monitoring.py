"""/healthz and /metrics as a load balancer and Prometheus see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tousu.complaints.tests.factories import complaint_make
from tousu.deadlines.models import Deadline
from tousu.deadlines.services.deadlines import deadline_open
from tousu.notifications.models import Notification
from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun

pytestmark = pytest.mark.django_db

# A scrape: the seven figures of ops.selectors.metrics_sample; nothing else (no session,
# no user) is read for it. Pinned: a new figure must say what it costs.
METRICS_QUERIES = 7


def _value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in:\n{text}"
    return float(match.group(1))


def test_healthz_says_the_database_answers_and_the_worker_age():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": {"last_pass_finished_at": None, "last_pass_age_seconds": None},
    }
    now = timezone.now()
    WorkerRun.objects.create(
        worker="host:1",
        now=now,
        started_at=now - timedelta(seconds=95),
        finished_at=now - timedelta(seconds=90),
        status=RunStatus.DONE,
    )
    # A newer pass that failed does not count as the last finished one.
    WorkerRun.objects.create(worker="host:1", now=now, status=RunStatus.FAILED)
    body = Client().get("/healthz").json()
    assert body["status"] == "ok"
    assert 89 <= body["worker"]["last_pass_age_seconds"] < 120
    assert "no-cache" in Client().get("/healthz")["Cache-Control"]


def test_healthz_refuses_other_methods():
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_when_the_database_does_not_answer():
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-dir/tousu.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = Client().get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert Client().get("/healthz").status_code == 200  # and back when it answers


def test_metrics_from_loopback_without_a_token(org, django_assert_num_queries):
    first = complaint_make(org.clerk)
    complaint_make(org.clerk, title="第二件投诉")
    now = timezone.now()
    # Whatever the plan opened itself and is overdue already (none in a fresh case).
    overdue = Deadline.objects.filter(
        closed_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True, due_at__lt=now
    ).count()
    # One deadline past due (two hours, counted from three hours ago) that the worker has
    # not seen yet, and one not due for a day.
    deadline_open(
        complaint=first,
        stage="ops",
        kind="reply",
        anchor_at=now - timedelta(hours=3),
        amount=2,
        unit="hours",
        warn_fraction=None,
    )
    deadline_open(
        complaint=first,
        stage="ops",
        kind="visit",
        anchor_at=now,
        amount=1,
        unit="days",
        warn_fraction=None,
    )
    pending = Notification.objects.filter(status="pending").count()
    WorkerRun.objects.create(
        worker="host:1",
        now=now,
        started_at=now - timedelta(seconds=12),
        finished_at=now - timedelta(seconds=10),
        status=RunStatus.DONE,
    )
    client = Client()
    with django_assert_num_queries(METRICS_QUERIES):
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert _value(text, "tousu_complaints_registered_total") >= 2
    assert "# TYPE tousu_complaints_registered_total counter" in text
    assert _value(text, "tousu_outbox_depth", '{status="pending"}') == pending
    assert _value(text, "tousu_outbox_depth", '{status="delivering"}') == 0
    assert _value(text, "tousu_report_jobs", '{status="queued"}') == 0
    assert _value(text, "tousu_deadlines_overdue", '{state="unmarked"}') == overdue + 1
    assert _value(text, "tousu_deadlines_overdue", '{state="breached"}') == 0
    assert _value(text, "tousu_task_queue_ready") == 0
    assert 10 <= _value(text, "tousu_worker_lag_seconds") < 60
    assert _value(text, "tousu_worker_last_pass_duration_seconds") == pytest.approx(2, abs=0.01)
    # No personal data: neither the complainant's name nor phone, nor a case's title.
    assert "张伟" not in text and "13812345678" not in text and "漏水" not in text


def test_metrics_from_elsewhere_without_a_token_is_forbidden(settings):
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403
    settings.METRICS_ADDRESSES = ["10.0.0.0/8", "not-a-network"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", "Basic czNjcmV0LXRva2Vu", "Bearer", "s3cret-token"]
)
def test_metrics_with_a_token_needs_it_from_everyone(settings, header):
    settings.METRICS_TOKEN = "s3cret-token"
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    # Loopback too: with a token set, the address does not stand in for it.
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"tousu_" not in response.content


def test_metrics_with_the_right_token(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    response = Client(REMOTE_ADDR="203.0.113.9").get(
        "/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token"
    )
    assert response.status_code == 200 and b"tousu_outbox_depth" in response.content


@pytest.mark.postgres
def test_every_figure_of_a_scrape_reads_an_index():
    """With sequential scans priced out, each query still has an index to read: none of
    them reads a whole table (at a million complaints the planner must not have to)."""
    from tousu.ops.selectors import metric_querysets

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    for name, queryset in metric_querysets(now=timezone.now()).items():
        query = queryset[:1] if name in ("complaints", "worker") else queryset
        plan = query.explain()
        assert "Seq Scan" not in plan, f"{name}:\n{plan}"
        assert "Index" in plan, f"{name}:\n{plan}"
