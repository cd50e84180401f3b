"""How complaint data is shown: masked personal data and readable timeline entries."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tousu.complaints.choices import Channel, EventAction, Nature, Severity, Status
from tousu.complaints.models import Complainant, Complaint
from tousu.complaints.validators import (
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)


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
    "stage": _lazy("Stage"),
    "department": _lazy("Department"),
    "assignee": _lazy("Assignee"),
    "slip": _lazy("Transfer slip"),
    "findings": _lazy("Findings"),
    "evidence": _lazy("Evidence"),
    "report": _lazy("Report"),
    "opinion": _lazy("Opinion"),
    "owner": _lazy("Meeting owner"),
    "due_at": _lazy("Due"),
    "agenda": _lazy("Agenda"),
    "measure": _lazy("Measure"),
    "amount": _lazy("Amount (yuan)"),
    "result": _lazy("Result"),
    "reply": _lazy("Reply"),
    "satisfaction": _lazy("Satisfaction"),
    "reason": _lazy("Reason"),
    "round": _lazy("Appeal round"),
    "reached": _lazy("Reached"),
    "remarks": _lazy("Remarks"),
}


def field_label(name: str) -> str:
    try:
        return str(Complaint._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - not a model field (e.g. "note")
        return name


def value_label(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in ("measure", "satisfaction"):
        from tousu.plans.choices import Measure, Satisfaction

        choices = Measure if name == "measure" else Satisfaction
        if value in choices.values:
            return str(choices(value).label)
    choices = _CHOICES.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def timeline_rows(events) -> list[dict]:
    """Timeline events with translated labels, for the complaint page."""
    rows = []
    for event in events:
        data = event.data or {}
        changes = [
            {
                "field": field_label(name),
                "before": value_label(name, before),
                "after": value_label(name, after),
            }
            for name, (before, after) in data.get("changes", {}).items()
        ]
        if "fields" in data:  # registration: show what it was registered with
            changes = [
                {"field": field_label(name), "before": None, "after": value_label(name, value)}
                for name, value in data["fields"].items()
            ]
        if event.action == EventAction.ACTION:
            changes += _action_rows(data)
        else:
            changes += _system_rows(data)
        rows.append(
            {
                "seq": event.seq,
                "at": event.at,
                "actor": event.actor.display_name if event.actor else _("system"),
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
        if value in (None, ""):
            continue
        if isinstance(value, list) and len(value) == 2:
            rows.append({"field": str(label), "before": value[0], "after": value[1]})
        else:
            rows.append({"field": str(label), "before": None, "after": value_label(name, value)})
    return rows


def deadline_rows(complaint) -> list[dict]:
    """The complaint's open deadlines with their plan labels, soonest first."""
    if complaint.plan_revision_id is None:
        return []
    from tousu.deadlines.selectors import deadlines_open

    labels = {
        rule["key"]: rule["label"]
        for stage in complaint.plan_revision.definition["stages"].values()
        for rule in stage.get("deadlines", [])
    }
    return [
        {
            "label": labels.get(d.kind, d.kind),
            "due_at": d.due_at,
            "provisional": d.provisional,
        }
        for d in deadlines_open(complaint)
    ]


_SYSTEM_FIELDS = {
    "deadline": _lazy("Deadline"),
    "notified": _lazy("Notified"),
    "earlier": _lazy("Earlier complaint"),
}


def _system_rows(data: dict) -> list[dict]:
    """What the worker or a supervisor did: which deadline, who was told."""
    rows = []
    if data.get("at") in ("warning", "breach"):
        rows.append(
            {
                "field": str(_lazy("Point")),
                "before": None,
                "after": str(_lazy("warning") if data["at"] == "warning" else _lazy("breach")),
            }
        )
    for name, label in _SYSTEM_FIELDS.items():
        value = data.get(name)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        rows.append({"field": str(label), "before": None, "after": str(value)})
    return rows
