"""How an incident is shown: the plan's words for its level, groups and triggers, the
command structure, the working groups' tasks, the review's figures and the incident's own
timeline. No internal key (level, status, group or trigger key) reaches a reader: the
labels come from the plan or the choices. The war room (page and API) reads through
``war_room``; what a reader may see of the linked complaints goes through the gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import ACTORS
from tousu.deadlines.models import Deadline
from tousu.incidents.activation import case_of, level_label, may_activate
from tousu.incidents.choices import (
    IncidentSource,
    IncidentStatus,
    ResponderPart,
    StatementStatus,
)
from tousu.incidents.improvements import is_overdue
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


# ---------------------------------------------------------------- the plan's words


def level_of(plan: Plan, key: str) -> dict[str, str]:
    """A level as shown: its label (I 特别重大) and colour (red, orange, yellow, blue;
    ``none`` when the plan gives none)."""
    level = plan.emergency.level(key) if plan.emergency and key else None
    return {
        "key": key,
        "label": level_label(plan, key) if level else _("No level"),
        "colour": (level.colour if level and level.colour else "none"),
    }


def trigger_label(plan: Plan, key: str) -> str:
    if not key:
        return ""
    emergency = plan.emergency
    for trigger in emergency.triggers if emergency else []:
        if trigger.key == key:
            return trigger.label
    return _("A trigger of an earlier plan revision")


def group_label(plan: Plan, key: str) -> str:
    group = plan.groups.get(key)
    return group.label if group else _("A group of an earlier plan revision")


def severity_label(plan: Plan, key: str) -> str:
    return (plan.label_of("severities", key) or "") if key else ""


def status_label(value: str) -> str:
    return str(IncidentStatus(value).label) if value in IncidentStatus.values else value


def _group_order(plan: Plan) -> list[str]:
    emergency = plan.emergency
    if emergency is None:
        return list(plan.groups)
    return [emergency.command_group, *emergency.working_groups]


def _ordered_groups(plan: Plan, present: list[str]) -> list[str]:
    order = [g for g in _group_order(plan) if g in present]
    return order + [g for g in dict.fromkeys(present) if g not in order]


# ---------------------------------------------------------------- times


def elapsed(since: datetime | None, now: datetime) -> str:
    """How long since ``since`` (activation), in words: 3小时，12分钟."""
    return timesince(since, now, depth=2) if since else ""


def duration(seconds: int | float | None) -> str:
    """A span of seconds in words; a dash when there is none."""
    if seconds is None:
        return "—"
    now = timezone.now()
    return timesince(now - timedelta(seconds=max(int(seconds), 0)), now, depth=2)


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None


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
            "due_at": _when(t.get("due_at")),
            "done_at": _when(t.get("done_at")),
            "met": bool(t.get("met")),
            "took": duration(t.get("took")),
        }
        for t in figures.get("tasks", [])
    ]
    upward = [
        {
            "label": u.get("label", ""),
            "due_at": _when(u.get("due_at")),
            "done_at": _when(u.get("done_at")),
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


# ---------------------------------------------------------------- the timeline

ACTIONS = {
    "incident.opened": gettext_lazy("Incident opened"),
    "incident.activated": gettext_lazy("Emergency plan activated"),
    "incident.linked": gettext_lazy("Complaint linked"),
    "incident.level": gettext_lazy("Response level changed"),
    "incident.task_done": gettext_lazy("Task done"),
    "incident.situation": gettext_lazy("Situation report filed"),
    "incident.reported_upward": gettext_lazy("Reported upward"),
    "incident.media": gettext_lazy("Media contact logged"),
    "incident.statement_drafted": gettext_lazy("Statement drafted"),
    "incident.statement_approved": gettext_lazy("Statement approved"),
    "incident.statement_published": gettext_lazy("Statement published"),
    "incident.status": gettext_lazy("Status changed"),
    "incident.closed": gettext_lazy("Incident closed"),
    "incident.reviewed": gettext_lazy("Review filed"),
    "incident.improvement_added": gettext_lazy("Improvement action added"),
    "incident.improvement_done": gettext_lazy("Improvement action done"),
    "incident.improvement_cancelled": gettext_lazy("Improvement action cancelled"),
    "incident.improvement_warning": gettext_lazy("Improvement action due soon"),
    "incident.improvement_overdue": gettext_lazy("Improvement action overdue"),
    "incident.warning": gettext_lazy("Deadline warning"),
    "incident.breach": gettext_lazy("Deadline breached"),
}
# The data fields of incident events, in the order the timeline shows them.
FIELDS = {
    "source": gettext_lazy("Started by"),
    "trigger": gettext_lazy("Trigger"),
    "level": gettext_lazy("Response level"),
    "complaint": gettext_lazy("Complaint"),
    "complaints": gettext_lazy("Linked complaints"),
    "reason": gettext_lazy("Reason"),
    "task": gettext_lazy("Task"),
    "deadline": gettext_lazy("Deadline"),
    "due_at": gettext_lazy("Due"),
    "authority": gettext_lazy("Authority"),
    "content": gettext_lazy("What was reported"),
    "outlet": gettext_lazy("Outlet"),
    "summary": gettext_lazy("What was asked and answered"),
    "text": gettext_lazy("Text"),
    "outcome": gettext_lazy("Outcome"),
    "causes": gettext_lazy("Causes"),
    "lessons": gettext_lazy("Lessons"),
    "improvements": gettext_lazy("Improvement actions"),
    "improvement": gettext_lazy("Improvement action"),
    "owner": gettext_lazy("Owner"),
    "due_on": gettext_lazy("Due on"),
    "accountability": gettext_lazy("Held to account"),
    "proposed_revision": gettext_lazy("Proposed plan revision"),
    "responders": gettext_lazy("Command structure"),
    "notified": gettext_lazy("Notified"),
    "note": gettext_lazy("Note"),
}
STATEMENT = gettext_lazy("Statement")
CHANGES = {"level": gettext_lazy("Response level"), "status": gettext_lazy("Status")}


def _value(name: str, value: Any, plan: Plan, seen: set[str]) -> str:
    if name == "source":
        return str(IncidentSource(value).label) if value in IncidentSource.values else ""
    if name == "trigger":
        return trigger_label(plan, str(value))
    if name == "complaint":
        return str(value) if value in seen else _("a complaint you may not see")
    if name == "complaints":
        shown = [v for v in value if v in seen]
        hidden = len(value) - len(shown)
        if hidden:
            shown.append(_("%(count)d you may not see") % {"count": hidden})
        return "、".join(shown)
    if name == "due_at":
        moment = _when(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
    if name == "proposed_revision":
        return _("revision %(number)s") % {"number": value}
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _status_shown(value: str) -> str:
    """A status as recorded (its key, or its label in whatever language the writer's
    request ran in) in the reader's language."""
    if value in IncidentStatus.values:
        return status_label(value)
    for status in IncidentStatus:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                if str(status.label) == value:
                    return str(status.label)
    return value


def _change(name: str, value: Any) -> str:
    return _status_shown(value) if name == "status" and isinstance(value, str) else str(value)


def timeline_rows(
    events, plan: Plan, seen: set[str], statements: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """The incident's events with readable labels, as given (newest first from the
    war room). Tracking numbers of linked complaints the reader may not see (not in
    ``seen``) are left out; a statement is shown by the start of its text."""
    statements = statements or {}
    rows = []
    for event in events:
        data = event.data or {}
        changes: list[dict[str, str | None]] = [
            {
                "field": str(CHANGES.get(name, _("other"))),
                "before": _change(name, before),
                "after": _change(name, after),
            }
            for name, (before, after) in (data.get("changes") or {}).items()
        ]
        if data.get("statement") in statements and "text" not in data:
            text = Truncator(statements[data["statement"]]).chars(60)
            changes.append({"field": str(STATEMENT), "before": None, "after": text})
        for name, label in FIELDS.items():
            value = data.get(name)
            if value in (None, "", []):
                continue
            shown = _value(name, value, plan, seen)
            if shown:
                changes.append({"field": str(label), "before": None, "after": shown})
        if event.actor:
            actor = event.actor.display_name
        else:
            actor = str(ACTORS.get(str(data.get("by", "")), _("system")))
        rows.append(
            {
                "seq": event.seq,
                "at": event.at,
                "actor": actor,
                "action": str(ACTIONS.get(event.action, _("Other event"))),
                "changes": changes,
            }
        )
    return rows
