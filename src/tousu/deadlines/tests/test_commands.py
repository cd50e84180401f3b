import datetime as dt
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tousu.deadlines.models import CalendarOverride, CalendarYear
from tousu.deadlines.schedule import ScheduleError, schedule_parse

NEW_YEAR_2027 = """\
year: 2027
source: 国办发明电〔2026〕N号 (test)
holidays:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
"""


def calendar(*args) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def schedule_file(tmp_path):
    def write(text: str):
        path = tmp_path / "schedule.yaml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


DUE = [
    (("2026-09-30T10:00+08:00", "5", "working_days"), "2026-10-13T23:59:59+08:00\n"),
    (
        ("2026-09-30T10:00+08:00", "5", "working_days",
         "--business-hours", "08:30-12:00,13:30-17:30"),
        "2026-10-13T17:30:00+08:00\n",
    ),
    (("2026-12-28T10:00+08:00", "5", "working_days"), "2027-01-05T23:59:59+08:00 provisional\n"),
    (("2026-09-28T10:00+08:00", "3", "calendar_days"), "2026-10-08T23:59:59+08:00\n"),
    (("2026-11-16T22:00+08:00", "3", "hours"), "2026-11-17T01:00:00+08:00\n"),
    (("2026-11-16T14:00Z", "0.5", "hours"), "2026-11-16T22:30:00+08:00\n"),
    (("2026-11-16T11:00+08:00", "2", "working_hours"), "2026-11-16T14:30:00+08:00\n"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "output"), DUE)
def test_due_prints_the_instant_with_its_offset(args, output):
    assert calendar("due", *args) == output


@pytest.mark.django_db
def test_due_is_final_once_2027_is_entered(schedule_file):
    args = ("due", "2026-12-28T10:00+08:00", "5", "working_days")
    assert calendar(*args) == "2027-01-05T23:59:59+08:00 provisional\n"
    assert calendar("year", "2027", "--file", schedule_file(NEW_YEAR_2027)) == (
        "2027 entered: 3 holidays, 0 working days. Open deadlines recomputed: 0, moved: 0.\n"
    )
    assert calendar(*args) == "2027-01-05T23:59:59+08:00\n"
    assert CalendarYear.objects.get(year=2027).source_note == "国办发明电〔2026〕N号 (test)"


BAD_DUE = [
    (("2026-09-30T10:00", "5", "working_days"), "START “2026-09-30T10:00” has no UTC offset"),
    (("2026-09-30", "5", "working_days"), "has no UTC offset"),
    (("yesterday", "5", "working_days"), "START “yesterday” is not an ISO 8601 date and time"),
    (("2026-09-30T10:00+08:00", "0", "working_days"), "The amount must be greater than zero."),
    (("2026-09-30T10:00+08:00", "-1", "days"), "The amount must be greater than zero."),
    (("2026-09-30T10:00+08:00", "five", "days"), "The amount must be a number."),
    (("2026-09-30T10:00+08:00", "1.5", "days"), "whole number of calendar days"),
    (("2026-09-30T10:00+08:00", "5", "weeks"), "Unknown unit “weeks”; use one of: hours, days,"),
    (
        ("2026-09-30T10:00+08:00", "5", "days", "--business-hours", "9-5"),
        "“9-5” is not an interval like 08:30-12:00.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), BAD_DUE)
def test_due_refuses_bad_input_clearly(args, message):
    with pytest.raises(CommandError) as caught:
        calendar("due", *args)
    assert message in str(caught.value)


def test_a_refusal_exits_non_zero_with_the_message():
    result = subprocess.run(
        [sys.executable, "-m", "tousu", "calendar", "due", "2026-09-30T10:00", "5", "working_days"],
        capture_output=True,
        text=True,
        env={**os.environ, "LANGUAGE": "en", "DJANGO_SETTINGS_MODULE": "tousu.settings"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "CommandError" in result.stderr and "2026-09-30T10:00" in result.stderr


@pytest.mark.django_db
def test_year_refuses_a_contradictory_file_and_stores_nothing(schedule_file):
    path = schedule_file(
        NEW_YEAR_2027
        + "workdays:\n  - {date: 2027-01-02, name: 元旦}\n  - {date: 2026-12-27, name: x}\n"
    )
    with pytest.raises(CommandError) as caught:
        calendar("year", "2027", "--file", path)
    message = str(caught.value)
    assert "The holiday schedule is not valid." in message
    assert "workdays: Both a holiday and a working day: 2027-01-02." in message
    assert "workdays: Not in 2027: 2026-12-27." in message
    assert not CalendarOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NEW_YEAR_2027, "The file is for 2027, not 2028."),
        ("holidays: [", "Not valid YAML"),
        ("holidays:\n  - {date: 2028-02-30, name: x}\n",
         "holidays.0.date: “2028-02-30” is not a date"),
    ],
)  # fmt: skip
def test_year_refuses_a_bad_file(schedule_file, text, message):
    with pytest.raises(CommandError, match=message):
        calendar("year", "2028", "--file", schedule_file(text))


@pytest.mark.django_db
def test_year_needs_a_readable_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        calendar("year", "2027", "--file", str(tmp_path / "missing.yaml"))


@pytest.mark.django_db
def test_show_lists_the_exceptions_with_their_source(schedule_file):
    lines = calendar("show", "2026").splitlines()
    assert lines[0] == "2026: chinese-calendar data"
    assert "2026-02-14 Sat Working day 春节 (chinese-calendar data)" in lines
    assert "2026-10-01 Thu Holiday 国庆节 (chinese-calendar data)" in lines
    assert "2026-10-10 Sat Working day 国庆节 (chinese-calendar data)" in lines
    assert len(lines) == 1 + 25

    lines = calendar("show", "2027").splitlines()
    assert lines[0] == "2027: statutory holidays only (provisional)"
    assert "2027-02-05 Fri Holiday 春节 (statutory holidays only (provisional))" in lines

    calendar("year", "2027", "--file", schedule_file(NEW_YEAR_2027))
    lines = calendar("show", "2027").splitlines()
    assert lines[0].startswith("2027: entered official schedule, ")
    assert lines[0].endswith(", 国办发明电〔2026〕N号 (test)")
    assert lines[1:] == ["2027-01-01 Fri Holiday 元旦 (administrator override)"]


# --- the schedule file -----------------------------------------------------------------


def test_schedule_parse_expands_ranges():
    schedule = schedule_parse(
        "year: 2027\nholidays:\n"
        "  - {from: 2027-02-05, to: '2027-02-07', name: 春节}\n"
        "  - {date: '2027-04-05', name: 清明节}\n"
        "workdays:\n  - {date: 2027-02-20, name: 春节}\n"
    )
    assert schedule.year == 2027
    assert schedule.holidays == [
        (dt.date(2027, 2, 5), "春节"),
        (dt.date(2027, 2, 6), "春节"),
        (dt.date(2027, 2, 7), "春节"),
        (dt.date(2027, 4, 5), "清明节"),
    ]
    assert schedule.workdays == [(dt.date(2027, 2, 20), "春节")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 2027-01-01", "must be a mapping"),
        ("holiday: []", "Unknown field “holiday”"),
        ("year: twenty", "year: must be a whole number"),
        ("holidays: {date: 2027-01-01}", "holidays: must be a list"),
        ("holidays:\n  - {date: 2027-01-01}", "holidays.0.name: is required"),
        ("holidays:\n  - {day: 2027-01-01, name: x}", "holidays.0: unknown field “day”"),
        ("holidays:\n  - {from: 2027-01-01, name: x}", "holidays.0: give either date, or both"),
        ("holidays:\n  - {from: 2027-01-03, to: 2027-01-01, name: x}", "holidays.0.to: must be on"),
    ],
)
def test_schedule_parse_names_the_problem(text, message):
    with pytest.raises(ScheduleError, match=message):
        schedule_parse(text)
