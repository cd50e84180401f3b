"""A supervisor chases a deadline: a reminder (催办) or a formal supervision notice (督办单)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.audit.services import audit_record
from tousu.complaints.choices import EventAction
from tousu.complaints.notify import staff_notify
from tousu.core.problems import InvalidInput, NotAllowed
from tousu.plans.people import department_heads

KINDS = {"reminder": EventAction.REMINDED, "supervision": EventAction.SUPERVISED}


def supervision_remind(*, actor, deadline, kind: str, note: str = "") -> int:
    """Tell the assignee (or first-contact owner) and the department head; the timeline
    records who chased whom. Returns how many people were told (only those who may see
    the complaint)."""
    if not actor.supervises:
        raise NotAllowed(_("Only supervisors and leaders send reminders."))
    if kind not in KINDS:
        raise InvalidInput(
            _("Unknown value “%(value)s”.") % {"value": kind},
            field_errors={"kind": [_("Choose reminder or supervision.")]},
        )
    note = (note or "").strip()[:1000]
    if deadline.incident_id is not None:
        return incident_remind(actor=actor, deadline=deadline, kind=kind, note=note)
    complaint = deadline.complaint
    people = [complaint.assignee or complaint.received_by, *department_heads(complaint)]
    now = timezone.now()
    with transaction.atomic():
        told = staff_notify(
            users=people,
            key=f"deadline:{deadline.pk}:{kind}:{now.isoformat()}",
            complaint=complaint,
            event=kind,
            now=now,
            due_at=deadline.due_at,
        )
        audit_record(
            actor=actor,
            action=KINDS[kind],
            object_type="complaint",
            object_id=complaint.tracking_no,
            complaint=complaint,
            data={
                "deadline": deadline.kind,
                "due_at": deadline.due_at,
                "note": note,
                "notified": [p.display_name for p in told],
            },
        )
    return len(told)


def incident_remind(*, actor, deadline, kind: str, note: str) -> int:
    """催办 an emergency response's task, report or improvement: its owner and the
    commanders are told (they are in the incident's structure, so they see it)."""
    from tousu.incidents.chase import deadline_label
    from tousu.incidents.command import commanders
    from tousu.incidents.notify import incident_notify

    incident = deadline.incident
    label, owners = deadline_label(incident, deadline)
    people = [p for p in [*owners, *commanders(incident)] if p is not None]
    now = timezone.now()
    with transaction.atomic():
        told = incident_notify(
            users=people,
            key=f"deadline:{deadline.pk}:{kind}:{now.isoformat()}",
            incident=incident,
            event="task",
            now=now,
            task=label,
            due_at=deadline.due_at,
        )
        audit_record(
            actor=actor,
            action=f"incident.{kind}",
            object_type="incident",
            object_id=incident.number,
            incident=incident,
            data={
                "deadline": label,
                "due_at": deadline.due_at,
                "note": note,
                "notified": sorted({p.display_name for p in people}),
            },
        )
    return len(told)
