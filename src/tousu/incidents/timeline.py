"""An incident's own timeline for a reader: its audit events with the plan's labels,
linked complaints the reader may not see left out, statements by the start of their
text."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.complaints.presenters import ACTORS
from tousu.incidents.choices import IncidentSource, IncidentStatus
from tousu.incidents.labels import status_label, trigger_label, when_of
from tousu.plans.schema import Plan

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
        moment = when_of(value)
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
