"""Reads of deadlines and of the working calendar."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from tousu.core.config import config_cached
from tousu.deadlines.calendar import (
    DEFAULT_BUSINESS_HOURS,
    SHANGHAI,
    BusinessHours,
    BusinessHoursInput,
    CalendarRangeError,
    Due,
    WorkCalendar,
    amount_check,
    due_with_pauses,
    local_time,
    unit_normalise,
)
from tousu.deadlines.choices import Unit
from tousu.deadlines.holidays import FIRST_YEAR, LAST_YEAR
from tousu.deadlines.models import RUNNING, CalendarOverride, CalendarYear, Deadline


def work_calendar_for(first: dt.date, last: dt.date) -> WorkCalendar:
    """The calendar from ``first`` to ``last`` (inclusive): one query for the overrides
    of those days and one for the entered years. Asking it about another day raises
    ``CalendarRangeError``."""
    overrides = {
        day: (kind, name)
        for day, kind, name in CalendarOverride.objects.filter(
            day__range=(first, last)
        ).values_list("day", "kind", "name")
    }
    years = CalendarYear.objects.filter(year__range=(first.year, last.year)).values_list(
        "year", flat=True
    )
    return WorkCalendar(overrides=overrides, entered_years=years, covers=(first, last))


def work_calendar_cached() -> WorkCalendar:
    """The whole stored calendar (every override and entered year: a few dozen rows a
    year), kept in this process until the configuration changes (``core.config``)."""

    def build() -> WorkCalendar:
        return WorkCalendar(
            overrides={
                day: (kind, name)
                for day, kind, name in CalendarOverride.objects.values_list("day", "kind", "name")
            },
            entered_years=CalendarYear.objects.values_list("year", flat=True),
        )

    return config_cached("deadlines.calendar", build)


def _days_needed(amount: Decimal, unit: Unit, hours: BusinessHours | None) -> int:
    """Calendar days a period is likely to span; generous, since a miss costs a reload."""
    if unit == Unit.HOURS:
        return math.ceil(amount / 24) + 1
    if unit == Unit.DAYS:
        return int(amount) + 40
    if unit == Unit.WORKING_DAYS:
        return int(amount) * 2 + 40
    hours = hours or DEFAULT_BUSINESS_HOURS
    per_day = Decimal(hours.per_day().total_seconds()) / 3600
    return math.ceil(amount / per_day) * 2 + 40


def due_compute(
    *,
    anchor_at: dt.datetime,
    amount: int | Decimal | float,
    unit: str,
    business_hours: BusinessHoursInput = None,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    calendar: WorkCalendar | None = None,
) -> Due:
    """``due_with_pauses`` under the stored calendar, loaded for the days it needs.

    Uses the whole stored calendar kept in this process unless ``calendar`` is given; a
    given calendar that the arithmetic walks out of (long holidays, long pauses) is
    replaced by a wider one loaded for the days needed. Raises ``PeriodError``.
    """
    unit = unit_normalise(unit)
    value = amount_check(amount, unit)
    hours = BusinessHours.coerce(business_hours)
    anchor = local_time(anchor_at, "anchor_at")
    pauses = [(local_time(p, "paused_at"), local_time(r, "resumed_at")) for p, r in pauses]
    first = min([anchor, *(p for p, _r in pauses)]).date()
    last = max([anchor, *(r for _p, r in pauses)]).date()
    span = _days_needed(value, unit, hours)
    floor, ceiling = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
    first = max(first, floor)
    last = min(max(last, first) + dt.timedelta(days=span), ceiling)
    # The whole stored calendar, kept per process (``work_calendar_cached``): no query
    # inside a registration, one for the configuration token elsewhere.
    calendar = calendar or work_calendar_cached()
    while True:
        calendar = calendar or work_calendar_for(first, last)
        try:
            return due_with_pauses(
                anchor,
                value,
                unit,
                calendar=calendar,
                business_hours=hours,
                pauses=pauses,
            )
        except CalendarRangeError as exc:
            calendar = None
            first = min(first, exc.day)
            last = min(max(last, exc.day) + dt.timedelta(days=366), ceiling)


def deadlines_open(complaint: Any) -> QuerySet[Deadline]:
    """The complaint's open deadlines (paused ones included), soonest first.

    ``complaint`` is a ``Complaint``, which the import contract keeps from being named
    here (complaints sit above deadlines), and the ORM accepts no other type for it."""
    return Deadline.objects.filter(complaint=complaint, closed_at__isnull=True).order_by(
        "due_at", "pk"
    )


def deadlines_due(*, before: dt.datetime, limit: int = 100) -> QuerySet[Deadline]:
    """Running deadlines (open, not paused, not yet breached) due strictly before
    ``before``, earliest first: a range scan of the ``deadline_due_running`` index.
    Complaints' and incidents' deadlines alike."""
    return Deadline.objects.filter(RUNNING, breached_at__isnull=True, due_at__lt=before).order_by(
        "due_at"
    )[:limit]


def deadlines_warn(*, before: dt.datetime, limit: int = 100) -> QuerySet[Deadline]:
    """Running deadlines not yet warned whose warning time is strictly before ``before``,
    earliest first: a range scan of the ``deadline_warn_running`` index (complaints' and
    incidents', as ``deadlines_due``)."""
    return Deadline.objects.filter(RUNNING, warned_at__isnull=True, warn_at__lt=before).order_by(
        "warn_at"
    )[:limit]


def deadlines_provisional(*, limit: int = 100) -> QuerySet[Deadline]:
    """Open deadlines counted over a year whose official schedule is not entered yet,
    soonest first (the ``deadline_open_provisional`` index)."""
    return Deadline.objects.filter(closed_at__isnull=True, provisional=True).order_by("due_at")[
        :limit
    ]


def deadlines_touching(first: dt.date, last: dt.date) -> QuerySet[Deadline]:
    """Open deadlines whose period (event day to due day) shares a day with ``first`` to
    ``last``; a calendar change on those days may move them. Paused rows are included:
    their finished pauses are recomputed too (``deadline_open_anchor`` index)."""
    start = dt.datetime.combine(first, dt.time(), SHANGHAI)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return Deadline.objects.filter(
        Q(closed_at__isnull=True), anchor_at__lt=end, due_at__gte=start
    ).order_by("pk")
