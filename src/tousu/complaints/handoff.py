"""After a transition, the people who now have something to do with the case are told,
and a case nobody holds gets the one person who can take it on."""

from __future__ import annotations

from datetime import datetime

from tousu.accounts.selectors import department_subtree_ids
from tousu.complaints.models import Complaint
from tousu.complaints.notify import staff_notify
from tousu.deadlines.models import Deadline
from tousu.plans.definition import condition_holds, user_plays
from tousu.plans.people import people_for


def people_with_actions(complaint: Complaint) -> list:
    """Active staff who have at least one action on ``complaint`` in its stage now."""
    plan = complaint.plan
    roles: list[str] = []
    for action in plan.stage(complaint.stage).actions:
        if condition_holds(action.when, complaint):
            roles += [r for r in action.by if r not in roles]
    # people_for reads "assignee" as the first contact while nobody holds the case;
    # here only those who really play one of the roles count.
    return [
        p
        for p in people_for(complaint, roles, plan)
        if any(user_plays(p, role, complaint, plan) for role in roles)
    ]


def default_assignee(complaint: Complaint):
    """Give a case nobody holds to the only person of its department who can act on it
    now (the default rule; the caller records it on the timeline). Returns that person,
    or None when the case keeps its assignee or there is no single such person."""
    if complaint.assignee_id is not None:
        return None
    if complaint.plan.stage(complaint.stage).terminal:
        return None
    subtree = department_subtree_ids(complaint.department_id)
    local = [p for p in people_with_actions(complaint) if p.department_id in subtree]
    if len(local) != 1:
        return None
    Complaint.objects.filter(pk=complaint.pk).update(assignee=local[0])
    complaint.assignee = local[0]
    return local[0]


def handoff_notify(
    *,
    complaint: Complaint,
    actor,
    cause: str,
    event: str = "handoff",
    moved: bool,
    assignee_changed: bool,
    also: list | None = None,
    now: datetime,
) -> list:
    """Tell whoever now has an action (never the actor), the assignee and ``also`` (a
    meeting's owner), through the gate."""
    if not (moved or assignee_changed or also):
        return []
    people = people_with_actions(complaint)
    due = (
        Deadline.objects.filter(complaint=complaint, closed_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    audience = [p for p in people if p.pk != getattr(actor, "pk", None)]
    if complaint.assignee_id and complaint.assignee_id != getattr(actor, "pk", None):
        audience.append(complaint.assignee)
    audience += [p for p in also or [] if p.pk != getattr(actor, "pk", None)]
    return staff_notify(
        users=audience,
        key=f"{cause}:handoff",
        complaint=complaint,
        event=event,
        now=now,
        due_at=due or "",
    )
