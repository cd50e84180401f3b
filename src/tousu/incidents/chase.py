"""The worker's part in a response and in improvement: an incident's task, situation
report or report upward, or an improvement action (整改措施, whatever its source), coming
due or running out is told to whoever owes it and, when it runs out, to those who answer
for it. The sweep (``supervision.sweep``) locks and marks each deadline row once and
calls one function here per subject."""

from __future__ import annotations

from datetime import datetime

from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from tousu.audit.services import audit_record
from tousu.core.actors import WORKER
from tousu.deadlines.models import Deadline
from tousu.incidents.choices import ResponderPart
from tousu.incidents.command import commanders
from tousu.incidents.improvements import improvement_audit, notice_text
from tousu.incidents.models import (
    ImprovementAction,
    ImprovementStatus,
    Incident,
    Task,
    UpwardReport,
)
from tousu.incidents.notify import incident_notify
from tousu.notifications.services import notify_staff_notice


def deadline_label(incident: Incident, row: Deadline) -> tuple[str, list]:
    """What the row is for, in the plan's words, and who owes it."""
    kind, _sep, key = row.kind.partition(".")
    if kind == "task":
        task = Task.objects.filter(incident=incident, deadline=row).select_related("owner").first()
        if task is not None:
            return task.label, [task.owner] if task.owner_id else []
    if kind == "upward":
        report = UpwardReport.objects.filter(incident=incident, deadline=row).first()
        if report is not None:
            return _("Report to %(authority)s") % {"authority": report.authority_label}, []
    if kind == "situation":
        leads = [
            r.user
            for r in incident.responders.filter(part=ResponderPart.LEAD).select_related("user")
        ]
        return _("Situation report"), leads
    return row.kind, []


def incident_deadline_chase(row: Deadline, at: str, now: datetime) -> None:
    """Tell the owner at the warning; the owner and the commanders at the breach
    (inside the worker's transaction for the row)."""
    incident = row.incident
    assert incident is not None
    label, owners = deadline_label(incident, row)
    people = list(owners)
    if at == "breach" or not people:
        people += commanders(incident)
    overdue = timesince(row.due_at, now, depth=2) if now > row.due_at else ""
    incident_notify(
        users=[p for p in people if p is not None],
        key=f"deadline:{row.pk}:{at}",
        incident=incident,
        event=at,
        now=now,
        deadline=label,
        due_at=row.due_at,
        overdue=overdue,
    )
    audit_record(
        actor=WORKER,
        action=f"incident.{at}",
        object_type="incident",
        object_id=incident.number,
        incident=incident,
        data={
            "deadline": label,
            "due_at": row.due_at,
            "notified": sorted({p.display_name for p in people if p is not None}),
        },
    )


def improvement_deadline_chase(row: Deadline, at: str, now: datetime) -> bool:
    """An improvement action's row at its warning (``at`` warning) or due time (breach),
    inside the worker's transaction for the row (locked and marked by the sweep, so this
    runs once per row and point). The owner is warned; once it has run out the owner,
    whoever added it and, for an incident's action, the commanders are told that it is
    overdue. An incident's action is told through the incident (its timeline and
    messages), any other by a notice linking the action's page. A warning whose due time
    has passed already says nothing: the breach in the same pass does. Returns whether
    anyone was told."""
    if row.improvement_id is None:
        raise ValueError(f"deadline {row.pk} belongs to no improvement action")
    action = (
        ImprovementAction.objects.select_related("owner", "created_by", "incident", "complaint")
        .filter(pk=row.improvement_id)
        .first()
    )
    if action is None or action.status != ImprovementStatus.OPEN:
        return False  # its row closes with it; nothing to chase
    breach = at == "breach"
    if not breach and row.due_at <= now:
        return False
    people = [action.owner]
    if breach and action.created_by is not None:
        people.append(action.created_by)
    event = "overdue" if breach else "warning"
    if action.incident is not None:
        if breach:
            people += commanders(action.incident)
        told = incident_notify(
            users=people,
            key=f"deadline:{row.pk}:{at}",
            incident=action.incident,
            event=at,
            now=now,
            deadline=action.title,
            due_at=row.due_at,
            overdue=timesince(row.due_at, now, depth=2) if now > row.due_at else "",
        )
    else:
        readers = [p for p in people if p is not None]
        subject, body = notice_text(action, event, now, readers)
        notify_staff_notice(
            users=readers,
            key=f"improvement:{action.pk}:{event}",
            subject=subject,
            body=body,
            now=now,
        )
        told = [p for p in people if p is not None and p.is_active]
    improvement_audit(
        action,
        WORKER,
        event,
        due_at=row.due_at,
        notified=sorted({p.display_name for p in told}),
    )
    return True
