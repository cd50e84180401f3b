"""The working-day calendar and deadline arithmetic. Pure: no database access here.

A ``WorkCalendar`` answers, for a date, whether it is a working day and where the answer
came from, in this order:

1. an administrator's override of that day (``CalendarOverride`` rows passed in);
2. a year whose official schedule an administrator entered (``CalendarYear``): weekends
   off, every other day working, except the overrides;
3. the ``chinese_calendar`` package's data, for the years it covers;
4. otherwise weekends and the statutory holidays alone (``holidays.statutory_holidays``).
   Such an answer is **provisional**, and so is any deadline computed from one.

Periods (民法典 第二百零一条 to 第二百零三条, and the practice of the complaint rules):

- ``hours``: calendar hours from the event itself; never provisional.
- ``days`` (alias ``calendar_days``): the day of the event is not counted; the period
  ends at the end (23:59:59 local) of its last day, or at close of business when business
  hours are given. A last day that is not a working day (weekend or holiday; a 调休
  make-up working day counts as working) moves the end to the next working day (§203).
- ``working_days``: the Nth working day after the day of the event, to its end (or its
  close of business).
- ``working_hours``: working time inside business hours on working days, from the event
  (``DEFAULT_BUSINESS_HOURS``, 08:30–12:00 and 13:30–17:30, when none are given).

Every result is an aware datetime in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from tousu.deadlines.choices import UNIT_ALIASES, Unit
from tousu.deadlines.holidays import LAST_YEAR
from tousu.deadlines.hours import (
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    BusinessHoursInput,
    PeriodError,
)
from tousu.deadlines.workcalendar import CalendarDay, CalendarRangeError, WorkCalendar

__all__ = [
    "DEFAULT_BUSINESS_HOURS",
    "SHANGHAI",
    "BusinessHours",
    "BusinessHoursInput",
    "CalendarDay",
    "CalendarRangeError",
    "Due",
    "PeriodError",
    "WorkCalendar",
    "amount_check",
    "due_at",
    "due_with_pauses",
    "extend_for_pause",
    "local_time",
    "unit_normalise",
    "warn_at",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)
END_OF_DAY = dt.time(23, 59, 59)

# Upper bounds that keep every walk short; far beyond any rule's period.
MAX_AMOUNT = {
    Unit.HOURS: Decimal(24 * 3660),
    Unit.DAYS: Decimal(3660),
    Unit.WORKING_DAYS: Decimal(2500),
    Unit.WORKING_HOURS: Decimal(20000),
}


@dataclass(frozen=True)
class Due:
    """When a period ends; ``provisional`` when a day it depends on came from the statute
    alone (the year's official schedule is not known yet)."""

    at: dt.datetime
    provisional: bool = False

    def __str__(self) -> str:
        return self.at.isoformat() + (" provisional" if self.provisional else "")


class _Days:
    """Asks the calendar and remembers whether any answer was provisional."""

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self.provisional = False

    def working(self, day: dt.date) -> bool:
        info = self.calendar.day(day)
        self.provisional = self.provisional or info.provisional
        return info.working


_UNITS = frozenset(Unit.values)


def unit_normalise(unit: str) -> Unit:
    unit = UNIT_ALIASES.get(unit, unit)
    if unit not in _UNITS:
        raise PeriodError(
            _("Unknown unit “%(value)s”; use one of: %(units)s.")
            % {"value": unit, "units": ", ".join([*Unit.values, *UNIT_ALIASES])},
            field="unit",
        )
    return Unit(unit)


def amount_check(amount: object, unit: Unit) -> Decimal:
    """The amount as a ``Decimal``: positive, whole for the day units, not absurdly large."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal | str):
        raise PeriodError(_("The amount must be a number."), field="amount")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise PeriodError(_("The amount must be a number."), field="amount") from None
    if not value.is_finite():
        raise PeriodError(_("The amount must be a number."), field="amount")
    if value <= 0:
        raise PeriodError(_("The amount must be greater than zero."), field="amount")
    if unit in (Unit.DAYS, Unit.WORKING_DAYS) and value != value.to_integral_value():
        raise PeriodError(
            _("The amount must be a whole number of %(unit)s.") % {"unit": unit.label},
            field="amount",
        )
    if value > MAX_AMOUNT[unit]:
        raise PeriodError(
            _("The amount is too large: at most %(limit)s %(unit)s.")
            % {"limit": MAX_AMOUNT[unit], "unit": unit.label},
            field="amount",
        )
    return value


def local_time(moment: dt.datetime, field: str) -> dt.datetime:
    """An aware datetime in Asia/Shanghai; a naive one is refused, never guessed."""
    if not isinstance(moment, dt.datetime):
        raise PeriodError(_("A date and time is required."), field=field)
    if moment.utcoffset() is None:
        raise PeriodError(
            _("The time has no UTC offset; give one, e.g. 2026-09-30T10:00+08:00."),
            field=field,
        )
    return moment.astimezone(SHANGHAI)


def _hours(amount: Decimal) -> dt.timedelta:
    return dt.timedelta(microseconds=int((amount * 3_600_000_000).to_integral_value()))


def _day_end(day: dt.date, hours: BusinessHours | None) -> dt.datetime:
    return dt.datetime.combine(day, hours.closing if hours else END_OF_DAY, SHANGHAI)


def _intervals(day: dt.date, hours: BusinessHours | None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working intervals of a working day; the whole day without business hours."""
    if hours is None:
        start = dt.datetime.combine(day, dt.time(), SHANGHAI)
        return [(start, start + DAY)]
    return [
        (dt.datetime.combine(day, a, SHANGHAI), dt.datetime.combine(day, b, SHANGHAI))
        for a, b in hours.intervals
    ]


def _walk_limit(day: dt.date) -> int:
    return (dt.date(LAST_YEAR, 12, 31) - day).days + 2


def _add_working(
    start: dt.datetime, amount: dt.timedelta, days: _Days, hours: BusinessHours | None
) -> dt.datetime:
    """The moment ``amount`` of working time after ``start`` (which is local)."""
    remaining, day = amount, start.date()
    for _step in range(_walk_limit(day)):
        if days.working(day):
            for begin, end in _intervals(day, hours):
                begin = max(begin, start)
                if begin < end:
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
        day += DAY
    days.working(day)  # past the last supported year: raises PeriodError
    raise AssertionError("unreachable")  # pragma: no cover


def _working_between(
    start: dt.datetime, end: dt.datetime, days: _Days, hours: BusinessHours | None
) -> dt.timedelta:
    """Working time from ``start`` to ``end`` (both local)."""
    total, day = dt.timedelta(), start.date()
    while day <= end.date():
        if days.working(day):
            for begin, finish in _intervals(day, hours):
                begin, finish = max(begin, start), min(finish, end)
                if begin < finish:
                    total += finish - begin
        day += DAY
    return total


def _next_working(day: dt.date, days: _Days) -> dt.date:
    """``day`` if it is a working day, else the first working day after it (§203)."""
    for _step in range(_walk_limit(day)):
        if days.working(day):
            return day
        day += DAY
    days.working(day)
    raise AssertionError("unreachable")  # pragma: no cover


def due_at(
    start: dt.datetime,
    amount: int | Decimal | float,
    unit: str,
    *,
    calendar: WorkCalendar,
    business_hours: BusinessHoursInput = None,
) -> Due:
    """When a period of ``amount`` ``unit`` counted from the event at ``start`` ends.

    ``business_hours`` (a ``BusinessHours``, its text form or pairs of times) sets close
    of business for the day units and the working time for ``working_hours``; ``hours``
    ignore it. Raises ``PeriodError`` (a ``ValueError``) naming the bad argument.
    """
    unit = unit_normalise(unit)
    value = amount_check(amount, unit)
    start = local_time(start, "start")
    hours = BusinessHours.coerce(business_hours)
    days = _Days(calendar)
    if unit == Unit.HOURS:
        return Due(start + _hours(value), False)
    if unit == Unit.WORKING_HOURS:
        at = _add_working(start, _hours(value), days, hours or DEFAULT_BUSINESS_HOURS)
        return Due(at, days.provisional)
    last = start.date()
    if unit == Unit.DAYS:
        last = _next_working(last + DAY * int(value), days)
    else:
        counted = 0
        while counted < value:
            last += DAY
            counted += days.working(last)
    return Due(_day_end(last, hours), days.provisional)


def extend_for_pause(
    due: Due | dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    unit: str,
    *,
    calendar: WorkCalendar,
    business_hours: BusinessHoursInput = None,
) -> Due:
    """The due time once a pause from ``paused_at`` to ``resumed_at`` is not counted.

    - ``hours``: the paused wall time is added.
    - ``days``: the paused wall time is added and the end rounded up to the end (or close
      of business) of its day — a partly paused day counts as a whole one, as §201 counts
      whole days — then moved off a non-working day as §203 says.
    - ``working_days``: the working time that passed during the pause (inside business
      hours if given, else whole working days) is added in working time, and the end
      rounded up to the end (or close of business) of that working day.
    - ``working_hours``: the working time that passed during the pause is added.

    A pause that begins at or after the due time changes nothing: the period had run out.
    The result is provisional if ``due`` was or if a day the extension used is.
    """
    unit = unit_normalise(unit)
    provisional = due.provisional if isinstance(due, Due) else False
    at = local_time(due.at if isinstance(due, Due) else due, "due")
    paused, resumed = local_time(paused_at, "paused_at"), local_time(resumed_at, "resumed_at")
    if resumed < paused:
        raise PeriodError(_("The clock cannot resume before it was paused."), field="resumed_at")
    if paused >= at or resumed == paused:
        return Due(at, provisional)
    hours = BusinessHours.coerce(business_hours)
    days = _Days(calendar)
    if unit == Unit.HOURS:
        return Due(at + (resumed - paused), provisional)
    if unit == Unit.DAYS:
        moved = at + (resumed - paused)
        last = moved.date()
        if moved > _day_end(last, hours):
            last += DAY
        at = _day_end(_next_working(last, days), hours)
    elif unit == Unit.WORKING_DAYS:
        elapsed = _working_between(paused, resumed, days, hours)
        if elapsed:
            moved = _add_working(at, elapsed, days, hours)
            # Whole-day working time ends at midnight, which belongs to the day before.
            at = _day_end((moved - dt.timedelta(microseconds=1)).date(), hours)
    else:
        hours = hours or DEFAULT_BUSINESS_HOURS
        elapsed = _working_between(paused, resumed, days, hours)
        if elapsed:
            at = _add_working(at, elapsed, days, hours)
    return Due(at, provisional or days.provisional)


def due_with_pauses(
    start: dt.datetime,
    amount: int | Decimal | float,
    unit: str,
    *,
    calendar: WorkCalendar,
    business_hours: BusinessHoursInput = None,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> Due:
    """``due_at``, then ``extend_for_pause`` for each finished pause, earliest first."""
    due = due_at(start, amount, unit, calendar=calendar, business_hours=business_hours)
    for paused, resumed in sorted(pauses):
        due = extend_for_pause(
            due, paused, resumed, unit, calendar=calendar, business_hours=business_hours
        )
    return due


def warn_at(
    start: dt.datetime,
    due: Due | dt.datetime,
    *,
    fraction: Decimal | float | None = None,
    lead: dt.timedelta | None = None,
) -> dt.datetime:
    """When to warn that a period is running out, in wall time.

    With ``lead``, that long before the due time; otherwise when ``fraction`` (default
    0.75) of the wall time from ``start`` to the due time has passed. Never before
    ``start`` (to the second: the result is rounded down to whole seconds).
    """
    start = local_time(start, "start")
    end = local_time(due.at if isinstance(due, Due) else due, "due")
    if lead is not None and fraction is not None:
        raise PeriodError(_("Give a warning fraction or a lead, not both."), field="warn")
    if lead is not None:
        if not isinstance(lead, dt.timedelta) or lead <= dt.timedelta():
            raise PeriodError(_("The warning lead must be a positive duration."), field="warn")
        moment = end - lead
    else:
        try:
            share = Decimal(str(Decimal("0.75") if fraction is None else fraction))
        except InvalidOperation:
            share = Decimal(-1)
        if isinstance(fraction, bool) or not share.is_finite() or not 0 < share <= 1:
            raise PeriodError(
                _("The warning fraction must be greater than 0 and at most 1."), field="warn"
            )
        span = end - start
        moment = start + dt.timedelta(
            microseconds=int(Decimal(span // dt.timedelta(microseconds=1)) * share)
        )
    return max(moment, start).replace(microsecond=0)
