"""The file an administrator writes to enter a year's official holiday schedule.

``tousu calendar year 2027 --file schedule-2027.yaml`` reads YAML of this shape, copied
from the State Council's notice (国务院办公厅关于2027年部分节假日安排的通知)::

    year: 2027                  # optional; must match the command's YEAR
    source: 国办发明电〔2026〕N号  # optional; kept with the year
    holidays:                   # days off, each with the holiday it belongs to
      - {date: 2027-01-01, name: 元旦}
      - {from: 2027-02-05, to: 2027-02-13, name: 春节}
    workdays:                   # 调休 make-up working days (Saturdays or Sundays)
      - {date: 2027-02-20, name: 春节}

A ``from``/``to`` range includes both ends. Errors name the entry at fault
(``holidays.1.to``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

MAX_RANGE_DAYS = 31


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a bad one is reported with its path."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ScheduleError(ValueError):
    """The schedule file is not in the expected shape."""


@dataclass
class Schedule:
    year: int | None = None
    source: str = ""
    holidays: list[tuple[dt.date, str]] = field(default_factory=list)
    workdays: list[tuple[dt.date, str]] = field(default_factory=list)


def _date(value, path: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScheduleError(
            _("%(path)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"path": path, "value": value}
        ) from None


def _entries(items, section: str) -> list[tuple[dt.date, str]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ScheduleError(_("%(path)s: must be a list.") % {"path": section})
    days = []
    for index, item in enumerate(items):
        path = f"{section}.{index}"
        if not isinstance(item, dict):
            raise ScheduleError(
                _("%(path)s: must have a name and a date, or a name, from and to.") % {"path": path}
            )
        unknown = sorted(set(item) - {"date", "from", "to", "name"})
        if unknown:
            raise ScheduleError(
                _("%(path)s: unknown field “%(value)s”.") % {"path": path, "value": unknown[0]}
            )
        name = str(item.get("name") or "").strip()
        if not name:
            raise ScheduleError(_("%(path)s.name: is required.") % {"path": path})
        if "date" in item and not ({"from", "to"} & item.keys()):
            days.append((_date(item["date"], f"{path}.date"), name))
            continue
        if "date" in item or not {"from", "to"} <= item.keys():
            raise ScheduleError(
                _("%(path)s: give either date, or both from and to.") % {"path": path}
            )
        first, last = _date(item["from"], f"{path}.from"), _date(item["to"], f"{path}.to")
        if not 0 <= (last - first).days < MAX_RANGE_DAYS:
            raise ScheduleError(
                _("%(path)s.to: must be on or after from, at most %(limit)d days later.")
                % {"path": path, "limit": MAX_RANGE_DAYS - 1}
            )
        days += [(first + dt.timedelta(days=n), name) for n in range((last - first).days + 1)]
    return days


def schedule_parse(text: str) -> Schedule:
    """Read a schedule file; raises ``ScheduleError`` naming the first problem."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScheduleError(_("Not valid YAML: %(error)s") % {"error": exc}) from None
    if not isinstance(data, dict):
        raise ScheduleError(_("The file must be a mapping with holidays and workdays."))
    unknown = sorted(set(data) - {"year", "source", "holidays", "workdays"})
    if unknown:
        raise ScheduleError(_("Unknown field “%(value)s”.") % {"value": unknown[0]})
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ScheduleError(_("year: must be a whole number such as 2027."))
    return Schedule(
        year=year,
        source=str(data.get("source") or "").strip(),
        holidays=_entries(data.get("holidays"), "holidays"),
        workdays=_entries(data.get("workdays"), "workdays"),
    )
