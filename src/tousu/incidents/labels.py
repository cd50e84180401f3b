"""An incident's words for a reader: its level, trigger, group, severity and status as
the plan or the choices name them (never a key), and spans of time in words."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from tousu.incidents.activation import level_label
from tousu.incidents.choices import IncidentStatus
from tousu.plans.schema import Plan


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


def when_of(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None
