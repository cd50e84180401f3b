"""What the worker does with the deadline rows that have come due: warnings, breaches
(escalation, penalties) and follow-up visits. Each row is handled in its own transaction
with a row lock (SKIP LOCKED where the database has it), and is marked in that same
transaction, so however many workers run and however often, each happens once.

A row has one subject. A complaint's row goes through the plan (escalation, penalties,
triggers); an incident's row to ``incidents.chase.incident_deadline_chase`` and an
improvement action's to ``incidents.chase.improvement_deadline_chase`` — neither ever
reaches the complaint-only code below."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from tousu.assessment.penalties import penalties_for_breach
from tousu.audit.services import audit_record
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.complaints.notify import staff_notify
from tousu.complaints.presenters import deadline_label
from tousu.complaints.workflow import complaint_escalate
from tousu.core.actors import WORKER
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import deadlines_due, deadlines_warn
from tousu.incidents.chase import improvement_deadline_chase, incident_deadline_chase
from tousu.incidents.triggers import breach_weighed
from tousu.notifications.services import notify_complainant
from tousu.plans.definition import condition_holds
from tousu.plans.people import PeopleCache, people_for
from tousu.plans.schema import Plan

FOLLOW_UP = "follow_up"


def _complaint(row: Deadline) -> Complaint:
    """The row's complaint (only complaints' rows reach the plan's handling)."""
    if row.complaint is None:
        raise ValueError(f"deadline {row.pk} belongs to an incident or an improvement action")
    return row.complaint


def _plan(row: Deadline) -> Plan:
    """The plan the row's complaint runs under; deadlines are only set under a plan."""
    revision = _complaint(row).plan_revision
    if revision is None:
        raise ValueError(f"deadline {row.pk} belongs to a complaint without a plan")
    return revision.plan_model


def _lock(pk: int, **open_filter) -> Deadline | None:
    return (
        # Lock the deadline row only: PostgreSQL cannot lock the nullable side of a join.
        Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "incident__plan_revision",
            "complaint__plan_revision",
            "complaint__department__parent",
            "complaint__category",
            "complaint__assignee",
            "complaint__received_by",
            "complaint__complainant",
        )
        .filter(pk=pk, closed_at__isnull=True, paused_at__isnull=True, **open_filter)
        .first()
    )


def _escalate(row: Deadline, at: str, now: datetime, cache: PeopleCache) -> dict:
    """Run the plan's escalation rules for this deadline at ``at`` (warning/breach).

    Escalation adds, never takes away: it tells people, may raise the severity through
    the plan and may add a co-owner (the rule's ``reassign_to`` role or the named
    group's lead); the department keeps the case and its accountability."""
    complaint = _complaint(row)
    plan = _plan(row)
    notified: dict[int, object] = {}
    co_owners: dict[int, object] = {}
    severity = None
    stage = None
    for escalation in plan.escalations:
        if escalation.at != at or escalation.deadline not in ("*", row.kind):
            continue
        if not condition_holds(escalation.when, complaint):
            continue
        for person in people_for(complaint, escalation.notify, plan, cache):
            notified[person.pk] = person
        if escalation.raise_severity:
            keys = plan.keys_of("severities")
            current = (severity or complaint.severity) if complaint.severity in keys else keys[0]
            severity = keys[min(keys.index(current) + 1, len(keys) - 1)]
        if escalation.to:
            stage = escalation.to
        target_role = escalation.reassign_to
        group = plan.groups.get(escalation.hand_to_group or "")
        if group and group.lead:
            target_role = target_role or group.lead
        if target_role:
            people = people_for(complaint, [target_role], plan, cache)
            if people and people[0].pk not in (complaint.assignee_id,):
                co_owners[people[0].pk] = people[0]
    result = complaint_escalate(
        complaint=complaint,
        key=f"deadline:{row.pk}:{at}",
        event="warning" if at == "warning" else "breach",
        label=deadline_label(plan, row.kind),
        data={"at": at, "due_at": row.due_at},
        notify=list(notified.values()),
        severity=severity,
        stage=stage,
        co_owners=list(co_owners.values()),
        now=now,
        due_at=row.due_at,
        overdue=_overdue(row.due_at, now),
        deadline=deadline_label(plan, row.kind),
    )
    return {"notified": len(result["notified"]), "changed": bool(result["changes"])}


def _overdue(due_at: datetime, now: datetime) -> str:
    """How late, in words: never "0 minutes" (a worker runs seconds after a due time)."""
    from django.utils.timesince import timesince
    from django.utils.translation import gettext as _

    if now <= due_at:
        return ""
    if (now - due_at).total_seconds() < 60:
        return _("less than a minute")
    return timesince(due_at, now, depth=2)


def _follow_up_due(row: Deadline, now: datetime, cache: PeopleCache) -> None:
    complaint = _complaint(row)
    plan = _plan(row)
    people = staff_notify(
        users=people_for(complaint, plan.follow_up.by if plan.follow_up else [], plan, cache),
        key=f"deadline:{row.pk}:follow_up",
        complaint=complaint,
        event="follow_up",
        now=now,
    )
    if "follow_up" in plan.messages:
        # The plan's follow-up text is written for the complainant (回访: are you satisfied?).
        notify_complainant(complaint=complaint, event="follow_up", now=now)
    audit_record(
        actor=WORKER,
        action=EventAction.FOLLOW_UP_DUE,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={"by": "worker", "notified": [p.display_name for p in people]},
    )


def _drain(select, mark: str, handle, *, now: datetime, batch: int) -> None:
    """Handle every row ``select`` finds, each in its own transaction: lock it (skipping
    rows another worker holds), set ``mark`` so it is never handled again, act on it."""
    while True:
        ids = list(select(before=now, limit=batch).values_list("pk", flat=True))
        done = 0
        for pk in ids:
            with transaction.atomic():
                row = _lock(pk, **{f"{mark}__isnull": True})
                if row is None:
                    continue
                Deadline.objects.filter(pk=pk).update(**{mark: now})
                handle(row)
                done += 1
        if len(ids) < batch or not done:
            return


def deadlines_sweep(*, now: datetime, batch: int = 200) -> dict[str, int]:
    """Warn, breach and call due follow-ups as of ``now``; returns what it did."""
    counts = {"warned": 0, "breached": 0, "follow_ups": 0, "penalties": 0}
    cache: PeopleCache = {}  # staff by system role, read once per sweep

    def warn(row: Deadline) -> None:
        if row.improvement_id is not None:
            improvement_deadline_chase(row, "warning", now)
            counts["warned"] += 1
            return
        if row.incident_id is not None:
            incident_deadline_chase(row, "warning", now)
            counts["warned"] += 1
            return
        # A worker catching up after downtime does not warn of a limit already past: the
        # breach that follows in this pass says so instead.
        if row.kind != FOLLOW_UP and row.due_at > now:
            _escalate(row, "warning", now, cache)
        counts["warned"] += 1

    def breach(row: Deadline) -> None:
        if row.improvement_id is not None:
            improvement_deadline_chase(row, "breach", now)
            counts["breached"] += 1
            return
        if row.incident_id is not None:
            incident_deadline_chase(row, "breach", now)
            counts["breached"] += 1
            return
        if row.kind == FOLLOW_UP:
            _follow_up_due(row, now, cache)
            counts["follow_ups"] += 1
        else:
            _escalate(row, "breach", now, cache)
            counts["penalties"] += penalties_for_breach(deadline=row, now=now)
            # A plan trigger on this deadline opens (or raises) the emergency response.
            breach_weighed(deadline=row, now=now)
            counts["breached"] += 1

    _drain(deadlines_warn, "warned_at", warn, now=now, batch=batch)
    _drain(deadlines_due, "breached_at", breach, now=now, batch=batch)
    return counts
