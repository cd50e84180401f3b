"""What the worker does with the deadline rows that have come due: warnings, breaches
(escalation, penalties) and follow-up visits. Rows are handled a chunk a transaction,
locked (SKIP LOCKED where the database has it) and marked in that same transaction, so
however many workers run and however often, each happens once.

A row has one subject. A complaint's row goes through the plan (escalation, penalties,
triggers); an incident's row to ``incidents.chase.incident_deadline_chase`` and an
improvement action's to ``incidents.chase.improvement_deadline_chase`` — neither ever
reaches the complaint-only code below."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from tousu.assessment.penalties import penalties_for_breach
from tousu.audit.bulk import audit_batch
from tousu.audit.services import audit_record
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.complaints.notify import staff_notify
from tousu.complaints.presenters import deadline_label
from tousu.complaints.workflow import complaint_escalate
from tousu.core.actors import WORKER
from tousu.core.config import config_scope
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import deadlines_due, deadlines_warn
from tousu.incidents.chase import improvement_deadline_chase, incident_deadline_chase
from tousu.incidents.triggers import breach_weighed
from tousu.notifications.services import notify_complainant
from tousu.plans.definition import condition_holds
from tousu.plans.people import people_for
from tousu.plans.schema import Plan
from tousu.plans.selectors import revision_cached

FOLLOW_UP = "follow_up"

log = logging.getLogger(__name__)


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


def _lock(pks: list[int], **open_filter) -> list[Deadline]:
    """The rows of ``pks`` still open (and unmarked), locked — rows another worker holds
    are skipped — with their complaints, whose plan revisions come from the process's
    cache."""
    rows = list(
        # Lock the deadline rows only: PostgreSQL cannot lock the nullable side of a join.
        Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "incident__plan_revision",
            "complaint__department__parent",
            "complaint__category",
            "complaint__assignee",
            "complaint__received_by",
            "complaint__complainant",
        )
        .filter(pk__in=pks, closed_at__isnull=True, paused_at__isnull=True, **open_filter)
        # A case's rows together, and cases in one order in every worker: two workers
        # touch shared rows (a complaint, its deadlines) in the same order.
        .order_by("complaint_id", "incident_id", "improvement_id", "due_at", "pk")
    )
    complaints: dict[int, Complaint] = {}
    for row in rows:
        if row.complaint is None:
            continue
        # One instance a complaint: what one row's escalation changed, the next one sees.
        row.complaint = complaints.setdefault(row.complaint.pk, row.complaint)
        if row.complaint.plan_revision_id is not None:
            row.complaint.plan_revision = revision_cached(row.complaint.plan_revision_id)
    return rows


def _escalate(row: Deadline, at: str, now: datetime) -> dict:
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
        for person in people_for(complaint, escalation.notify, plan):
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
            people = people_for(complaint, [target_role], plan)
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


def _follow_up_due(row: Deadline, now: datetime) -> None:
    complaint = _complaint(row)
    plan = _plan(row)
    people = staff_notify(
        users=people_for(complaint, plan.follow_up.by if plan.follow_up else [], plan),
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


def _drain(
    select,
    mark: str,
    handle,
    *,
    now: datetime,
    batch: int,
    chunk: int,
    counts: dict[str, int],
    errors: list[Exception],
) -> None:
    """Handle every row ``select`` finds, ``chunk`` rows a transaction: lock them
    (skipping rows another worker holds), set ``mark`` so none is handled again, act on
    each (``handle`` adds to ``counts``), their audit events written chain by chain at the
    end. When acting on one row raises, the chunk is rolled back and its rows are taken
    one a transaction: the failing row is left for the next pass, its error added to
    ``errors``, and every other row is done."""

    def attempt(pks: list[int]) -> int:
        before = dict(counts)
        try:
            return _handle(pks, mark, handle, now)
        except Exception:
            counts.update(before)  # what the rolled-back transaction counted is undone
            raise

    while True:
        ids = list(select(before=now, limit=batch).values_list("pk", flat=True))
        done = 0
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            try:
                done += attempt(part)
                continue
            except Exception as exc:
                if len(part) == 1:
                    log.exception("deadline %s: handling failed", part[0])
                    errors.append(exc)
                    continue
            for pk in part:
                try:
                    done += attempt([pk])
                except Exception as exc:
                    log.exception("deadline %s: handling failed", pk)
                    errors.append(exc)
        if len(ids) < batch or not done:
            return


def _handle(pks: list[int], mark: str, handle, now: datetime) -> int:
    """Lock, mark and act on the open rows of ``pks`` in one transaction, the
    configuration read once for them all; how many."""
    with config_scope(), transaction.atomic(), audit_batch():
        rows = _lock(pks, **{f"{mark}__isnull": True})
        if rows:
            Deadline.objects.filter(pk__in=[row.pk for row in rows]).update(**{mark: now})
        for row in rows:
            handle(row)
    return len(rows)


def deadlines_sweep(*, now: datetime, batch: int = 200, chunk: int = 50) -> dict[str, int]:
    """Warn, breach and call due follow-ups as of ``now``; returns what it did. A row
    whose handling raises is left for the next pass and, once every other row is done,
    its error raised."""
    counts = {"warned": 0, "breached": 0, "follow_ups": 0, "penalties": 0}

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
            _escalate(row, "warning", now)
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
            _follow_up_due(row, now)
            counts["follow_ups"] += 1
        else:
            _escalate(row, "breach", now)
            counts["penalties"] += penalties_for_breach(deadline=row, now=now)
            # A plan trigger on this deadline opens (or raises) the emergency response.
            breach_weighed(deadline=row, now=now)
            counts["breached"] += 1

    errors: list[Exception] = []
    for select, mark, handle in (
        (deadlines_warn, "warned_at", warn),
        (deadlines_due, "breached_at", breach),
    ):
        _drain(
            select, mark, handle, now=now, batch=batch, chunk=chunk, counts=counts, errors=errors
        )
    if errors:
        # Every other row is done; the pass reports the first failure (all are logged).
        raise errors[0]
    return counts
