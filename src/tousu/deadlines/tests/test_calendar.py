"""The deadline arithmetic, table by table. Pure: no database.

Unless a row says otherwise the calendar is ``WorkCalendar()``: the ``chinese_calendar``
data for 2026 and the statute alone for 2027. The 2026 schedule (国办发明电〔2025〕7号,
as the package carries it) has, among others:

- 春节: 15–23 February off; Saturdays 14 and 28 February are working days;
- 中秋: 25 September off; 国庆: 1–7 October off; Sunday 20 September and Saturday
  10 October are working days.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from lunardate import LunarDate

from tousu.deadlines.calendar import (
    SHANGHAI,
    BusinessHours,
    CalendarRangeError,
    Due,
    PeriodError,
    WorkCalendar,
    due_at,
    due_with_pauses,
    extend_for_pause,
    warn_at,
)
from tousu.deadlines.holidays import package_day, qingming, statutory_holidays

CAL = WorkCalendar()
OFFICE = "08:30-12:00,13:30-17:30"
# 2027 entered by an administrator: only 元旦 on Friday 1 January is off, as the statute has it.
CAL_2027 = WorkCalendar(overrides={dt.date(2027, 1, 1): ("holiday", "元旦")}, entered_years=[2027])
# A hypothetical 2027 notice that also gives Monday 4 January off.
CAL_2027_LONG = WorkCalendar(
    overrides={
        dt.date(2027, 1, 1): ("holiday", "元旦"),
        dt.date(2027, 1, 4): ("holiday", "元旦"),
    },
    entered_years=[2027],
)


def t(text: str) -> dt.datetime:
    """``"2026-09-30 10:00"`` in Shanghai time, or any ISO 8601 text with an offset."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


DUE_CASES = [
    # id, start, amount, unit, business hours, calendar, due, provisional
    # --- 国庆 2026: the event day is not counted; Oct 1-7 off; Sat Oct 10 works.
    # Oct 8 Thu (1), Oct 9 Fri (2), Oct 10 Sat 调休 (3), Oct 11 Sun off, Oct 12 Mon (4),
    # Oct 13 Tue (5).
    ("national-day-5wd", "2026-09-30 10:00", 5, "working_days", None, CAL,
     "2026-10-13 23:59:59", False),
    ("national-day-5wd-office", "2026-09-30 10:00", 5, "working_days", OFFICE, CAL,
     "2026-10-13 17:30", False),
    ("national-day-3wd-on-makeup-saturday", "2026-09-30 10:00", 3, "working_days", None, CAL,
     "2026-10-10 23:59:59", False),
    ("national-day-event-on-holiday", "2026-10-03 09:00", 1, "working_days", None, CAL,
     "2026-10-08 23:59:59", False),
    ("makeup-sunday-before-mid-autumn", "2026-09-18 15:00", 1, "working_days", None, CAL,
     "2026-09-20 23:59:59", False),
    # --- 春节 2026: Sat Feb 14 works, Feb 15-23 off, Sat Feb 28 works.
    ("spring-festival-makeup-saturday", "2026-02-13 16:00", 1, "working_days", None, CAL,
     "2026-02-14 23:59:59", False),
    ("spring-festival-over-the-break", "2026-02-14 09:00", 1, "working_days", None, CAL,
     "2026-02-24 23:59:59", False),
    ("spring-festival-to-makeup-feb-28", "2026-02-24 09:00", 4, "working_days", None, CAL,
     "2026-02-28 23:59:59", False),
    ("spring-festival-2wd-from-friday", "2026-02-13 10:00", 2, "working_days", None, CAL,
     "2026-02-24 23:59:59", False),
    # --- calendar days (民法典 §201, §203)
    ("days-plain", "2026-11-16 10:00", 3, "days", None, CAL, "2026-11-19 23:59:59", False),
    ("days-alias", "2026-11-16 10:00", 3, "calendar_days", None, CAL,
     "2026-11-19 23:59:59", False),
    ("days-event-late-at-night", "2026-11-16 23:30", 1, "days", None, CAL,
     "2026-11-17 23:59:59", False),
    ("days-close-of-business", "2026-11-16 10:00", 3, "days", OFFICE, CAL,
     "2026-11-19 17:30", False),
    ("days-last-day-saturday", "2026-11-18 10:00", 3, "days", None, CAL,
     "2026-11-23 23:59:59", False),
    ("days-last-day-sunday", "2026-11-19 10:00", 3, "days", None, CAL,
     "2026-11-23 23:59:59", False),
    ("days-last-day-national-day", "2026-09-28 10:00", 3, "days", None, CAL,
     "2026-10-08 23:59:59", False),
    ("days-last-day-makeup-saturday", "2026-10-07 10:00", 3, "days", None, CAL,
     "2026-10-10 23:59:59", False),
    ("days-holidays-inside-count", "2026-09-28 10:00", 15, "days", None, CAL,
     "2026-10-13 23:59:59", False),
    ("days-last-day-new-year-2027", "2026-12-30 10:00", 2, "days", None, CAL,
     "2027-01-04 23:59:59", True),
    ("days-sixty", "2026-11-23 10:00", 60, "days", None, CAL, "2027-01-22 23:59:59", True),
    # --- hours: from the event itself, calendar time, holidays irrelevant
    ("hours-across-midnight", "2026-11-16 22:00", 3, "hours", None, CAL,
     "2026-11-17 01:00", False),
    ("hours-into-holiday", "2026-09-30 22:00", 24, "hours", None, CAL,
     "2026-10-01 22:00", False),
    ("hours-into-2027", "2026-12-31 20:00", 24, "hours", None, CAL, "2027-01-01 20:00", False),
    ("hours-half", "2026-11-16 10:00", Decimal("0.5"), "hours", None, CAL,
     "2026-11-16 10:30", False),
    ("hours-float", "2026-11-16 10:00", 1.25, "hours", None, CAL, "2026-11-16 11:15", False),
    ("hours-business-hours-ignored", "2026-11-16 17:00", 1, "hours", OFFICE, CAL,
     "2026-11-16 18:00", False),
    ("hours-from-utc", "2026-11-16T14:00+00:00", 1, "hours", None, CAL,
     "2026-11-16 23:00", False),
    # --- working hours (default 08:30-12:00, 13:30-17:30)
    ("wh-across-lunch", "2026-11-16 11:00", 2, "working_hours", None, CAL,
     "2026-11-16 14:30", False),
    ("wh-ends-at-noon", "2026-11-16 11:00", 1, "working_hours", None, CAL,
     "2026-11-16 12:00", False),
    ("wh-overnight", "2026-11-16 16:30", 2, "working_hours", None, CAL,
     "2026-11-17 09:30", False),
    ("wh-before-opening", "2026-11-16 07:00", 1, "working_hours", None, CAL,
     "2026-11-16 09:30", False),
    ("wh-during-lunch", "2026-11-16 12:30", 1, "working_hours", None, CAL,
     "2026-11-16 14:30", False),
    ("wh-after-close", "2026-11-16 20:00", Decimal("0.5"), "working_hours", None, CAL,
     "2026-11-17 09:00", False),
    ("wh-full-day", "2026-11-16 08:30", Decimal("7.5"), "working_hours", None, CAL,
     "2026-11-16 17:30", False),
    ("wh-over-weekend", "2026-11-20 17:00", 1, "working_hours", None, CAL,
     "2026-11-23 09:00", False),
    ("wh-event-on-saturday", "2026-11-21 10:00", 1, "working_hours", None, CAL,
     "2026-11-23 09:30", False),
    ("wh-over-national-day", "2026-09-30 16:00", 3, "working_hours", None, CAL,
     "2026-10-08 10:00", False),
    ("wh-onto-makeup-saturday", "2026-10-09 17:00", 1, "working_hours", None, CAL,
     "2026-10-10 09:00", False),
    ("wh-own-hours", "2026-11-16 17:00", 2, "working_hours", "09:00-18:00", CAL,
     "2026-11-17 10:00", False),
    ("wh-into-2027", "2026-12-31 16:00", 3, "working_hours", None, CAL,
     "2027-01-04 10:00", True),
    # --- into 2027: provisional until the 2027 schedule is entered.
    # Dec 29 Tue (1), Dec 30 (2), Dec 31 (3), Jan 1 Fri 元旦 off, Jan 2-3 weekend,
    # Jan 4 Mon (4), Jan 5 Tue (5).
    ("into-2027-statutory", "2026-12-28 10:00", 5, "working_days", None, CAL,
     "2027-01-05 23:59:59", True),
    ("into-2027-entered", "2026-12-28 10:00", 5, "working_days", None, CAL_2027,
     "2027-01-05 23:59:59", False),
    ("into-2027-entered-longer", "2026-12-28 10:00", 5, "working_days", None, CAL_2027_LONG,
     "2027-01-06 23:59:59", False),
    ("ends-before-2027", "2026-12-28 10:00", 3, "working_days", None, CAL,
     "2026-12-31 23:59:59", False),
    ("spring-festival-2027-statutory", "2027-02-04 10:00", 1, "working_days", None, CAL,
     "2027-02-09 23:59:59", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "amount", "unit", "hours", "calendar", "expected", "provisional"),
    [pytest.param(*case[1:], id=case[0]) for case in DUE_CASES],
)
def test_due_at(start, amount, unit, hours, calendar, expected, provisional):
    due = due_at(t(start), amount, unit, calendar=calendar, business_hours=hours)
    assert due == Due(t(expected), provisional)
    assert due.at.tzinfo == SHANGHAI


def test_due_prints_as_iso_8601_with_offset():
    due = due_at(t("2026-12-28 10:00"), 5, "working_days", calendar=CAL)
    assert str(due) == "2027-01-05T23:59:59+08:00 provisional"
    assert str(due_at(t("2026-09-30 10:00"), 5, "working_days", calendar=CAL)) == (
        "2026-10-13T23:59:59+08:00"
    )


BAD_INPUT = [
    # id, start, amount, unit, business hours, field, message fragment
    ("amount-zero", "2026-11-16 10:00", 0, "days", None, "amount", "greater than zero"),
    ("amount-negative", "2026-11-16 10:00", -2, "hours", None, "amount", "greater than zero"),
    ("amount-text", "2026-11-16 10:00", "five", "days", None, "amount", "must be a number"),
    ("amount-bool", "2026-11-16 10:00", True, "days", None, "amount", "must be a number"),
    ("amount-none", "2026-11-16 10:00", None, "days", None, "amount", "must be a number"),
    ("amount-nan", "2026-11-16 10:00", float("nan"), "hours", None, "amount", "must be a number"),
    ("amount-fraction-days", "2026-11-16 10:00", 1.5, "days", None, "amount", "whole number"),
    ("amount-fraction-wd", "2026-11-16 10:00", Decimal("2.5"), "working_days", None, "amount",
     "whole number of working days"),
    ("amount-huge", "2026-11-16 10:00", 100_000, "days", None, "amount", "too large"),
    ("unit-unknown", "2026-11-16 10:00", 5, "weeks", None, "unit", "Unknown unit “weeks”"),
    ("start-naive", dt.datetime.fromisoformat("2026-11-16T10:00"), 5, "days", None, "start",
     "no UTC offset"),
    ("start-date", dt.date(2026, 11, 16), 5, "days", None, "start", "date and time"),
    ("hours-no-dash", "2026-11-16 10:00", 1, "working_hours", "08:30", "business_hours",
     "not an interval"),
    ("hours-backwards", "2026-11-16 10:00", 1, "working_hours", "12:00-08:30",
     "business_hours", "end after it starts"),
    ("hours-overlap", "2026-11-16 10:00", 1, "working_hours", "08:30-12:00,11:00-13:00",
     "business_hours", "must not overlap"),
    ("hours-empty", "2026-11-16 10:00", 1, "working_hours", "", "business_hours",
     "at least one interval"),
    ("hours-bad-time", "2026-11-16 10:00", 1, "working_hours", "25:00-26:00",
     "business_hours", "not an interval"),
    ("beyond-2099", "2099-12-30 10:00", 5, "working_days", None, "calendar", "2100"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "amount", "unit", "hours", "field", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_problem(start, amount, unit, hours, field, fragment):
    start = t(start) if isinstance(start, str) else start
    with pytest.raises(ValueError, match=fragment) as caught:
        due_at(start, amount, unit, calendar=CAL, business_hours=hours)
    assert isinstance(caught.value, PeriodError)
    assert caught.value.field == field


# --- the calendar's sources ------------------------------------------------------------


SOURCE_CASES = [
    # id, calendar, day, working, source, name
    ("package-holiday", CAL, "2026-10-01", False, "package", "国庆节"),
    ("package-makeup-day", CAL, "2026-10-10", True, "package", "国庆节"),
    ("package-weekend", CAL, "2026-10-11", False, "package", ""),
    ("package-weekday", CAL, "2026-11-16", True, "package", ""),
    ("statutory-holiday", CAL, "2027-01-01", False, "statutory", "元旦"),
    ("statutory-weekday", CAL, "2027-01-04", True, "statutory", ""),
    ("statutory-weekend", CAL, "2027-01-02", False, "statutory", ""),
    ("entered-override", CAL_2027, "2027-01-01", False, "override", "元旦"),
    ("entered-weekday", CAL_2027, "2027-02-08", True, "entered", ""),
    ("entered-weekend", CAL_2027, "2027-01-02", False, "entered", ""),
    ("entered-ignores-package", WorkCalendar(entered_years=[2026]), "2026-10-01", True,
     "entered", ""),
    ("override-beats-package", WorkCalendar(overrides={dt.date(2026, 10, 8): ("holiday", "x")}),
     "2026-10-08", False, "override", "x"),
    ("override-workday", WorkCalendar(overrides={dt.date(2026, 10, 7): ("workday", "y")}),
     "2026-10-07", True, "override", "y"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "day", "working", "source", "name"),
    [pytest.param(*case[1:], id=case[0]) for case in SOURCE_CASES],
)
def test_calendar_sources_in_priority_order(calendar, day, working, source, name):
    info = calendar.day(dt.date.fromisoformat(day))
    assert (info.working, info.source, info.name) == (working, source, name)
    assert info.provisional == (source == "statutory")


def test_statutory_holidays_2027():
    assert statutory_holidays(2027) == {
        dt.date(2027, 1, 1): "元旦",
        dt.date(2027, 2, 5): "春节",  # 除夕
        dt.date(2027, 2, 6): "春节",
        dt.date(2027, 2, 7): "春节",
        dt.date(2027, 2, 8): "春节",
        dt.date(2027, 4, 5): "清明节",
        dt.date(2027, 5, 1): "劳动节",
        dt.date(2027, 5, 2): "劳动节",
        dt.date(2027, 6, 9): "端午节",
        dt.date(2027, 9, 15): "中秋节",
        dt.date(2027, 10, 1): "国庆节",
        dt.date(2027, 10, 2): "国庆节",
        dt.date(2027, 10, 3): "国庆节",
    }


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_agree_with_the_official_schedule(year):
    """Under the 2025 rules every statutory holiday is a day off in the official data."""
    assert len(statutory_holidays(year)) == 13
    for day, name in statutory_holidays(year).items():
        assert package_day(day)[0] is False, (day, name)


@pytest.mark.parametrize("year", range(2008, 2027))
def test_lunar_and_solar_term_holidays_agree_with_the_official_schedule(year):
    new_year = LunarDate(year, 1, 1).to_solar_date()
    for day in (
        new_year,
        new_year + dt.timedelta(days=1),
        qingming(year),
        LunarDate(year, 5, 5).to_solar_date(),
        LunarDate(year, 8, 15).to_solar_date(),
    ):
        assert package_day(day)[0] is False, day


@pytest.mark.parametrize(
    ("year", "day"),
    [(2027, 5), (2028, 4), (2029, 4), (2030, 5), (2031, 5), (2032, 4), (2040, 4), (2050, 4)],
)
def test_qingming_beyond_the_package(year, day):
    assert qingming(year) == dt.date(year, 4, day)


def _sun_longitude(moment: dt.datetime) -> float:
    """Apparent solar longitude in degrees (Meeus, Astronomical Algorithms, ch. 25, low
    accuracy: about 0.01°, a quarter of an hour of the sun's motion)."""
    tt = moment + dt.timedelta(seconds=70)  # ΔT, near enough for this century
    c = (tt - dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC)) / dt.timedelta(days=36525)
    mean = 280.46646 + 36000.76983 * c + 0.0003032 * c * c
    anomaly = math.radians(357.52911 + 35999.05029 * c - 0.0001537 * c * c)
    centre = (
        (1.914602 - 0.004817 * c - 0.000014 * c * c) * math.sin(anomaly)
        + (0.019993 - 0.000101 * c) * math.sin(2 * anomaly)
        + 0.000289 * math.sin(3 * anomaly)
    )
    node = math.radians(125.04 - 1934.136 * c)
    return (mean + centre - 0.00569 - 0.00478 * math.sin(node)) % 360


def test_qingming_is_when_the_sun_reaches_15_degrees():
    """清明 is the day (Beijing time) the sun's apparent longitude reaches 15°."""
    for year in range(2000, 2100):
        low = dt.datetime(year, 4, 2, tzinfo=dt.UTC)
        high = low + dt.timedelta(days=5)
        while high - low > dt.timedelta(minutes=1):
            middle = low + (high - low) / 2
            if _sun_longitude(middle) < 15:
                low = middle
            else:
                high = middle
        assert qingming(year) == low.astimezone(SHANGHAI).date(), year


def test_mid_autumn_on_national_day_stays_one_holiday():
    # 2028: 中秋 is 3 October; the statute gives 13 days in all, 12 distinct dates.
    assert len(statutory_holidays(2028)) == 12
    assert dt.date(2028, 10, 3) in statutory_holidays(2028)


def test_calendar_refuses_days_outside_what_it_was_loaded_for():
    calendar = WorkCalendar(covers=(dt.date(2026, 9, 1), dt.date(2026, 10, 5)))
    assert calendar.is_working_day(dt.date(2026, 9, 30))
    with pytest.raises(CalendarRangeError) as caught:
        due_at(t("2026-09-30 10:00"), 5, "working_days", calendar=calendar)
    assert caught.value.day == dt.date(2026, 10, 6)


def test_exceptions_list_only_what_breaks_the_weekend_rule():
    days = CAL.exceptions(dt.date(2026, 9, 19), dt.date(2026, 10, 11))
    assert [(d.day.isoformat(), d.working) for d in days] == [
        ("2026-09-20", True),
        ("2026-09-25", False),
        ("2026-10-01", False),
        ("2026-10-02", False),
        ("2026-10-05", False),
        ("2026-10-06", False),
        ("2026-10-07", False),
        ("2026-10-10", True),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("08:30-12:00,13:30-17:30", "08:30-12:00,13:30-17:30"),
        (["08:30-12:00", "13:30-17:30"], "08:30-12:00,13:30-17:30"),
        ([["09:00", "17:00"]], "09:00-17:00"),
        ([(dt.time(9), dt.time(12, 0, 30))], "09:00-12:00:30"),
    ],
)
def test_business_hours_forms(value, text):
    hours = BusinessHours.coerce(value)
    assert str(hours) == text
    assert BusinessHours.coerce(hours.to_json()) == hours


# --- warnings --------------------------------------------------------------------------


WARN_CASES = [
    # id, start, due, fraction, lead, expected
    ("default-three-quarters", "2026-11-16 10:00", "2026-11-20 10:00", None, None,
     "2026-11-19 10:00"),
    ("half", "2026-11-16 10:00", "2026-11-20 10:00", Decimal("0.5"), None, "2026-11-18 10:00"),
    ("whole", "2026-11-16 10:00", "2026-11-20 10:00", 1, None, "2026-11-20 10:00"),
    ("lead", "2026-11-16 10:00", "2026-11-20 10:00", None, dt.timedelta(hours=2),
     "2026-11-20 08:00"),
    ("lead-longer-than-period", "2026-11-16 10:00", "2026-11-16 11:00", None,
     dt.timedelta(hours=2), "2026-11-16 10:00"),
    ("whole-seconds", "2026-11-16 10:00", "2026-11-16 10:00:01", Decimal("0.5"), None,
     "2026-11-16 10:00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "due", "fraction", "lead", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in WARN_CASES],
)
def test_warn_at(start, due, fraction, lead, expected):
    assert warn_at(t(start), Due(t(due)), fraction=fraction, lead=lead) == t(expected)


@pytest.mark.parametrize(
    ("fraction", "lead"),
    [
        (0, None),
        (Decimal("1.5"), None),
        ("x", None),
        (None, dt.timedelta(0)),
        (0.5, dt.timedelta(1)),
    ],
)
def test_warn_at_refuses_nonsense(fraction, lead):
    with pytest.raises(PeriodError):
        warn_at(t("2026-11-16 10:00"), t("2026-11-20 10:00"), fraction=fraction, lead=lead)


# --- pauses ----------------------------------------------------------------------------


PAUSE_CASES = [
    # id, start, amount, unit, business hours, pauses, due, provisional
    ("hours-wall-time", "2026-11-16 10:00", 24, "hours", None,
     [("2026-11-16 12:00", "2026-11-16 15:00")], "2026-11-17 13:00", False),
    ("hours-pause-after-due", "2026-11-16 10:00", 2, "hours", None,
     [("2026-11-16 13:00", "2026-11-16 15:00")], "2026-11-16 12:00", False),
    ("hours-empty-pause", "2026-11-16 10:00", 2, "hours", None,
     [("2026-11-16 11:00", "2026-11-16 11:00")], "2026-11-16 12:00", False),
    # Nov 16 + 3 days = Thu Nov 19; a 24-hour pause → Fri Nov 20.
    ("days-whole-day", "2026-11-16 10:00", 3, "days", None,
     [("2026-11-17 10:00", "2026-11-18 10:00")], "2026-11-20 23:59:59", False),
    # Five paused hours still cost a whole day (§201 counts whole days).
    ("days-part-day-rounds-up", "2026-11-16 10:00", 3, "days", None,
     [("2026-11-17 10:00", "2026-11-17 15:00")], "2026-11-20 23:59:59", False),
    # Two days → Sat Nov 21 → §203 → Mon Nov 23.
    ("days-onto-weekend", "2026-11-16 10:00", 3, "days", None,
     [("2026-11-17 10:00", "2026-11-19 10:00")], "2026-11-23 23:59:59", False),
    ("days-close-of-business", "2026-11-16 10:00", 3, "days", OFFICE,
     [("2026-11-17 10:00", "2026-11-18 10:00")], "2026-11-20 17:30", False),
    # Nov 16 + 5 working days = Mon Nov 23. Fri 10:00 → Mon 10:00 is 14 h + 10 h of
    # working days = one working day → Tue Nov 24.
    ("wd-over-weekend", "2026-11-16 10:00", 5, "working_days", None,
     [("2026-11-20 10:00", "2026-11-23 10:00")], "2026-11-24 23:59:59", False),
    ("wd-weekend-only", "2026-11-16 10:00", 5, "working_days", None,
     [("2026-11-21 10:00", "2026-11-22 18:00")], "2026-11-23 23:59:59", False),
    ("wd-one-hour-costs-a-day", "2026-11-16 10:00", 5, "working_days", None,
     [("2026-11-17 10:00", "2026-11-17 11:00")], "2026-11-24 23:59:59", False),
    # With business hours, one full business day (7.5 h) moves it one working day.
    ("wd-business-day", "2026-11-16 10:00", 5, "working_days", OFFICE,
     [("2026-11-17 08:30", "2026-11-18 08:30")], "2026-11-24 17:30", False),
    # Into the national holiday: due Wed Sep 30; a whole paused working day → Oct 8.
    ("wd-over-national-day", "2026-09-28 10:00", 2, "working_days", None,
     [("2026-09-29 00:00", "2026-09-30 00:00")], "2026-10-08 23:59:59", False),
    # Nov 16 11:00 + 4 working hours = 16:30.
    ("wh-one-hour", "2026-11-16 11:00", 4, "working_hours", None,
     [("2026-11-16 13:30", "2026-11-16 14:30")], "2026-11-16 17:30", False),
    ("wh-lunch-only", "2026-11-16 11:00", 4, "working_hours", None,
     [("2026-11-16 12:00", "2026-11-16 13:30")], "2026-11-16 16:30", False),
    ("wh-overnight", "2026-11-16 11:00", 4, "working_hours", None,
     [("2026-11-16 16:00", "2026-11-17 09:00")], "2026-11-17 09:30", False),
    ("wh-two-pauses", "2026-11-16 11:00", 4, "working_hours", None,
     [("2026-11-16 11:00", "2026-11-16 11:30"), ("2026-11-16 14:00", "2026-11-16 14:30")],
     "2026-11-16 17:30", False),
    # Dec 24 + 3 working days = Tue Dec 29; paused over Dec 28-30 (3 working days) →
    # Dec 30, Dec 31, then 1 Jan 2027 (statute) off → Mon Jan 4, provisional.
    ("wd-into-2027", "2026-12-24 10:00", 3, "working_days", None,
     [("2026-12-28 00:00", "2026-12-31 00:00")], "2027-01-04 23:59:59", True),
    ("wd-before-2027", "2026-12-24 10:00", 3, "working_days", None,
     [("2026-12-28 00:00", "2026-12-29 00:00")], "2026-12-30 23:59:59", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "amount", "unit", "hours", "pauses", "expected", "provisional"),
    [pytest.param(*case[1:], id=case[0]) for case in PAUSE_CASES],
)
def test_pauses_are_not_counted(start, amount, unit, hours, pauses, expected, provisional):
    due = due_with_pauses(
        t(start),
        amount,
        unit,
        calendar=CAL,
        business_hours=hours,
        pauses=[(t(p), t(r)) for p, r in pauses],
    )
    assert due == Due(t(expected), provisional)


def test_extend_for_pause_keeps_an_earlier_provisional_answer():
    due = due_at(t("2026-12-28 10:00"), 5, "working_days", calendar=CAL)
    moved = extend_for_pause(
        due, t("2026-12-28 11:00"), t("2026-12-28 12:00"), "hours", calendar=CAL
    )
    assert moved == Due(t("2027-01-05 23:59:59") + dt.timedelta(hours=1), True)


def test_extend_for_pause_refuses_a_resume_before_the_pause():
    with pytest.raises(PeriodError, match="cannot resume before") as caught:
        extend_for_pause(
            t("2026-11-20 10:00"), t("2026-11-17 10:00"), t("2026-11-16 10:00"), "days",
            calendar=CAL,
        )  # fmt: skip
    assert caught.value.field == "resumed_at"
