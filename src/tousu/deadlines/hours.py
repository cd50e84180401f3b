"""Business hours: the intervals of a working day in which working time runs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    """Bad input to the deadline arithmetic; ``field`` names the argument at fault."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def _time_parse(text: str, whole: str) -> dt.time:
    match = _TIME.match(text.strip())
    if match is None:
        raise PeriodError(
            _("“%(value)s” is not an interval like 08:30-12:00.") % {"value": whole},
            field="business_hours",
        )
    hour, minute, second = match.groups()
    return dt.time(int(hour), int(minute), int(second or 0))


def _time_text(value: dt.time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


@dataclass(frozen=True)
class BusinessHours:
    """Ordered, non-overlapping ``(start, end)`` intervals of local time on a working day.

    Invariant: at least one interval; every interval ends after it starts; each starts at
    or after the end of the one before. The end of the last interval is close of business.
    """

    intervals: tuple[tuple[dt.time, dt.time], ...]

    def __post_init__(self) -> None:
        if not self.intervals:
            raise PeriodError(
                _("Business hours need at least one interval."), field="business_hours"
            )
        previous_end = None
        for start, end in self.intervals:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise PeriodError(
                    _("Business hours are local times without a time zone."),
                    field="business_hours",
                )
            if end <= start:
                raise PeriodError(
                    _("Each interval must end after it starts (%(value)s).")
                    % {"value": f"{_time_text(start)}-{_time_text(end)}"},
                    field="business_hours",
                )
            if previous_end is not None and start < previous_end:
                raise PeriodError(
                    _("Intervals must be in order and must not overlap (%(value)s).")
                    % {"value": str(self)},
                    field="business_hours",
                )
            previous_end = end

    @staticmethod
    def _interval(text: str) -> tuple[dt.time, dt.time]:
        start, sep, end = text.partition("-")
        if not sep:
            raise PeriodError(
                _("“%(value)s” is not an interval like 08:30-12:00.") % {"value": text},
                field="business_hours",
            )
        return _time_parse(start, text), _time_parse(end, text)

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """``"08:30-12:00,13:30-17:30"`` → ``BusinessHours``."""
        return cls(tuple(cls._interval(part) for part in text.split(",") if part.strip()))

    @classmethod
    def coerce(cls, value: BusinessHoursInput) -> BusinessHours | None:
        """Accept ``None``, an instance, the text form, or a list whose items are
        ``"HH:MM-HH:MM"`` strings (a plan's form) or pairs of times or ``"HH:MM"``
        strings (the stored JSON form)."""
        if value is None or isinstance(value, BusinessHours):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if not isinstance(value, Iterable):
            raise PeriodError(
                _("“%(value)s” is not an interval like 08:30-12:00.") % {"value": value},
                field="business_hours",
            )
        intervals = []
        for item in value:
            if isinstance(item, str):
                intervals.append(cls._interval(item))
                continue
            try:
                start, end = item
            except (TypeError, ValueError):
                raise PeriodError(
                    _("“%(value)s” is not an interval like 08:30-12:00.") % {"value": item},
                    field="business_hours",
                ) from None
            whole = f"{start}-{end}"
            intervals.append(
                (
                    start if isinstance(start, dt.time) else _time_parse(str(start), whole),
                    end if isinstance(end, dt.time) else _time_parse(str(end), whole),
                )
            )
        return cls(tuple(intervals))

    def to_json(self) -> list[list[str]]:
        return [[_time_text(start), _time_text(end)] for start, end in self.intervals]

    def __str__(self) -> str:
        return ",".join(f"{a}-{b}" for a, b in self.to_json())

    @property
    def closing(self) -> dt.time:
        return self.intervals[-1][1]

    def per_day(self) -> dt.timedelta:
        """Working time in one working day."""
        day = dt.date(2000, 1, 3)
        return sum(
            (dt.datetime.combine(day, b) - dt.datetime.combine(day, a) for a, b in self.intervals),
            dt.timedelta(),
        )


# What ``BusinessHours.coerce`` accepts: an instance, the text form, a plan's list of
# "HH:MM-HH:MM" strings or the stored JSON form (pairs of times or "HH:MM" strings).
BusinessHoursInput: TypeAlias = BusinessHours | str | Iterable[str | Sequence[dt.time | str]] | None

# Used for working hours when none are given: a common government office day.
DEFAULT_BUSINESS_HOURS = BusinessHours(
    ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
)
