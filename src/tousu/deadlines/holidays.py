"""The two built-in sources of holidays: the ``chinese_calendar`` data and the statute.

``chinese_calendar`` carries each year's State Council schedule (holidays and 调休 make-up
working days) for the years it was released with; it refuses other years. For a year
nobody has entered, ``statutory_holidays`` gives the days the statute itself fixes —
全国年节及纪念日放假办法 as amended with effect from 2025-01-01:

- 元旦 January 1 (1 day);
- 春节 除夕 and lunar 1/1, 1/2, 1/3 (4 days);
- 清明节 the day of the Qingming solar term (1 day);
- 劳动节 May 1 and 2 (2 days);
- 端午节 lunar 5/5 (1 day);
- 中秋节 lunar 8/15 (1 day);
- 国庆节 October 1, 2 and 3 (3 days).

The annual notice moves days around these (bridges, 调休 working weekends, and the
补假 that 办法 第六条 grants when a holiday falls on a weekend); none of that is guessed
here, which is why answers from this source are provisional.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from lunardate import LunarDate

# The years this module can answer for: lunardate covers lunar years 1900-2099, and
# Asia/Shanghai has been a fixed UTC+08:00 (no daylight saving) since 1992.
FIRST_YEAR = 2000
LAST_YEAR = 2099

PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

# chinese_calendar's English keys → the names used in the official notices.
_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


def package_covers(year: int) -> bool:
    return year in PACKAGE_YEARS


@lru_cache(maxsize=4096)
def package_day(day: dt.date) -> tuple[bool, str]:
    """``(working, name)`` from the package's data; its year must be covered. Kept: the
    package's look-up checks the date against the range of all its years each time
    (about 8 µs), and a deadline asks it for every day it spans."""
    on_holiday, key = chinese_calendar.get_holiday_detail(day)
    if key is None:
        return not on_holiday, ""
    try:
        name = _PACKAGE_NAMES.get(key) or chinese_calendar.Holiday(key).chinese
    except ValueError:
        name = key
    return not on_holiday, name


def qingming(year: int) -> dt.date:
    """The date of the Qingming solar term (April 4 or 5 in this century)."""
    for day, name in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30)):
        if name == "清明":
            return day
    raise AssertionError(f"no Qingming in April {year}")  # pragma: no cover


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


@lru_cache(maxsize=128)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory public holidays of ``year`` (solar dates) and their names."""
    new_year = _lunar(year, 1, 1)
    days = [
        (dt.date(year, 1, 1), "元旦"),
        *((new_year + dt.timedelta(days=offset), "春节") for offset in range(-1, 3)),
        (qingming(year), "清明节"),
        (dt.date(year, 5, 1), "劳动节"),
        (dt.date(year, 5, 2), "劳动节"),
        (_lunar(year, 5, 5), "端午节"),
        (_lunar(year, 8, 15), "中秋节"),
        *((dt.date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    holidays: dict[dt.date, str] = {}
    for day, name in days:
        # 中秋 can fall on 1-3 October (2028, 2031 …); the day stays one holiday.
        holidays.setdefault(day, name)
    return holidays
