"""Periods of reports, figures and KPIs: a day, a week, a month, a quarter, a year or a
range, as people write them — ``2026-10``, ``2026Q3``, ``2026``, ``2026-10-01..2026-12-31``
— or as the dashboard's presets (``today``, ``week``, ``month``, ``quarter``, ``year``).

A period is whole local days, ``start`` to ``end`` inclusive; ``bounds()`` gives the aware
datetimes ``[start, end + 1 day)`` that queries use. A period that does not parse, ends
before it starts, starts in the future, lies outside the dates a complaint can have
(``tousu.core.inputs.EARLIEST`` … ``LATEST``) or spans more than ``MAX_DAYS`` is refused with
``InvalidInput`` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.core.inputs import EARLIEST, LATEST
from tousu.core.problems import InvalidInput

MAX_DAYS = 3 * 366
KINDS = ("day", "week", "month", "quarter", "year", "range")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})\s*[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RANGE = re.compile(r"(\S+?)\s*(?:\.\.|~|至)\s*(\S+)")


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The aware datetimes ``[start, end + 1 day)`` in the current time zone."""
        return (
            timezone.make_aware(datetime.combine(self.start, time.min)),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min)),
        )

    @property
    def key(self) -> str:
        """The period as written: what ``period_parse`` reads back."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "day":
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """The period in words (in the active language)."""
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {
                "year": self.start.year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == "year":
            return _("year %(year)d") % {"year": self.start.year}
        if self.kind == "day":
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before (for comparisons)."""
        if self.kind == "month":
            end = self.start - timedelta(days=1)
            return month(end.year, end.month)
        if self.kind == "quarter":
            end = self.start - timedelta(days=1)
            return quarter(end.year, (end.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.start.year - 1)
        return Period(
            self.kind, self.start - timedelta(days=self.days), self.start - timedelta(days=1)
        )


def month(y: int, m: int) -> Period:
    start = date(y, m, 1)
    following = date(y + (m == 12), m % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def quarter(y: int, q: int) -> Period:
    start = date(y, 3 * (q - 1) + 1, 1)
    return Period("quarter", start, month(y, 3 * q).end)


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field_errors={field: [message]})


def _day(text: str, field: str) -> date:
    found = _DAY.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        raise _refuse(field, _("“%(text)s” is not a date (YYYY-MM-DD).") % {"text": text}) from None


def preset(name: str, *, today: date | None = None) -> Period:
    """The dashboard's presets, ending today: today, this week (from Monday), this month,
    this quarter, this year."""
    today = today or timezone.localdate()
    if name == "today":
        return Period("day", today, today)
    if name == "week":
        return Period("week", today - timedelta(days=today.weekday()), today)
    if name == "month":
        return Period("month", today.replace(day=1), today)
    if name == "quarter":
        return Period("quarter", quarter(today.year, (today.month - 1) // 3 + 1).start, today)
    if name == "year":
        return Period("year", date(today.year, 1, 1), today)
    raise KeyError(name)


def period_parse(
    text: str | None,
    *,
    kind: str = "",
    field: str = "period",
    today: date | None = None,
    allow_future_end: bool = True,
) -> Period:
    """The period ``text`` names; ``kind`` (month, quarter, year, range) says what it must
    be, when the caller asked for one (``tousu report monthly 2026-10``).

    A period may be the current one (it ends in the future: figures so far), never one
    that starts after today; with ``allow_future_end=False`` it must be over."""
    today = today or timezone.localdate()
    text = (text or "").strip()
    if not text:
        raise _refuse(field, _("Give a period, e.g. 2026-10, 2026Q3, 2026 or a date range."))
    period: Period | None = None
    try:
        if found := _RANGE.fullmatch(text):
            period = Period("range", _day(found[1], field), _day(found[2], field))
        elif found := _QUARTER.fullmatch(text):
            period = quarter(int(found[1]), int(found[2]))
        elif found := _DAY.fullmatch(text):
            day = _day(text, field)
            period = Period("day", day, day)
        elif found := _MONTH.fullmatch(text):
            period = month(int(found[1]), int(found[2]))
        elif found := _YEAR.fullmatch(text):
            period = year(int(found[1]))
    except ValueError:
        period = None
    if period is None:
        raise _refuse(
            field,
            _(
                "“%(text)s” is not a period: write a month (2026-10), a quarter (2026Q3), "
                "a year (2026) or a range (2026-10-01..2026-12-31)."
            )
            % {"text": text},
        )
    if kind and kind != period.kind and not (kind == "range" and period.kind == "day"):
        raise _refuse(
            field, _("“%(text)s” is not a %(kind)s.") % {"text": text, "kind": _kind_word(kind)}
        )
    if period.start < EARLIEST or period.end > LATEST:
        raise _refuse(
            field,
            _("A period must lie between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    if period.end < period.start:
        raise _refuse(field, _("The period ends before it starts."))
    if period.start > today:
        raise _refuse(field, _("The period %(period)s is in the future.") % {"period": text})
    if not allow_future_end and period.end >= today:
        raise _refuse(field, _("The period %(period)s is not over yet.") % {"period": text})
    if period.days > MAX_DAYS:
        raise _refuse(field, _("A period may span at most three years."))
    return period


def _kind_word(kind: str) -> str:
    return {
        "month": _("month"),
        "quarter": _("quarter"),
        "year": _("year"),
        "range": _("date range"),
        "day": _("day"),
        "week": _("week"),
    }[kind]
