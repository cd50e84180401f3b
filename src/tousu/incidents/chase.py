"""The worker's part in a response: an incident's task, situation report, report upward
or improvement action coming due or running out is told to whoever owes it and, when it
runs out, to the commanders."""

from __future__ import annotations

from datetime import datetime

from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from tousu.audit.services import audit_record
from tousu.core.actors import WORKER
from tousu.deadlines.models import Deadline
from tousu.incidents.choices import ResponderPart
from tousu.incidents.command import commanders
from tousu.incidents.models import ImprovementAction, Incident, Task, UpwardReport
from tousu.incidents.notify import incident_notify


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
    if kind == "improvement":
        action = ImprovementAction.objects.filter(deadline=row).select_related("owner").first()
        if action is not None:
            return action.title, [action.owner]
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
