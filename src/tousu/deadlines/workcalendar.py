"""The working calendar: for any day, whether it is a working day and why.

The sources, most authoritative first (see ``tousu.deadlines.calendar``): an
administrator's override of the day; a year whose official schedule was entered (weekends
off, everything else by override); the ``chinese_calendar`` data; the statute alone,
which makes the answer provisional. Pure: the overrides and entered years are passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tousu.deadlines.choices import DaySource, OverrideKind
from tousu.deadlines.holidays import (
    FIRST_YEAR,
    LAST_YEAR,
    package_covers,
    package_day,
    statutory_holidays,
)
from tousu.deadlines.hours import PeriodError

DAY = dt.timedelta(days=1)


class CalendarRangeError(LookupError):
    """The calendar was asked about a day outside the range it was loaded for."""

    def __init__(self, day: dt.date, covers: tuple[dt.date, dt.date]):
        super().__init__(f"calendar loaded for {covers[0]}..{covers[1]}, asked for {day}")
        self.day = day
        self.covers = covers


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    working: bool
    source: str
    name: str = ""

    @property
    def provisional(self) -> bool:
        return self.source == DaySource.STATUTORY


class WorkCalendar:
    """Which days are working days; see the module docstring for the sources.

    ``overrides`` maps a date to ``(kind, name)`` with kind ``"holiday"`` or
    ``"workday"``; ``entered_years`` are the years whose official schedule was entered.
    With ``covers=(first, last)`` the overrides given are those of that range only, so a
    question about a day outside it raises ``CalendarRangeError`` instead of answering
    without them; without ``covers`` the calendar answers for any day.
    """

    def __init__(
        self,
        *,
        overrides: Mapping[dt.date, tuple[str, str]] | None = None,
        entered_years: Iterable[int] = (),
        covers: tuple[dt.date, dt.date] | None = None,
    ):
        self._overrides = dict(overrides or {})
        self._entered = frozenset(entered_years)
        self.covers = covers

    def day(self, day: dt.date) -> CalendarDay:
        if isinstance(day, dt.datetime):
            raise TypeError("WorkCalendar.day() takes a date, not a datetime")
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise PeriodError(
                _("No working calendar for %(year)s: supported years are %(first)s–%(last)s.")
                % {"year": day.year, "first": FIRST_YEAR, "last": LAST_YEAR},
                field="calendar",
            )
        if self.covers is not None and not self.covers[0] <= day <= self.covers[1]:
            raise CalendarRangeError(day, self.covers)
        weekday = day.weekday() < 5
        if day in self._overrides:
            kind, name = self._overrides[day]
            return CalendarDay(day, kind == OverrideKind.WORKDAY, DaySource.OVERRIDE, name)
        if day.year in self._entered:
            return CalendarDay(day, weekday, DaySource.ENTERED)
        if package_covers(day.year):
            working, name = package_day(day)
            return CalendarDay(day, working, DaySource.PACKAGE, name)
        name = statutory_holidays(day.year).get(day, "")
        return CalendarDay(day, weekday and not name, DaySource.STATUTORY, name)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def year_source(self, year: int) -> str:
        """The source of the days of ``year`` that no override decides."""
        if year in self._entered:
            return DaySource.ENTERED
        return DaySource.PACKAGE if package_covers(year) else DaySource.STATUTORY

    def exceptions(self, first: dt.date, last: dt.date) -> list[CalendarDay]:
        """The days from ``first`` to ``last`` that break the weekend rule: weekdays off
        and working Saturdays or Sundays."""
        days = (self.day(first + DAY * n) for n in range((last - first).days + 1))
        return [d for d in days if d.working != (d.day.weekday() < 5)]
