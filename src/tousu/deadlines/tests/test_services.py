import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tousu.audit.models import AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.deadlines.calendar import SHANGHAI
from tousu.deadlines.models import CalendarOverride, CalendarYear, Deadline
from tousu.deadlines.selectors import (
    deadlines_due,
    deadlines_open,
    deadlines_warn,
    work_calendar_for,
)
from tousu.deadlines.services import (
    calendar_override_clear,
    calendar_override_set,
    calendar_year_enter,
    deadline_close,
    deadline_open,
    deadline_pause,
    deadline_resume,
)

pytestmark = pytest.mark.django_db


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def complaint(org):
    return complaint_make(org.clerk)


@pytest.fixture
def calendar_admin(org):
    org.admin.user_permissions.add(Permission.objects.get(codename="manage_calendar"))
    return type(org.admin).objects.get(pk=org.admin.pk)  # fresh permission cache


def open_(complaint, anchor, amount, unit, **kwargs):
    values = {"stage": "investigation", "kind": "stage", **kwargs}
    return deadline_open(
        complaint=complaint, anchor_at=t(anchor), amount=amount, unit=unit, **values
    )


NEW_YEAR_2027 = {"holidays": [(dt.date(2027, 1, 1), "元旦")], "workdays": []}


# --- opening ---------------------------------------------------------------------------


def test_open_stores_the_due_time_and_the_warning(complaint):
    row = open_(complaint, "2026-09-30 10:00", 5, "working_days")
    row.refresh_from_db()
    assert row.due_at == t("2026-10-13 23:59:59")
    assert row.provisional is False
    # 75 % of the wall time from the event to the due time.
    assert row.warn_at == t("2026-10-10 14:29:59")
    assert row.amount == Decimal(5) and row.unit == "working_days"
    event = AuditEvent.objects.get(action="deadline.opened")
    assert event.complaint_id == complaint.pk
    assert event.data["due_at"].startswith("2026-10-13T23:59:59")
    assert audit_verify().ok


def test_open_with_business_hours_lead_and_alias(complaint):
    row = open_(
        complaint,
        "2026-11-16 10:00",
        3,
        "calendar_days",
        business_hours=["08:30-12:00", "13:30-17:30"],  # a plan's form
        warn_lead=dt.timedelta(hours=4),
    )
    row.refresh_from_db()
    assert row.unit == "days"
    assert row.business_hours == [["08:30", "12:00"], ["13:30", "17:30"]]
    assert row.due_at == t("2026-11-19 17:30")
    assert row.warn_at == t("2026-11-19 13:30")
    assert row.warn_fraction is None


def test_open_without_a_warning(complaint):
    row = open_(complaint, "2026-11-16 10:00", 2, "hours", warn_fraction=None)
    assert row.warn_at is None


def test_open_refuses_bad_input_naming_every_field_and_stores_nothing(complaint):
    with pytest.raises(InvalidInput) as caught:
        deadline_open(
            complaint=complaint,
            stage="",
            kind="bad kind",
            anchor_at=dt.datetime.fromisoformat("2026-11-16T10:00"),
            amount=0,
            unit="weeks",
            business_hours="8-12",
            warn_fraction=Decimal("1.5"),
        )
    assert set(caught.value.field_errors) == {
        "stage",
        "kind",
        "anchor_at",
        "unit",
        "business_hours",
        "warn_fraction",
    }
    assert "no UTC offset" in caught.value.field_errors["anchor_at"][0]
    with pytest.raises(InvalidInput) as caught:
        open_(complaint, "2026-11-16 10:00", Decimal("1.5"), "working_days")
    assert caught.value.field_errors == {
        "amount": ["The amount must be a whole number of working days."]
    }
    assert not Deadline.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="deadline.").exists()


def test_the_calendar_is_read_in_one_query_each(complaint, django_assert_num_queries):
    CalendarOverride.objects.create(day=dt.date(2026, 11, 20), kind="holiday", name="x")
    with django_assert_num_queries(2):
        calendar = work_calendar_for(dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    assert not calendar.is_working_day(dt.date(2026, 11, 20))
    # Opening a deadline half a year long reads the calendar in two queries too.
    with CaptureQueriesContext(connection) as queries:
        open_(complaint, "2026-09-30 10:00", 120, "working_days")
    calendar_reads = [q for q in queries.captured_queries if "deadlines_calendar" in q["sql"]]
    assert len(calendar_reads) == 2


# --- entering a year -------------------------------------------------------------------


def test_entering_2027_makes_provisional_deadlines_final(complaint, calendar_admin):
    into_2027 = open_(complaint, "2026-12-28 10:00", 5, "working_days")
    in_2026 = open_(complaint, "2026-12-01 10:00", 3, "working_days")
    closed = open_(complaint, "2026-12-29 10:00", 5, "working_days")
    deadline_close(deadline=closed, reason="done", at=t("2026-12-30 09:00"))
    assert (into_2027.due_at, into_2027.provisional) == (t("2027-01-05 23:59:59"), True)
    assert closed.provisional is True

    change = calendar_year_enter(
        actor=calendar_admin, year=2027, source_note="国办发明电〔2026〕N号", **NEW_YEAR_2027
    )

    into_2027.refresh_from_db()
    closed.refresh_from_db()
    assert (into_2027.due_at, into_2027.provisional) == (t("2027-01-05 23:59:59"), False)
    assert closed.provisional is True  # history does not change
    assert (change.recomputed, change.moved) == (1, 1)
    assert change.row == CalendarYear.objects.get(year=2027)
    assert change.row.entered_by == calendar_admin
    assert list(CalendarOverride.objects.values_list("day", "kind", "name")) == [
        (dt.date(2027, 1, 1), "holiday", "元旦")
    ]
    assert in_2026.due_at == Deadline.objects.get(pk=in_2026.pk).due_at
    recomputed = AuditEvent.objects.get(action="deadline.recomputed")
    assert recomputed.complaint_id == complaint.pk
    assert recomputed.data["changes"]["provisional"] == [True, False]
    entered = AuditEvent.objects.get(action="calendar.year_entered")
    assert entered.data["holidays"] == [["2027-01-01", "元旦"]]
    assert audit_verify().ok


def test_entering_a_year_moves_dates_and_accounts_for_pauses(complaint):
    plain = open_(complaint, "2026-12-28 10:00", 5, "working_days")
    # Due Tue Dec 29; paused over Dec 28-30 (three working days) → Mon Jan 4 2027.
    paused = open_(complaint, "2026-12-24 10:00", 3, "working_days")
    deadline_pause(deadline=paused, at=t("2026-12-28 00:00"))
    deadline_resume(deadline=paused, at=t("2026-12-31 00:00"))
    assert (paused.due_at, paused.provisional) == (t("2027-01-04 23:59:59"), True)

    # A (hypothetical) notice that also gives Monday 4 January off.
    change = calendar_year_enter(
        actor=None,
        year=2027,
        holidays=[(dt.date(2027, 1, 1), "元旦"), (dt.date(2027, 1, 4), "元旦")],
        workdays=[],
    )

    plain.refresh_from_db()
    paused.refresh_from_db()
    assert (plain.due_at, plain.provisional) == (t("2027-01-06 23:59:59"), False)
    assert (paused.due_at, paused.provisional) == (t("2027-01-05 23:59:59"), False)
    assert change.moved == 2


def test_entering_a_year_again_replaces_its_schedule(complaint):
    calendar_year_enter(
        actor=None,
        year=2027,
        holidays=[(dt.date(2027, 1, 1), "元旦"), (dt.date(2027, 1, 4), "元旦")],
        workdays=[],
    )
    row = open_(complaint, "2026-12-28 10:00", 5, "working_days")
    assert row.due_at == t("2027-01-06 23:59:59")
    change = calendar_year_enter(actor=None, year=2027, **NEW_YEAR_2027)
    row.refresh_from_db()
    assert row.due_at == t("2027-01-05 23:59:59")
    assert CalendarOverride.objects.count() == 1
    assert CalendarYear.objects.count() == 1
    assert change.moved == 1


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        (
            {
                "holidays": [(dt.date(2027, 1, 1), "元旦"), (dt.date(2027, 2, 6), "春节")],
                "workdays": [(dt.date(2027, 2, 6), "春节"), (dt.date(2027, 1, 1), "元旦")],
            },
            "workdays",
            "Both a holiday and a working day: 2027-01-01, 2027-02-06.",
        ),
        (
            {"holidays": [(dt.date(2026, 12, 31), "x"), (dt.date(2028, 1, 1), "y")]},
            "holidays",
            "Not in 2027: 2026-12-31, 2028-01-01.",
        ),
        (
            {"holidays": [(dt.date(2027, 1, 1), "元旦"), (dt.date(2027, 1, 1), "元旦")]},
            "holidays",
            "Listed more than once: 2027-01-01.",
        ),
        ({"holidays": [(dt.date(2027, 1, 1), " ")]}, "holidays", "This field is required."),
        ({"holidays": [("2027-13-01", "x")]}, "holidays", "“2027-13-01” is not a date"),
        ({"year": 2100}, "year", "Choose a year from 2000 to 2099."),
    ],
)
def test_entering_a_bad_schedule_is_refused_and_nothing_is_stored(
    complaint, arguments, field, message
):
    row = open_(complaint, "2026-12-28 10:00", 5, "working_days")
    values = {"year": 2027, "holidays": [], "workdays": [], **arguments}
    with pytest.raises(InvalidInput) as caught:
        calendar_year_enter(actor=None, **values)
    assert any(m.startswith(message) for m in caught.value.field_errors[field])
    assert not CalendarOverride.objects.exists()
    assert not CalendarYear.objects.exists()
    row.refresh_from_db()
    assert row.provisional is True
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


def test_only_calendar_managers_change_the_calendar(org, calendar_admin):
    with pytest.raises(NotAllowed):
        calendar_year_enter(actor=org.clerk, year=2027, **NEW_YEAR_2027)
    with pytest.raises(NotAllowed):
        calendar_override_set(actor=org.leader, day=dt.date(2026, 11, 20), kind="holiday", name="x")
    calendar_override_set(actor=calendar_admin, day=dt.date(2026, 11, 20), kind="holiday", name="x")


# --- single days -----------------------------------------------------------------------


def test_an_override_moves_open_deadlines_and_clearing_it_moves_them_back(complaint):
    row = open_(complaint, "2026-09-30 10:00", 5, "working_days")
    other = open_(complaint, "2026-11-16 10:00", 1, "working_days")
    change = calendar_override_set(
        actor=None, day=dt.date(2026, 10, 13), kind="holiday", name="本地假日", note="test"
    )
    assert (change.recomputed, change.moved) == (1, 1)
    row.refresh_from_db()
    assert row.due_at == t("2026-10-14 23:59:59")
    # The make-up Saturday can be given back, too.
    calendar_override_set(actor=None, day=dt.date(2026, 10, 10), kind="holiday", name="国庆节")
    row.refresh_from_db()
    assert row.due_at == t("2026-10-15 23:59:59")
    calendar_override_clear(actor=None, day=dt.date(2026, 10, 10))
    calendar_override_clear(actor=None, day=dt.date(2026, 10, 13))
    row.refresh_from_db()
    assert row.due_at == t("2026-10-13 23:59:59")
    assert Deadline.objects.get(pk=other.pk).due_at == other.due_at
    with pytest.raises(NotFound):
        calendar_override_clear(actor=None, day=dt.date(2026, 10, 13))
    assert AuditEvent.objects.filter(action="deadline.recomputed").count() == 4


def test_an_override_is_checked(complaint):
    with pytest.raises(InvalidInput) as caught:
        calendar_override_set(actor=None, day="someday", kind="party", name="", note="x" * 501)
    assert set(caught.value.field_errors) == {"day", "kind", "name", "note"}
    assert not CalendarOverride.objects.exists()


# --- pause, resume, close --------------------------------------------------------------


def test_pause_and_resume(complaint):
    row = open_(complaint, "2026-11-16 10:00", 3, "working_days")
    assert row.due_at == t("2026-11-19 23:59:59")
    deadline_pause(deadline=row, at=t("2026-11-17 10:00"))
    assert row.paused_at == t("2026-11-17 10:00")
    with pytest.raises(Conflict):
        deadline_pause(deadline=row, at=t("2026-11-17 11:00"))
    with pytest.raises(InvalidInput) as caught:
        deadline_resume(deadline=row, at=t("2026-11-17 09:00"))
    assert "at" in caught.value.field_errors
    deadline_resume(deadline=row, at=t("2026-11-18 10:00"))
    assert row.paused_at is None
    assert row.due_at == t("2026-11-20 23:59:59")
    assert row.pauses == [["2026-11-17T10:00:00+08:00", "2026-11-18T10:00:00+08:00"]]
    with pytest.raises(Conflict):
        deadline_resume(deadline=row, at=t("2026-11-18 11:00"))
    with pytest.raises(InvalidInput):
        deadline_pause(deadline=row, at=t("2026-11-18 09:00"))  # before the last resume
    with pytest.raises(InvalidInput):
        deadline_pause(deadline=row, at=t("2026-11-16 09:00"))  # before the event
    actions = list(
        AuditEvent.objects.filter(action__startswith="deadline.").values_list("action", flat=True)
    )
    assert actions == ["deadline.opened", "deadline.paused", "deadline.resumed"]


def test_close(complaint):
    row = open_(complaint, "2026-11-16 10:00", 3, "working_days")
    with pytest.raises(InvalidInput):
        deadline_close(deadline=row, reason=" ")
    deadline_close(deadline=row, reason="done", at=t("2026-11-18 10:00"))
    assert (row.closed_at, row.closed_reason) == (t("2026-11-18 10:00"), "done")
    assert AuditEvent.objects.get(action="deadline.closed").data["met"] is True
    with pytest.raises(Conflict):
        deadline_close(deadline=row, reason="done")
    with pytest.raises(Conflict):
        deadline_pause(deadline=row, at=t("2026-11-18 11:00"))


def test_closing_a_paused_deadline_ends_the_pause(complaint):
    row = open_(complaint, "2026-11-16 10:00", 3, "working_days")
    deadline_pause(deadline=row, at=t("2026-11-17 10:00"))
    deadline_close(deadline=row, reason="withdrawn", at=t("2026-11-18 10:00"))
    assert row.paused_at is None
    assert row.due_at == t("2026-11-20 23:59:59")
    assert len(row.pauses) == 1


# --- what the worker reads -------------------------------------------------------------


def test_due_and_warn_selectors(complaint):
    early = open_(complaint, "2026-11-16 10:00", 1, "hours")  # due 11:00, warn 10:45
    late = open_(complaint, "2026-11-16 10:00", 3, "hours")  # due 13:00, warn 12:15
    paused = open_(complaint, "2026-11-16 10:00", 2, "hours")
    deadline_pause(deadline=paused, at=t("2026-11-16 10:30"))
    closed = open_(complaint, "2026-11-16 10:00", 2, "hours")
    deadline_close(deadline=closed, reason="done", at=t("2026-11-16 10:10"))
    breached = open_(complaint, "2026-11-16 09:00", 1, "hours")
    Deadline.objects.filter(pk=breached.pk).update(
        breached_at=t("2026-11-16 10:00"), warned_at=t("2026-11-16 09:45")
    )

    assert list(deadlines_due(before=t("2026-11-16 14:00"))) == [early, late]
    assert list(deadlines_due(before=t("2026-11-16 14:00"), limit=1)) == [early]
    assert list(deadlines_due(before=t("2026-11-16 11:00"))) == []  # strictly before
    assert list(deadlines_warn(before=t("2026-11-16 12:30"))) == [early, late]
    assert list(deadlines_open(complaint)) == [breached, early, paused, late]


def _plan(queryset) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics of the rows in the table now, not of what earlier tests left.
            cursor.execute(f"ANALYZE {Deadline._meta.db_table}")
            cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.parametrize(
    ("selector", "index"),
    [(deadlines_due, "deadline_due_running"), (deadlines_warn, "deadline_warn_running")],
)
def test_worker_queries_use_the_partial_indexes(complaint, selector, index):
    for hour in range(1, 6):
        open_(complaint, "2026-11-16 10:00", hour, "hours")
    # As in a real table, most open limits were warned of and breached long ago (overdue
    # cases): the worker's indexes leave them out, the other open-row indexes do not.
    # With five rows alone every index reads them as cheaply and the choice is the
    # planner's whim.
    overdue = open_(complaint, "2026-10-01 10:00", 1, "hours")
    Deadline.objects.filter(pk=overdue.pk).update(
        warned_at=overdue.due_at, breached_at=overdue.due_at
    )
    overdue.refresh_from_db()
    copy = {
        f.attname: getattr(overdue, f.attname)
        for f in Deadline._meta.concrete_fields
        if not f.primary_key
    }
    Deadline.objects.bulk_create([Deadline(**copy) for _ in range(2000)])
    assert index in _plan(selector(before=t("2026-11-16 14:00"), limit=10))
