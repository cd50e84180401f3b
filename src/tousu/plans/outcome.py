"""What a plan action decides, before anything is written: the ``Outcome`` that the
action type's rule fills (fields to save, the event's data, the stage to move to, the
errors found) and the field parsers those rules share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tousu.plans.choices import Satisfaction

TEXT_LIMIT = 10_000
SATISFIED = {Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED}


@dataclass
class Outcome:
    """What an action changes: complaint fields, workflow state, the event's data.

    ``category_of`` resolves a category key for the app that owns categories (the
    decider reads, it never imports the complaint app)."""

    to: str | None
    category_of: Callable[[str], Any] = field(default=lambda key: None)
    values: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def text_field(
    outcome: Outcome, data: dict[str, Any], name: str, *, required: bool, limit: int = TEXT_LIMIT
) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        outcome.error(name, _("This field is required."))
    elif len(value) > limit:
        outcome.error(
            name,
            _("At most %(limit)d characters (this has %(count)d).")
            % {"limit": limit, "count": len(value)},
        )
    if value:
        outcome.event[name] = value
    return value


def parse_amount(
    outcome: Outcome, data: dict[str, Any], name: str, *, required: bool
) -> Decimal | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            outcome.error(name, _("This field is required."))
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        outcome.error(name, _("Must be a number."))
        return None
    if not value.is_finite() or value <= 0 or value > Decimal("1000000000"):
        outcome.error(name, _("Must be a positive amount in yuan."))
        return None
    outcome.event[name] = str(value.quantize(Decimal("0.01")))
    return value


def parse_when(outcome: Outcome, data: dict[str, Any], name: str) -> datetime | None:
    raw = data.get(name)
    if raw in (None, ""):
        outcome.error(name, _("This field is required."))
        return None
    value = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
    if value is None:
        outcome.error(name, _("Not a date and time (ISO 8601)."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value <= timezone.now():
        outcome.error(name, _("Must be in the future."))
        return None
    outcome.event[name] = value.isoformat()
    return value
