"""Improvement actions' deadline rows: one row an action, whoever added it; the worker
warns and breaches each once on an injected clock; done or cancelled closes it; a
complaint's or an incident's action keeps its row off the case; and the migrations that
gave every action its own row go back."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.tests.factories import complaint_make
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import deadlines_open
from tousu.incidents.improvements import (
    improvement_add,
    improvement_cancel,
    improvement_complete,
)
from tousu.incidents.models import (
    ImprovementAction,
    Incident,
)
from tousu.incidents.tests.improvements_setup import (
    NOW,
    REPORT,
    add,
    audited,
    finished_drill,
    register_urgent,
    told,
    web,
)
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import at, clients, clock
from tousu.supervision.worker import run_once

pytestmark = pytest.mark.django_db


def test_every_action_is_one_deadline_row_the_worker_warns_then_breaches_once(org):
    drill = finished_drill()
    with clock(NOW):
        action = add(org, due_on=date(2026, 11, 10))  # from an analysis report
        drilled = add(
            org, title="现场处置组指定替补", drill=drill, source_ref="", due_on=date(2026, 11, 10)
        )
        soon = add(org, title="当天到期", due_on=date(2026, 11, 3))
    for one in (action, drilled, soon):
        row = one.deadline
        assert row is not None and list(Deadline.objects.filter(improvement=one)) == [row]
        assert (row.complaint_id, row.incident_id, row.kind) == (None, None, "improvement")
        assert row.closed_at is None
    # Due by the end of the due day (local time), warned a day before.
    assert action.deadline.due_at == at("2026-11-11T00:00:00+08:00")
    assert action.deadline.warn_at == at("2026-11-10T00:00:00+08:00")
    assert soon.deadline.warn_at is None  # due within two days: no warning, only the breach
    # ``soon`` ended with 3 November: overdue, its owner and whoever added it told.
    run = run_once(now=at("2026-11-09T23:59:00+08:00"))
    assert run.counts["breached"] == 1 and run.counts["warned"] == 0
    assert len(told(org.head, f"improvement:{soon.pk}:overdue")) == 1
    assert len(told(org.leader, f"improvement:{soon.pk}:overdue")) == 1
    assert not told(org.head, f"improvement:{action.pk}:warning")
    # The warning, once each, however many passes.
    for _pass in range(2):
        run = run_once(now=at("2026-11-10T00:00:01+08:00"))
    for one in (action, drilled):
        warning = told(org.head, f"improvement:{one.pk}:warning")
        assert len(warning) == 1 and "2026-11-10" in warning[0] and one.title in warning[0]
        assert audited(one, "warning") == 1
    assert "演练 #" in told(org.head, f"improvement:{drilled.pk}:warning")[0] or (
        "Drill #" in told(org.head, f"improvement:{drilled.pk}:warning")[0]
    )
    assert not told(org.leader, f"improvement:{action.pk}:warning")  # the owner's
    # Not overdue before the end of the day; then overdue, once, on the row.
    run_once(now=at("2026-11-10T23:00:00+08:00"))
    action.deadline.refresh_from_db()
    assert action.deadline.breached_at is None
    with clock("2026-11-10T23:00:00+08:00"):
        page = web(org.leader).get("/incidents/improvements/?overdue=on").content.decode()
    assert soon.title in page and action.title not in page
    run = run_once(now=at("2026-11-11T00:00:01+08:00"))
    assert run.counts["breached"] == 2
    run = run_once(now=at("2026-11-12T09:00:00+08:00"))
    assert run.counts.get("breached", 0) == 0
    for one in (action, drilled):
        one.deadline.refresh_from_db()
        assert one.deadline.breached_at == at("2026-11-11T00:00:01+08:00")
        assert len(told(org.head, f"improvement:{one.pk}:overdue")) == 1
        assert len(told(org.leader, f"improvement:{one.pk}:overdue")) == 1
        assert audited(one, "overdue") == 1
    # Nothing a complaint's breach does happened: no penalty, no complaint event.
    assert not PenaltyEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="complaint.").exists()
    # The list shows them overdue, read from the rows; the page says so too.
    leader = web(org.leader)
    with clock("2026-11-12T09:00:00+08:00"):
        page = leader.get("/incidents/improvements/?overdue=on").content.decode()
        detail = leader.get(f"/incidents/improvements/{action.pk}/").content.decode()
    assert action.title in page and drilled.title in page and soon.title in page
    assert "text-bg-danger" in detail


def test_a_done_or_cancelled_action_closes_its_row_and_is_never_breached(org):
    with clock(NOW):
        done = add(org, due_on=date(2026, 11, 10))
        cancelled = add(org, title="价格公示整改", category_key="price", due_on=date(2026, 11, 10))
        improvement_complete(action=done, actor=org.head, note="已建立进货查验台账")
        improvement_cancel(action=cancelled, actor=org.leader, reason="已并入其他整改")
    reasons = {}
    for one in (done, cancelled):
        row = Deadline.objects.get(improvement=one)
        assert row.closed_at == at(NOW)
        reasons[one.pk] = row.closed_reason
    assert reasons == {done.pk: "done", cancelled.pk: "cancelled"}
    for moment in ("2026-11-10T00:00:01+08:00", "2026-11-12T09:00:00+08:00"):
        run = run_once(now=at(moment))
        assert run.counts.get("warned", 0) == run.counts.get("breached", 0) == 0
    assert not Deadline.objects.filter(improvement__isnull=False, breached_at__isnull=False)
    assert not Deadline.objects.filter(improvement__isnull=False, warned_at__isnull=False)
    for one in (done, cancelled):
        assert not told(org.head, f"improvement:{one.pk}:overdue")
        assert not told(org.head, f"improvement:{one.pk}:warning")
    with clock("2026-11-12T09:00:00+08:00"):
        page = web(org.leader).get("/incidents/improvements/?overdue=on").content.decode()
    assert done.title not in page and cancelled.title not in page
    assert 'id="improvement-table"' not in page  # nothing overdue: no table at all


def test_a_complaints_action_is_on_its_timeline_and_its_row_stays_off_the_case(org):
    with clock(NOW):
        complaint = complaint_make(org.clerk, department="quality")  # the owner's
        running = set(deadlines_open(complaint).values_list("pk", flat=True))
        action = add(
            org,
            complaint=complaint,
            source_ref="",
            owner=org.head,
            actor=org.supervisor,
            due_on=date(2026, 11, 3),
        )
    # On the complaint's chain (its page lists it once EventAction names the action) …
    added = AuditEvent.objects.get(object_type="improvement", action="improvement.added")
    assert added.complaint_id == complaint.pk and added.data["improvement"] == action.title
    # … while the row is the action's: never among the case's deadlines.
    assert action.deadline.complaint_id is None
    assert set(deadlines_open(complaint).values_list("pk", flat=True)) == running
    before = set(AuditEvent.objects.filter(complaint=complaint).values_list("action", flat=True))
    run_once(now=at("2026-11-04T00:00:01+08:00"))
    action.deadline.refresh_from_db()
    assert action.deadline.breached_at is not None
    after = set(AuditEvent.objects.filter(complaint=complaint).values_list("action", flat=True))
    # The case's own deadlines may run out too, but nothing is charged to it for the action.
    assert "improvement.overdue" in after and not {"improvement.overdue"} & before
    assert not PenaltyEntry.objects.filter(deadline=action.deadline).exists()
    assert len(told(org.supervisor, f"improvement:{action.pk}:overdue")) == 1


def test_an_incidents_action_has_its_own_row_chased_once_through_the_incident():
    users = clients("enterprise")
    with clock("2026-03-02T09:00:00+08:00"):
        register_urgent(users["clerk"])
    incident = Incident.objects.get()
    leader, head = (User.objects.get(username=name) for name in ("leader", "head"))
    incident_rows = set(Deadline.objects.filter(incident=incident).values_list("pk", flat=True))
    with clock("2026-03-02T12:00:00+08:00"):
        action = improvement_add(
            title="排查同批次温控器",
            owner=head,
            due_on=date(2026, 3, 6),
            actor=leader,
            incident=incident,
        )
    row = action.deadline
    # One rule for every action: the row's subject is the action; the incident is on it.
    assert (row.improvement_id, row.incident_id, row.complaint_id) == (action.pk, None, None)
    assert set(Deadline.objects.filter(incident=incident).values_list("pk", flat=True)) == (
        incident_rows
    )
    assert row.due_at == at("2026-03-07T00:00:00+08:00")
    assert row.warn_at == at("2026-03-06T00:00:00+08:00")

    def told_by_incident(point: str) -> list[str]:
        return list(
            Notification.objects.filter(
                incident=incident, channel="in_app", key__startswith=f"deadline:{row.pk}:{point}:"
            ).values_list("recipient__username", flat=True)
        )

    for _pass in range(2):
        run_once(now=at("2026-03-06T00:00:01+08:00"))
    assert told_by_incident("warning") == ["head"]
    for _pass in range(2):
        run_once(now=at("2026-03-07T00:00:01+08:00"))
    row.refresh_from_db()
    assert row.warned_at == at("2026-03-06T00:00:01+08:00")
    assert row.breached_at == at("2026-03-07T00:00:01+08:00")
    breach = told_by_incident("breach")
    assert "head" in breach and "leader" in breach and len(breach) == len(set(breach))
    # On the incident's timeline, once each; the action's page finds them as well.
    events = AuditEvent.objects.filter(incident=incident, object_type="improvement")
    assert sorted(events.values_list("action", flat=True)) == [
        "incident.improvement_added",
        "incident.improvement_overdue",
        "incident.improvement_warning",
    ]
    page = web(leader).get(f"/incidents/{incident.number}/").content.decode()
    assert "排查同批次温控器" in page


INCIDENTS_BEFORE = [("incidents", "0002_emergency")]
DEADLINES_BEFORE = [("deadlines", "0003_emergency")]


def _migrate(targets):
    """Migrate to ``targets``; the models as the database now has them (every app)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migrations_go_back_with_an_action_of_each_source(org):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    drill = finished_drill()
    incident = Incident.objects.create(
        number="EM-20261102-01", title="冰箱起火", plan_revision=drill.plan_revision
    )
    with clock(NOW):
        complaint = complaint_make(org.clerk, department="quality")
        sources = [
            {"incident": incident, "actor": REPORT},
            {"drill": drill},
            {"complaint": complaint},
            {"source_ref": "客诉分析报告 2026-10"},
        ]
        actions = []
        for number, source in enumerate(sources):
            data = {"title": f"整改 {number}", "source_ref": "", **source}
            if "incident" in source:  # told through the incident, which a bare plan lacks
                data["actor"] = REPORT
                action = ImprovementAction.objects.create(
                    incident=incident, title=data["title"], owner=org.head,
                    due_on=date(2026, 11, 20), created_at=at(NOW),
                )  # fmt: skip
            else:
                action = add(org, **data)
            actions.append(action)
    # The incident's action as it was before deadlines 0004: its row on the incident.
    try:
        old = _migrate(DEADLINES_BEFORE)
        row = old.get_model("deadlines", "Deadline").objects.create(
            incident_id=incident.pk, stage="review", kind=f"improvement.{actions[0].pk}",
            anchor_at=at(NOW), amount=Decimal("10"), unit="hours",
            due_at=at("2026-11-21T00:00:00+08:00"),
        )  # fmt: skip
        old.get_model("incidents", "ImprovementAction").objects.filter(pk=actions[0].pk).update(
            deadline_id=row.pk
        )
        # Forward: every action's row is the action's.
        _migrate(latest)
        for action in actions:
            action.refresh_from_db()
            assert action.deadline is not None and action.deadline.improvement_id == action.pk
        assert actions[0].deadline_id == row.pk and actions[0].deadline.incident_id is None
        # Back to deadlines 0003: the incident's row as it was; the others' rows gone.
        old = _migrate(DEADLINES_BEFORE)
        Deadline_, Action_ = (
            old.get_model("deadlines", "Deadline"),
            old.get_model("incidents", "ImprovementAction"),
        )
        back = Deadline_.objects.get(pk=row.pk)
        assert (back.incident_id, back.complaint_id) == (incident.pk, None)
        assert (back.stage, back.kind) == ("review", f"improvement.{actions[0].pk}")
        assert set(Deadline_.objects.values_list("pk", flat=True)).isdisjoint(
            {a.deadline_id for a in actions[1:]}
        )
        assert dict(Action_.objects.values_list("pk", "deadline_id")) == {
            actions[0].pk: row.pk,
            **{a.pk: None for a in actions[1:]},
        }
        # Back to incidents 0002: refused, clearly, while actions without an incident exist.
        with pytest.raises(IrreversibleError, match="3 improvement action"):
            _migrate(INCIDENTS_BEFORE)
        Action_.objects.filter(incident=None).delete()
        old = _migrate(INCIDENTS_BEFORE)
        kept = old.get_model("incidents", "ImprovementAction").objects.get()
        assert (kept.pk, kept.incident_id, kept.deadline_id) == (actions[0].pk, incident.pk, row.pk)
    finally:
        _migrate(latest)
    assert ImprovementAction.objects.get().deadline.improvement_id == actions[0].pk
