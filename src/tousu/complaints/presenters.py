"""How complaint data is shown: masked personal data and readable timeline entries."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.complaints.choices import Channel, EventAction, Nature, Severity, Status
from tousu.complaints.models import Complainant, Complaint
from tousu.core.masks import (
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)
from tousu.plans.schema import Plan


def masked_complainant(person: Complainant) -> dict[str, str]:
    return {
        "name": mask_name(person.name),
        "phone": mask_phone(person.phone),
        "id_number": mask_id_number(person.id_number),
        "address": mask_address(person.address),
        "email": mask_email(person.email),
    }


_CHOICES = {"severity": Severity, "nature": Nature, "channel": Channel, "status": Status}
_ACTIONS = dict(EventAction.choices)
# The data fields of plan actions, in the order the timeline shows them.
ACTION_FIELDS = {
    "stage": gettext_lazy("Stage"),
    "department": gettext_lazy("Department"),
    "assignee": gettext_lazy("Assignee"),
    "slip": gettext_lazy("Transfer slip"),
    "findings": gettext_lazy("Findings"),
    "evidence": gettext_lazy("Evidence"),
    "report": gettext_lazy("Report"),
    "opinion": gettext_lazy("Opinion"),
    "owner": gettext_lazy("Meeting owner"),
    "due_at": gettext_lazy("Due"),
    "agenda": gettext_lazy("Agenda"),
    "measure": gettext_lazy("Measure"),
    "amount": gettext_lazy("Amount (yuan)"),
    "result": gettext_lazy("Result"),
    "reply": gettext_lazy("Reply"),
    "satisfaction": gettext_lazy("Satisfaction"),
    "reason": gettext_lazy("Reason"),
    "round": gettext_lazy("Appeal round"),
    "reached": gettext_lazy("Reached"),
    "remarks": gettext_lazy("Remarks"),
    "complained_person": gettext_lazy("Person complained about"),
    "items": gettext_lazy("Items of the complaint upheld"),
    "fine": gettext_lazy("Fine (yuan)"),
    "material": gettext_lazy("Material"),
    "files": gettext_lazy("Files"),
}


_OTHER_FIELDS = {
    "co_owners": gettext_lazy("Co-owners (supervising)"),
    "note": gettext_lazy("Note"),
}
_PLAN_LISTS: dict[str, Literal["severities", "natures"]] = {
    "severity": "severities",
    "nature": "natures",
}
# Deadline kinds the engine opens itself, not from a plan rule.
_BUILT_IN_DEADLINES = {
    "follow_up": gettext_lazy("Follow-up visit"),
    "meeting": gettext_lazy("Meeting time limit"),
    "peak_first_contact": gettext_lazy("First contact in the peak period"),
}
ACTORS = {
    "worker": gettext_lazy("system (deadline worker)"),
    "trigger": gettext_lazy("system (plan trigger)"),
    "import": gettext_lazy("system (import)"),
    "api": gettext_lazy("a partner system (inbound API)"),
    "email": gettext_lazy("system (email in)"),
    "complainant": gettext_lazy("the complainant"),
}


def plan_label(plan: Plan | None, kind: Literal["severities", "natures"], key: str) -> str:
    """The plan's label of a severity or nature (``kind`` is ``severities`` or
    ``natures``); the code's own label where there is no plan."""
    label = plan.label_of(kind, key) if plan is not None else None
    if label is not None:
        return label
    name = {"severities": "severity", "natures": "nature"}[kind]
    return value_label(name, key)


def field_label(name: str) -> str:
    if name in _OTHER_FIELDS:
        return str(_OTHER_FIELDS[name])
    try:
        field = Complaint._meta.get_field(name)
        return str(getattr(field, "verbose_name", name))
    except FieldDoesNotExist:
        return str(_("other"))


def value_label(name: str, value, plan: Plan | None = None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(value_label(name, v, plan) for v in value)
    if plan and name in _PLAN_LISTS:
        return plan_label(plan, _PLAN_LISTS[name], value)
    if plan and name == "stage" and value in plan.stages:
        return plan.stage(value).label
    if name in ("measure", "satisfaction"):
        from tousu.plans.choices import Measure, Satisfaction

        plan_choices = Measure if name == "measure" else Satisfaction
        if value in plan_choices.values:
            return str(plan_choices(value).label)
    choices = _CHOICES.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _actor(event) -> str:
    if event.actor:
        return event.actor.display_name
    by = str((event.data or {}).get("by", ""))
    return str(ACTORS.get(by, _("system")))


def timeline_rows(events, plan: Plan | None = None) -> list[dict]:
    """Timeline events with translated labels (the plan's, where it has them), for the
    complaint page: no internal key reaches the reader."""
    rows = []
    for event in events:
        data = event.data or {}
        changes: list[dict[str, str | None]] = [
            {
                "field": field_label(name),
                "before": value_label(name, before, plan),
                "after": value_label(name, after, plan),
            }
            for name, (before, after) in data.get("changes", {}).items()
        ]
        if "fields" in data:  # registration: show what it was registered with
            changes = [
                {
                    "field": field_label(name),
                    "before": None,
                    "after": value_label(name, value, plan),
                }
                for name, value in data["fields"].items()
            ]
        if event.action == EventAction.ACTION:
            changes += _action_rows(data)
        else:
            changes += _system_rows(data)
            if data.get("reason"):
                changes.append(
                    {"field": str(gettext_lazy("Reason")), "before": None, "after": data["reason"]}
                )
        rows.append(
            {
                "seq": event.seq,
                "at": event.at,
                "actor": _actor(event),
                "action": data.get("label")
                if event.action == EventAction.ACTION
                else _ACTIONS.get(event.action, event.action),
                "changes": changes,
                "note": data.get("note", ""),
                "attachment": data.get("name", ""),
            }
        )
    return rows


def _action_rows(data: dict) -> list[dict]:
    rows = []
    for name, label in ACTION_FIELDS.items():
        value = data.get(name)
        if value in (None, "", []):
            continue
        if name == "files":  # the names of the files sent with the material
            rows.append({"field": str(label), "before": None, "after": "、".join(value)})
        elif isinstance(value, list) and len(value) == 2:
            rows.append({"field": str(label), "before": value[0], "after": value[1]})
        else:
            rows.append({"field": str(label), "before": None, "after": value_label(name, value)})
    return rows


def deadline_label(plan: Plan, kind: str) -> str:
    """A deadline's name: the plan rule's label, or the engine's own for the kinds it
    opens itself (follow-up visit, meeting)."""
    rule = plan.deadline_rule(kind)
    if rule is not None:
        return rule.label
    return str(_BUILT_IN_DEADLINES.get(kind, _("Deadline")))


def deadline_rows(complaint) -> list[dict]:
    """The complaint's open deadlines with their plan labels, soonest first."""
    if complaint.plan_revision_id is None:
        return []
    from tousu.deadlines.selectors import deadlines_open

    labels = {key: rule.label for key, (_stage, rule) in complaint.plan.deadline_rules().items()}
    return [
        {
            "label": labels.get(d.kind) or str(_BUILT_IN_DEADLINES.get(d.kind, _("Deadline"))),
            "due_at": d.due_at,
            "provisional": d.provisional,
        }
        for d in deadlines_open(complaint)
    ]


_SYSTEM_FIELDS = {
    "deadline": gettext_lazy("Deadline"),
    "notified": gettext_lazy("Notified"),
    "earlier": gettext_lazy("Earlier complaint"),
    "incident": gettext_lazy("Emergency incident"),
    "level": gettext_lazy("Response level"),
    "improvement": gettext_lazy("Improvement action"),
}


def _system_rows(data: dict) -> list[dict]:
    """What the worker or a supervisor did: which deadline, who was told."""
    rows = []
    if data.get("at") in ("warning", "breach"):
        rows.append(
            {
                "field": str(gettext_lazy("Point")),
                "before": None,
                "after": str(
                    gettext_lazy("warning") if data["at"] == "warning" else gettext_lazy("breach")
                ),
            }
        )
    for name, label in _SYSTEM_FIELDS.items():
        value = data.get(name)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        rows.append({"field": str(label), "before": None, "after": str(value)})
    for moved in data.get("scaled", []):  # deadlines an emergency level shortened
        before, after = (parse_datetime(v) for v in moved["due_at"])
        rows.append(
            {
                "field": str(moved["deadline"]),
                "before": _when(before),
                "after": _when(after),
            }
        )
    return rows


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
