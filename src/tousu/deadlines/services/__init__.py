"""Writes of the deadlines app: deadlines (``deadlines``) and the calendar (``calendar``)."""

from tousu.deadlines.services.calendar import (
    CalendarChange,
    calendar_override_clear,
    calendar_override_set,
    calendar_year_enter,
)
from tousu.deadlines.services.deadlines import (
    DeadlineTerms,
    deadline_close,
    deadline_open,
    deadline_opened_data,
    deadline_pause,
    deadline_recompute,
    deadline_resume,
    deadline_schedule,
    deadlines_new,
    deadlines_open_new,
)

__all__ = [
    "CalendarChange",
    "DeadlineTerms",
    "calendar_override_clear",
    "calendar_override_set",
    "calendar_year_enter",
    "deadline_close",
    "deadline_open",
    "deadline_opened_data",
    "deadline_pause",
    "deadline_recompute",
    "deadline_resume",
    "deadline_schedule",
    "deadlines_new",
    "deadlines_open_new",
]
