from datetime import date

import pytest
from django.utils import translation

from tousu.core.problems import InvalidInput
from tousu.reports.periods import period_parse, preset

TODAY = date(2026, 12, 6)


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted as written in the code (Chinese is the default)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "previous"),
    [
        ("2026-10", "month", date(2026, 10, 1), date(2026, 10, 31), "2026-09"),
        ("2026-1", "month", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026Q2"),
        ("2026q1", "quarter", date(2026, 1, 1), date(2026, 3, 31), "2025Q4"),
        ("2025", "year", date(2025, 1, 1), date(2025, 12, 31), "2024"),
        (
            "2026-10-01..2026-12-31",
            "range",
            date(2026, 10, 1),
            date(2026, 12, 31),
            "2026-07-01..2026-09-30",
        ),
        ("2026-02-01 至 2026-02-28", "range", date(2026, 2, 1), date(2026, 2, 28), None),
        ("2026-11-03", "day", date(2026, 11, 3), date(2026, 11, 3), "2026-11-02"),
        # The current month: figures so far.
        ("2026-12", "month", date(2026, 12, 1), date(2026, 12, 31), "2026-11"),
    ],
)
def test_periods_as_people_write_them(text, kind, start, end, previous):
    period = period_parse(text, today=TODAY)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period_parse(period.key, today=TODAY) == period
    if previous:
        assert period.previous().key == previous
    low, high = period.bounds()
    assert low.date() == start and (high - low).days == period.days


@pytest.mark.parametrize(
    ("text", "kind", "says"),
    [
        ("", "", "Give a period"),
        ("last month", "", "is not a period"),
        ("2026-13", "", "is not a period"),
        ("2026-02-30", "", "is not a date"),
        ("2026-10-05..2026-10-01", "", "ends before it starts"),
        ("2027-01", "", "is in the future"),
        ("2026-12-07", "", "is in the future"),
        ("2020-01-01..2026-01-01", "", "at most three years"),
        ("2026-10", "quarter", "is not a quarter"),
        # Before the earliest date a complaint can have (date(1, 1, 1) overflowed).
        ("0001", "", "must lie between 2000-01-01 and 2100-12-31"),
        ("0001-01", "", "must lie between"),
        ("0001Q1", "", "must lie between"),
        ("0001-01-01", "", "must lie between"),
        ("1999-12-31..2000-01-02", "", "must lie between"),
    ],
)
def test_a_period_that_does_not_parse_or_is_in_the_future_is_refused_naming_the_field(
    text, kind, says
):
    with pytest.raises(InvalidInput) as refused:
        period_parse(text, kind=kind, today=TODAY, field="month")
    assert says in refused.value.detail
    assert list(refused.value.field_errors) == ["month"]


def test_a_period_that_must_be_over():
    with pytest.raises(InvalidInput, match="not over yet"):
        period_parse("2026-12", today=TODAY, allow_future_end=False)
    assert period_parse("2026-11", today=TODAY, allow_future_end=False).key == "2026-11"


def test_presets_end_today():
    assert preset("today", today=TODAY).start == TODAY
    week = preset("week", today=TODAY)
    assert (week.start, week.end) == (date(2026, 11, 30), TODAY)
    assert preset("month", today=TODAY).start == date(2026, 12, 1)
    assert preset("quarter", today=TODAY).start == date(2026, 10, 1)
    assert preset("year", today=TODAY).start == date(2026, 1, 1)


def test_a_period_after_the_latest_date_is_refused():
    with pytest.raises(InvalidInput, match="must lie between") as refused:
        period_parse("2100-12-01..2101-01-02", today=date(2100, 12, 30))
    assert list(refused.value.field_errors) == ["period"]
    # The edges themselves are periods.
    assert period_parse("2000-01-01", today=TODAY).start == date(2000, 1, 1)
    assert period_parse("2100-12", today=date(2100, 12, 30)).end == date(2100, 12, 31)
