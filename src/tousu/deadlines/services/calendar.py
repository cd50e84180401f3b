"""Writes of the working calendar: official years and single-day overrides.

Each runs in one transaction that stores the change, recomputes every open deadline
whose period shares a day with it (``deadline_recompute``, which records each deadline
that moved) and appends one audit event for the change itself. ``actor`` is a user with
``deadlines.manage_calendar``, or ``None`` for the console (``tousu calendar``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.audit.services import audit_record
from tousu.core.problems import InvalidInput, NotAllowed, NotFound
from tousu.deadlines.choices import (
    CALENDAR_OVERRIDE_CLEARED,
    CALENDAR_OVERRIDE_SET,
    CALENDAR_YEAR_ENTERED,
    OverrideKind,
)
from tousu.deadlines.holidays import FIRST_YEAR, LAST_YEAR
from tousu.deadlines.models import CalendarOverride, CalendarYear
from tousu.deadlines.selectors import deadlines_touching
from tousu.deadlines.services.deadlines import deadline_recompute

NAME_LIMIT = 50
NOTE_LIMIT = 500
SOURCE_LIMIT = 300


@dataclass(frozen=True)
class CalendarChange:
    """What a calendar write did: the row written (``None`` after a clear), how many
    open deadlines it recomputed and how many of them moved."""

    row: CalendarYear | CalendarOverride | None
    recomputed: int
    moved: int


def _allowed(actor: User | None) -> None:
    if actor is not None and not actor.has_perm("deadlines.manage_calendar"):
        raise NotAllowed(_("You may not change the working calendar."))


def _dates(days: Iterable[dt.date]) -> str:
    return ", ".join(day.isoformat() for day in sorted(days))


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _in_range(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


class _Errors(dict[str, list[str]]):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def name(
        self, field: str, value: object, *, limit: int = NAME_LIMIT, required: bool = True
    ) -> str:
        value = str(value or "").strip()
        if required and not value:
            self.add(field, _("This field is required."))
        elif len(value) > limit:
            self.add(field, _("At most %(limit)d characters.") % {"limit": limit})
        return value


def _entries(
    errors: _Errors, field: str, items: Iterable[tuple[dt.date, str]] | None, year: int | None
) -> dict[dt.date, str]:
    """``[(date, name), …]`` → ``{date: name}``, adding an error for each bad entry."""
    days: dict[dt.date, str] = {}
    repeated, outside = set(), set()
    for item in items or ():
        try:
            raw, name = item
        except (TypeError, ValueError):
            errors.add(field, _("Each entry is a date and a name."))
            continue
        day = _day(raw)
        if day is None:
            errors.add(field, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw})
            continue
        name = errors.name(field, name)
        if day in days:
            repeated.add(day)
        elif year is not None and day.year != year:
            outside.add(day)
        days[day] = name
    if repeated:
        errors.add(field, _("Listed more than once: %(dates)s.") % {"dates": _dates(repeated)})
    if outside:
        errors.add(
            field,
            _("Not in %(year)s: %(dates)s.") % {"year": year, "dates": _dates(outside)},
        )
    return days


def _recompute_days(first: dt.date, last: dt.date, actor: User | None) -> tuple[int, int]:
    rows = list(
        deadlines_touching(first, last).select_for_update(of=("self",)).select_related("complaint")
    )
    moved = sum(deadline_recompute(row, actor=actor) is not None for row in rows)
    return len(rows), moved


def calendar_year_enter(
    *,
    actor: User | None,
    year: int,
    holidays: list[tuple[dt.date, str]],
    workdays: list[tuple[dt.date, str]],
    source_note: str = "",
) -> CalendarChange:
    """Store the official schedule of ``year``: its holidays and 调休 make-up working days.

    From then on the year is its overrides plus weekends off, and nothing in it is
    provisional. The schedule replaces every override already in that year (entering a
    year again corrects it). Refuses — storing nothing — a year out of range, dates
    outside the year, a date listed twice, a date both holiday and working day, and
    missing names. Recomputes the open deadlines whose period touches the year.
    """
    _allowed(actor)
    errors = _Errors()
    checked: int | None = year  # None when not a year we can check the dates against
    if isinstance(year, bool) or not isinstance(year, int) or not (FIRST_YEAR <= year <= LAST_YEAR):
        errors.add(
            "year",
            _("Choose a year from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
        checked = None
    off = _entries(errors, "holidays", holidays, checked)
    on = _entries(errors, "workdays", workdays, checked)
    both = off.keys() & on.keys()
    if both:
        message = _("Both a holiday and a working day: %(dates)s.") % {"dates": _dates(both)}
        errors.add("holidays", message)
        errors.add("workdays", message)
    source_note = errors.name("source_note", source_note, limit=SOURCE_LIMIT, required=False)
    if errors:
        raise InvalidInput(_("The holiday schedule is not valid."), field_errors=errors)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    now = timezone.now()
    with transaction.atomic():
        replaced = CalendarOverride.objects.filter(day__range=(first, last))
        before = [[d.isoformat(), k, n] for d, k, n in replaced.values_list("day", "kind", "name")]
        replaced.delete()
        CalendarOverride.objects.bulk_create(
            [
                CalendarOverride(day=day, kind=kind, name=name, created_by=actor, created_at=now)
                for entries, kind in ((off, OverrideKind.HOLIDAY), (on, OverrideKind.WORKDAY))
                for day, name in sorted(entries.items())
            ]
        )
        row, _created = CalendarYear.objects.update_or_create(
            year=year,
            defaults={"entered_by": actor, "entered_at": now, "source_note": source_note},
        )
        recomputed, moved = _recompute_days(first, last, actor)
        audit_record(
            actor=actor,
            action=CALENDAR_YEAR_ENTERED,
            object_type="calendar_year",
            object_id=str(year),
            data={
                "holidays": [[d.isoformat(), n] for d, n in sorted(off.items())],
                "workdays": [[d.isoformat(), n] for d, n in sorted(on.items())],
                "source_note": source_note,
                "replaced": before,
                "recomputed": recomputed,
                "moved": moved,
            },
        )
    return CalendarChange(row, recomputed, moved)


def calendar_override_set(
    *, actor: User | None, day: dt.date, kind: str, name: str, note: str = ""
) -> CalendarChange:
    """Make ``day`` a holiday or a working day, whatever any other source says.

    Replaces an earlier override of that day; recomputes the open deadlines whose period
    includes it.
    """
    _allowed(actor)
    errors = _Errors()
    parsed = _day(day)
    if parsed is None:
        errors.add("day", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": day})
    elif not _in_range(parsed):
        errors.add(
            "day",
            _("Choose a day from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    if kind not in OverrideKind.values:
        errors.add("kind", _("Unknown value “%(value)s”.") % {"value": kind})
    name = errors.name("name", name)
    note = errors.name("note", note, limit=NOTE_LIMIT, required=False)
    if errors or parsed is None:  # a day that is not a date is among the errors
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors)
    with transaction.atomic():
        previous = CalendarOverride.objects.filter(day=parsed).values("kind", "name").first()
        row, _created = CalendarOverride.objects.update_or_create(
            day=parsed,
            defaults={
                "kind": kind,
                "name": name,
                "note": note,
                "created_by": actor,
                "created_at": timezone.now(),
            },
        )
        recomputed, moved = _recompute_days(parsed, parsed, actor)
        audit_record(
            actor=actor,
            action=CALENDAR_OVERRIDE_SET,
            object_type="calendar_override",
            object_id=parsed.isoformat(),
            data={
                "before": previous,
                "after": {"kind": kind, "name": name},
                "note": note,
                "recomputed": recomputed,
                "moved": moved,
            },
        )
    return CalendarChange(row, recomputed, moved)


def calendar_override_clear(*, actor: User | None, day: dt.date) -> CalendarChange:
    """Remove the override of ``day``; the other sources decide it again. Recomputes the
    open deadlines whose period includes it. Raises ``NotFound`` without an override."""
    _allowed(actor)
    parsed = _day(day)
    if parsed is None:
        message = _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": day}
        raise InvalidInput(message, field_errors={"day": [message]})
    day = parsed
    with transaction.atomic():
        row = CalendarOverride.objects.select_for_update().filter(day=day).first()
        if row is None:
            raise NotFound(_("That day has no override."))
        previous = {"kind": row.kind, "name": row.name}
        row.delete()
        recomputed, moved = _recompute_days(day, day, actor)
        audit_record(
            actor=actor,
            action=CALENDAR_OVERRIDE_CLEARED,
            object_type="calendar_override",
            object_id=day.isoformat(),
            data={"before": previous, "recomputed": recomputed, "moved": moved},
        )
    return CalendarChange(None, recomputed, moved)
