from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    """How a deadline's amount is counted (see ``tousu.deadlines.calendar.due_at``)."""

    HOURS = "hours", _("hours")
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")


# Other spellings accepted on input; stored and returned as the canonical unit.
UNIT_ALIASES = {"calendar_days": Unit.DAYS}


class OverrideKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Working day")


class DaySource(models.TextChoices):
    """Where the calendar's answer for a day came from, most authoritative first."""

    OVERRIDE = "override", _("administrator override")
    ENTERED = "entered", _("entered official schedule")
    PACKAGE = "package", _("chinese-calendar data")
    STATUTORY = "statutory", _("statutory holidays only (provisional)")


# Audit actions. Kept in the audit chain; the complaint timeline shows only its own
# ``EventAction`` values, so these stay off it until it learns to show them.
DEADLINE_OPENED = "deadline.opened"
DEADLINE_PAUSED = "deadline.paused"
DEADLINE_RESUMED = "deadline.resumed"
DEADLINE_CLOSED = "deadline.closed"
DEADLINE_RECOMPUTED = "deadline.recomputed"
CALENDAR_YEAR_ENTERED = "calendar.year_entered"
CALENDAR_OVERRIDE_SET = "calendar.override_set"
CALENDAR_OVERRIDE_CLEARED = "calendar.override_cleared"
