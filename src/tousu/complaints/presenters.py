"""How complaint data is shown: masked personal data and readable timeline entries."""

from __future__ import annotations

from django.utils.translation import gettext as _

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
        rows.append(
            {
                "seq": event.seq,
                "at": event.at,
                "actor": event.actor.display_name if event.actor else _("system"),
                "action": _ACTIONS.get(event.action, event.action),
                "changes": changes,
                "note": data.get("note", ""),
                "attachment": data.get("name", ""),
            }
        )
    return rows
