"""How an incident is shown: the command structure, the working groups' tasks, the
statements, upward reports and improvements, the review's figures — with the plan's
words (``labels``) and the incident's own timeline (``timeline``). No internal key
(level, status, group or trigger key) reaches a reader: the labels come from the plan or
the choices. The war room (page and API) reads through ``war_room``; what a reader may
see of the linked complaints goes through the gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.deadlines.models import Deadline
from tousu.incidents.activation import case_of, may_activate
from tousu.incidents.choices import (
    IncidentSource,
    IncidentStatus,
    ResponderPart,
    StatementStatus,
)
from tousu.incidents.improvements import is_overdue
from tousu.incidents.labels import (
    duration,
    elapsed,
    group_label,
    level_of,
    trigger_label,
    when_of,
)
from tousu.incidents.models import (
    ImprovementAction,
    ImprovementStatus,
    Incident,
    MediaContact,
    Responder,
    Review,
    Statement,
    Task,
    UpwardReport,
)
from tousu.incidents.response import (
    statement_may_approve,
    statement_may_publish,
)
from tousu.incidents.selectors import linked_complaints
from tousu.incidents.timeline import ACTIONS, timeline_rows
from tousu.plans.schema import Plan

# Bootstrap colours of the statuses (the level has the plan's own colour).
STATUS_COLOURS = {
    IncidentStatus.REPORTED: "warning",
    IncidentStatus.ACTIVATED: "danger",
    IncidentStatus.RESPONDING: "danger",
    IncidentStatus.CONTAINED: "info",
    IncidentStatus.CLOSED: "secondary",
    IncidentStatus.REVIEWED: "success",
}
STATEMENT_COLOURS = {
    StatementStatus.DRAFT: "secondary",
    StatementStatus.APPROVED: "info",
    StatementStatus.PUBLISHED: "success",
}
# While these hold, the response works: tasks, reports, statements.
RUNNING = (IncidentStatus.ACTIVATED, IncidentStatus.RESPONDING, IncidentStatus.CONTAINED)
PART_ORDER = [
    ResponderPart.COMMANDER,
    ResponderPart.DEPUTY,
    ResponderPart.LEAD,
    ResponderPart.MEMBER,
]
TIMELINE_LIMIT = 300


def _group_order(plan: Plan) -> list[str]:
    emergency = plan.emergency
    if emergency is None:
        return list(plan.groups)
    return [emergency.command_group, *emergency.working_groups]


def _ordered_groups(plan: Plan, present: list[str]) -> list[str]:
    order = [g for g in _group_order(plan) if g in present]
    return order + [g for g in dict.fromkeys(present) if g not in order]


def overdue(deadline: Deadline | None, done_at: datetime | None, now: datetime) -> bool:
    """Past its due time and not done (or done after it)."""
    if deadline is None:
        return False
    if done_at is not None:
        return done_at > deadline.due_at
    return deadline.breached_at is not None or deadline.due_at < now


# ---------------------------------------------------------------- the war room


@dataclass
class Permissions:
    """What the reader may do now (the services decide again when it is done)."""

    responder: bool = False
    commander: bool = False
    activate: bool = False
    level: bool = False
    contain: bool = False
    close: bool = False
    review: bool = False
    work: bool = False  # situation reports, upward, media, statements


@dataclass
class WarRoom:
    incident: Incident
    plan: Plan
    now: datetime
    level: dict[str, str]
    status_colour: str
    elapsed: str
    source: str
    trigger: str
    may: Permissions
    structure: list[dict[str, Any]] = field(default_factory=list)
    task_groups: list[dict[str, Any]] = field(default_factory=list)
    situations: list[dict[str, Any]] = field(default_factory=list)
    next_situation: Deadline | None = None
    situation_overdue: bool = False
    upward: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    media: list[MediaContact] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    complaints_hidden: int = 0
    timeline: list[dict[str, Any]] = field(default_factory=list)
    review: Review | None = None
    figures: dict[str, Any] | None = None
    improvements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.incident.status in RUNNING


def _permissions(incident: Incident, plan: Plan, user, responders: list[Responder]) -> Permissions:
    mine = [r for r in responders if r.user_id == getattr(user, "pk", None)]
    commander = any(r.part in (ResponderPart.COMMANDER, ResponderPart.DEPUTY) for r in mine)
    status = incident.status
    running = status in RUNNING
    open_ = running or status == IncidentStatus.REPORTED

    asked: list[bool] = []

    def activating() -> bool:  # read once, and only when the answer matters
        if not asked:
            asked.append(may_activate(plan, user, case_of(incident)))
        return asked[0]

    return Permissions(
        responder=bool(mine),
        commander=commander,
        activate=status == IncidentStatus.REPORTED and activating(),
        level=open_ and (commander or activating()),
        contain=commander and status in (IncidentStatus.ACTIVATED, IncidentStatus.RESPONDING),
        close=commander and running,
        review=commander and status == IncidentStatus.CLOSED,
        work=bool(mine) and running,
    )


def structure_rows(plan: Plan, responders: list[Responder]) -> list[dict[str, Any]]:
    """The command structure by group (command group first, then the working groups in
    the plan's order), each group's people commander, deputies, leads, members."""
    groups = _ordered_groups(plan, [r.group for r in responders])
    rows = []
    for key in groups:
        people = sorted(
            (r for r in responders if r.group == key),
            key=lambda r: (PART_ORDER.index(ResponderPart(r.part)), r.position),
        )
        group = plan.groups.get(key)
        rows.append(
            {
                "key": key,
                "label": group_label(plan, key),
                "duties": group.duties if group else "",
                "people": [
                    {
                        "user": r.user,
                        "name": r.user.display_name,
                        "part": r.part,
                        "part_label": ResponderPart(r.part).label,
                    }
                    for r in people
                ],
            }
        )
    return rows


def task_rows(
    plan: Plan,
    tasks: list[Task],
    responders: list[Responder],
    user,
    *,
    running: bool,
    commander: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """The tasks by working group, each with its owner, due time, overdue mark and
    whether the reader may mark it done (its owner, its group or a commander)."""
    my_groups = {r.group for r in responders if r.user_id == getattr(user, "pk", None)}
    groups = _ordered_groups(plan, [t.group for t in tasks])
    rows = []
    for key in groups:
        items = []
        for task in (t for t in tasks if t.group == key):
            deadline = task.deadline
            items.append(
                {
                    "task": task,
                    "owner": task.owner.display_name if task.owner else "",
                    "due_at": deadline.due_at if deadline else None,
                    "overdue": overdue(deadline, task.done_at, now),
                    "done": task.done_at is not None,
                    "may_done": running
                    and task.done_at is None
                    and (
                        task.owner_id == getattr(user, "pk", None) or key in my_groups or commander
                    ),
                }
            )
        rows.append(
            {
                "label": group_label(plan, key),
                "tasks": items,
                "open": sum(1 for i in items if not i["done"]),
            }
        )
    return rows


def statement_rows(statements: list[Statement], user, *, may: Permissions) -> list[dict[str, Any]]:
    me = getattr(user, "pk", None)
    return [
        {
            "statement": s,
            "status_label": StatementStatus(s.status).label,
            "colour": STATEMENT_COLOURS.get(StatementStatus(s.status), "secondary"),
            "may_approve": may.work
            and statement_may_approve(
                status=s.status, author_id=s.author_id, user_id=me, commander=may.commander
            ),
            "own": s.author_id == me,
            "may_publish": statement_may_publish(status=s.status, responder=may.work),
        }
        for s in statements
    ]


def upward_rows(reports: list[UpwardReport], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "report": u,
            "due_at": u.deadline.due_at if u.deadline else None,
            "overdue": overdue(u.deadline, u.reported_at, now),
            "reported": u.reported_at is not None,
        }
        for u in reports
    ]


def improvement_rows(
    actions: list[ImprovementAction], user, *, commander: bool, now: datetime
) -> list[dict[str, Any]]:
    me = getattr(user, "pk", None)
    return [
        {
            "action": a,
            "owner": a.owner.display_name,
            "overdue": is_overdue(a, now),
            "may_done": a.status == ImprovementStatus.OPEN and (a.owner_id == me or commander),
        }
        for a in actions
    ]


def war_room(
    incident: Incident,
    user,
    *,
    now: datetime | None = None,
    live: bool = False,
    timeline: bool = True,
) -> WarRoom:
    """Everything the war room shows of ``incident`` to ``user`` (who may see it: the
    caller read it through ``incident_get_visible``). ``live`` reads only the parts the
    page refreshes (banner, tasks, situation reports, reports upward, statements);
    ``timeline`` false leaves the timeline out (the API)."""
    now = now or timezone.now()
    plan = incident.plan_revision.plan_model
    responders = list(incident.responders.select_related("user").order_by("position", "pk"))
    may = _permissions(incident, plan, user, responders)
    room = WarRoom(
        incident=incident,
        plan=plan,
        now=now,
        level=level_of(plan, incident.level),
        status_colour=STATUS_COLOURS.get(IncidentStatus(incident.status), "secondary"),
        elapsed=elapsed(incident.activated_at, incident.closed_at or now),
        source=str(IncidentSource(incident.source).label)
        if incident.source in IncidentSource.values
        else "",
        trigger=trigger_label(plan, incident.trigger),
        may=may,
    )
    room.structure = structure_rows(plan, responders)
    tasks = list(
        incident.tasks.select_related("owner", "done_by", "deadline").order_by("created_at", "pk")
    )
    room.task_groups = task_rows(
        plan,
        tasks,
        responders,
        user,
        running=room.running,
        commander=may.commander,
        now=now,
    )
    room.situations = [
        {"report": s, "level": level_of(plan, s.level)}
        for s in incident.situations.select_related("author").order_by("-at", "-pk")
    ]
    if room.running:
        room.next_situation = (
            Deadline.objects.filter(incident=incident, kind="situation", closed_at__isnull=True)
            .order_by("due_at", "pk")
            .first()
        )
        room.situation_overdue = overdue(room.next_situation, None, now)
    room.upward = upward_rows(
        list(incident.upward.select_related("deadline", "reported_by").order_by("pk")), now
    )
    room.statements = statement_rows(
        list(
            incident.statements.select_related("author", "approved_by", "published_by").order_by(
                "-created_at", "-pk"
            )
        ),
        user,
        may=may,
    )
    if live:
        return room
    room.media = list(incident.media.select_related("recorded_by").order_by("-at", "-pk"))
    room.complaints, room.complaints_hidden = linked_complaints(incident, user)
    seen = {c.tracking_no for c in room.complaints}
    if timeline:
        events = (
            # The response's own events; the deadline rows' bookkeeping stays in the audit log.
            AuditEvent.objects.filter(incident=incident, action__in=list(ACTIONS))
            .select_related("actor")
            .order_by("-seq")[:TIMELINE_LIMIT]
        )
        texts = {row["statement"].pk: row["statement"].text for row in room.statements}
        room.timeline = timeline_rows(events, plan, seen, texts)
    if incident.status == IncidentStatus.REVIEWED:
        room.review = (
            Review.objects.filter(incident=incident)
            .select_related("author", "proposed_revision")
            .first()
        )
        room.figures = figure_rows(room.review.figures) if room.review else None
        room.improvements = improvement_rows(
            list(incident.improvements.select_related("owner", "deadline")),
            user,
            commander=may.commander,
            now=now,
        )
    return room


# ---------------------------------------------------------------- the review's figures


def _met(took: Any, target: Any) -> bool | None:
    if took is None or target is None:
        return None
    return bool(took <= target)


def figure_rows(figures: dict[str, Any]) -> dict[str, Any]:
    """The review's measured times against the plan's targets, in words."""
    activate = figures.get("activate") or {}
    tasks = [
        {
            "label": t.get("label", ""),
            "group": t.get("group", ""),
            "owner": t.get("owner", ""),
            "due_at": when_of(t.get("due_at")),
            "done_at": when_of(t.get("done_at")),
            "met": bool(t.get("met")),
            "took": duration(t.get("took")),
        }
        for t in figures.get("tasks", [])
    ]
    upward = [
        {
            "label": u.get("label", ""),
            "due_at": when_of(u.get("due_at")),
            "done_at": when_of(u.get("done_at")),
            "met": bool(u.get("met")),
        }
        for u in figures.get("upward", [])
    ]
    situation = figures.get("situation") or {}
    statements = figures.get("statements") or {}
    deadlines = figures.get("deadlines") or {}
    return {
        "activate_took": duration(activate.get("took")),
        "activate_target": duration(activate.get("target")),
        "activate_met": _met(activate.get("took"), activate.get("target")),
        "tasks": tasks,
        "tasks_met": sum(1 for t in tasks if t["met"]),
        "tasks_missed": sum(1 for t in tasks if not t["met"]),
        "upward": upward,
        "situation_filed": situation.get("filed", 0),
        "situation_missed": situation.get("missed", 0),
        "statements_published": statements.get("published", 0),
        "first_statement_after": duration(statements.get("first_after")),
        "deadlines_met": deadlines.get("met", 0),
        "deadlines_missed": deadlines.get("missed", 0),
        "lasted": duration(figures.get("lasted")),
    }
