"""The sweep takes due deadlines a chunk a transaction: the queries grow by a few per
deadline, not by a transaction each, and a deadline whose handling fails holds up only
itself — and each is handled once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tousu.audit.models import AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.supervision import sweep
from tousu.supervision.sweep import deadlines_sweep

pytestmark = pytest.mark.django_db


def _register(users, count: int) -> list:
    return [
        complaint_register(
            actor=users["clerk"],
            channel="phone",
            title=f"冰箱不制冷{i}",
            description="购买一周的冰箱不制冷，要求退货。",
            category="quality",
            complainant=ComplainantData(name="王芳", phone=f"1390000{i:04d}"),
        )
        for i in range(count)
    ]


def _open_rows(complaints) -> list[Deadline]:
    return list(
        Deadline.objects.filter(complaint__in=complaints, closed_at__isnull=True).order_by(
            "complaint_id", "pk"
        )
    )


def _breach_events(complaint) -> int:
    return AuditEvent.objects.filter(
        complaint=complaint, action="complaint.escalated", data__at="breach"
    ).count()


def _queries_of_sweep(complaints) -> tuple[int, int, int]:
    """The queries of a sweep that breaches every open row of ``complaints``, the rows
    it breached and how many there were."""
    rows = _open_rows(complaints)
    now = max(row.due_at for row in rows) + timedelta(days=1)
    with CaptureQueriesContext(connection) as queries:
        counts = deadlines_sweep(now=now)
    return len(queries), counts["breached"], len(rows)


def test_the_queries_of_a_sweep_grow_by_a_few_per_deadline():
    users = demo_organisation_create("market")
    few = _register(users, 4)
    many = _register(users, 12)
    # The acceptance limit only: the settlement limit's breach opens an emergency
    # response (the market plan's trigger), a cost of its own.
    Deadline.objects.filter(kind="settlement").update(closed_at=F("anchor_at"))
    # Sweep the few first (the many are not due yet: their rows are pushed far ahead).
    far = timedelta(days=3650)
    for row in _open_rows(many):
        Deadline.objects.filter(pk=row.pk).update(due_at=row.due_at + far, warn_at=None)
    for row in _open_rows(few):
        Deadline.objects.filter(pk=row.pk).update(warn_at=None)
    few_queries, few_breached, few_rows = _queries_of_sweep(few)
    for row in _open_rows(many):
        Deadline.objects.filter(pk=row.pk).update(due_at=row.due_at - far)
    many_queries, many_breached, many_rows = _queries_of_sweep(many)
    assert (few_breached, many_breached) == (few_rows, many_rows) == (4, 12)
    # Per breach: the complaint's version, its participants, the message to the people
    # the plan names, the escalation's audit event and its chain (per complaint): no
    # transaction, lock or mark of its own. The staff the plan names (with their roles
    # and channels) are read once a configuration: the few's sweep read them for both.
    assert (few_queries, many_queries) == (51, 103)


def test_a_failing_deadline_holds_up_only_itself_and_the_rest_are_handled_once(monkeypatch):
    users = demo_organisation_create("market")
    complaints = _register(users, 6)
    rows = _open_rows(complaints)
    failing = rows[len(rows) // 2]
    real = sweep.breach_weighed

    def weighed(*, deadline, now):
        if deadline.pk == failing.pk:
            raise RuntimeError("the trigger check failed")
        return real(deadline=deadline, now=now)

    monkeypatch.setattr(sweep, "breach_weighed", weighed)
    now = max(row.due_at for row in rows) + timedelta(days=1)
    with pytest.raises(RuntimeError, match="trigger check"):
        deadlines_sweep(now=now)
    left = [row.pk for row in rows if Deadline.objects.get(pk=row.pk).breached_at is None]
    assert left == [failing.pk]
    monkeypatch.setattr(sweep, "breach_weighed", real)
    assert deadlines_sweep(now=now)["breached"] == 1
    assert deadlines_sweep(now=now + timedelta(minutes=5))["breached"] == 0
    for complaint in complaints:
        assert _breach_events(complaint) == len([r for r in rows if r.complaint_id == complaint.pk])
    assert audit_verify().problems == []
