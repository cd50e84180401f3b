"""The clocks of open cases registered in bulk: the deadline rows their plan opens on
start, built by ``deadline_open``'s steps (``plans.deadlines`` decides which rules and
from when; ``deadlines.calendar`` computes the due time) under one calendar loaded for
the whole batch, and the rows already past due marked breached as the worker marks them,
so the worker never escalates what was late before the import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from tousu.complaints.models import Complaint
from tousu.deadlines.calendar import (
    BusinessHours,
    CalendarRangeError,
    WorkCalendar,
    amount_check,
    due_with_pauses,
    local_time,
    unit_normalise,
    warn_at,
)
from tousu.deadlines.holidays import FIRST_YEAR, LAST_YEAR
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import work_calendar_for
from tousu.deadlines.services.deadlines import DEFAULT_WARN_FRACTION, deadline_schedule
from tousu.plans.deadlines import emergency_factor, rule_anchor, scaled, warning_terms
from tousu.plans.definition import condition_holds
from tousu.plans.schema import Plan

SPAN = dt.timedelta(days=800)  # past the longest period a plan's first stage counts


def _calendar(anchors: Sequence[dt.datetime]) -> WorkCalendar | None:
    """The working calendar from the earliest anchor to well past the latest (two
    queries for the batch instead of two per deadline)."""
    if not anchors:
        return None
    days = [local_time(anchor, "anchor_at").date() for anchor in anchors]
    first = max(min(days) - dt.timedelta(days=1), dt.date(FIRST_YEAR, 1, 1))
    last = min(max(days) + SPAN, dt.date(LAST_YEAR, 12, 31))
    return work_calendar_for(first, max(first, last))


def _schedule(row: Deadline, calendar: WorkCalendar | None) -> None:
    """Due and warning time as ``deadline_schedule`` gives them, under ``calendar``; a
    period that walks out of it is computed by ``deadline_schedule`` itself."""
    try:
        if calendar is None:
            raise CalendarRangeError(row.anchor_at.date(), (row.anchor_at.date(),) * 2)
        due = due_with_pauses(
            row.anchor_at,
            row.amount,
            row.unit,
            calendar=calendar,
            business_hours=BusinessHours.coerce(row.business_hours),
        )
        warning = (
            None
            if row.warn_lead is None and row.warn_fraction is None
            else warn_at(row.anchor_at, due, fraction=row.warn_fraction, lead=row.warn_lead)
        )
    except CalendarRangeError:
        due, warning = deadline_schedule(row)
    row.due_at, row.provisional, row.warn_at = due.at, due.provisional, warning


def deadline_rows(
    complaints: Sequence[Complaint], plan: Plan, *, now: dt.datetime
) -> dict[int, list[Deadline]]:
    """For each (saved) complaint, the rows its first stage opens (those of
    ``plans.engine.workflow_deadlines``) when it starts at its received time, not yet
    saved: a row already due at ``now`` has ``breached_at`` its due time, one past its
    warning point ``warned_at`` its warning time (the worker's marks, so it leaves them
    alone)."""
    hours = BusinessHours.coerce(plan.business_hours)
    found: dict[int, list[Deadline]] = {}
    for complaint in complaints:
        factor = emergency_factor(complaint)
        rows = found[complaint.pk] = []
        for rule in plan.stage(complaint.stage).deadlines:
            if not condition_holds(rule.when, complaint):
                continue
            warning = warning_terms(rule.warn)
            fraction = warning.get("warn_fraction", DEFAULT_WARN_FRACTION)
            unit = unit_normalise(rule.unit.value)
            rows.append(
                Deadline(
                    complaint=complaint,
                    stage=complaint.stage,
                    kind=rule.key,
                    anchor_at=local_time(rule_anchor(complaint, rule, complaint.received_at), "at"),
                    amount=amount_check(scaled(rule.amount, factor), unit),
                    base_amount=rule.amount if factor != 1 else None,
                    unit=unit,
                    business_hours=hours.to_json() if hours else None,
                    warn_fraction=None
                    if fraction is None
                    else Decimal(str(fraction)).quantize(Decimal("0.001")),
                    warn_lead=warning.get("warn_lead"),
                    created_at=now,
                )
            )
    every = [row for rows in found.values() for row in rows]
    calendar = _calendar([row.anchor_at for row in every])
    for row in every:
        _schedule(row, calendar)
        if row.warn_at is not None and row.warn_at < now:
            row.warned_at = row.warn_at
        if row.due_at < now:
            row.breached_at = row.due_at
    return found
