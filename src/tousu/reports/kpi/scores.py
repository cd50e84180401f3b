"""KPI scores (绩效考核) per department and per person, by the plan's KPI standard.

``kpi_table`` returns plain data that the page, ``tousu kpi``, the exports and the
analysis report share; see its docstring for the fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.accounts.models import Department, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.core.problems import InvalidInput
from tousu.plans.models import Plan as PlanRow
from tousu.plans.schema import Kpi, KpiIndicator
from tousu.reports.kpi.figures import Tally, figures_collect
from tousu.reports.periods import Period


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def tally_figures(tally: Tally) -> dict[str, Any]:
    """The figures of one row: counts, and rates in percent (None when nothing to rate).
    Every rate is a share of the period's cohort (received in the period) or of a part of
    it, so none exceeds 100 % (see ``figures``)."""
    met = sum(counts[0] for counts in tally.deadlines.values())
    missed = sum(counts[1] for counts in tally.deadlines.values())
    return {
        "received": tally.received,
        "received_closed": tally.received_closed,
        "closed_rate": _rate(tally.received_closed, tally.received),
        "closed": tally.closed,
        "deadlines_met": met,
        "deadlines_missed": missed,
        "on_time_rate": _rate(met, met + missed),
        "handling_hours": round(tally.handling_hours / tally.closed, 1) if tally.closed else None,
        "rated": tally.rated,
        "satisfied": tally.satisfied,
        "satisfaction_rate": _rate(tally.satisfied, tally.rated),
        "resolved": tally.resolved,
        "resolution_rate": _rate(tally.resolved, tally.received_closed),
        "repeats": tally.repeats,
        # Repeats are charged to the earlier complaint's department, which may have
        # received fewer (or none) in the period: at most 100 %.
        "repeat_rate": _rate(tally.repeats, max(tally.received, tally.repeats)),
        "appeals": tally.appeals,
        "appeal_rate": _rate(tally.appeals, tally.received),
        "penalties": tally.penalties,
        "penalty_amount": tally.penalty_amount,
        "performance_zero": tally.performance_zero,
    }


def scope_note(plan_name: str) -> str:
    """Says that a plan chosen by default narrows the figures to its complaints."""
    return _(
        "Scored by the KPI standard of “%(name)s”; only that plan's complaints are counted."
    ) % {"name": plan_name}


def figure_columns() -> list[tuple[str, str]]:
    """The figure columns the page, ``tousu kpi`` and the export show: (key, header)."""
    return [
        ("received", pgettext("kpi", "Received")),
        ("closed_rate", pgettext("kpi", "Closed of received")),
        ("closed", pgettext("kpi", "Closed")),
        ("on_time_rate", pgettext("kpi", "On-time rate")),
        ("handling_hours", pgettext("kpi", "Average handling time (working hours)")),
        ("satisfaction_rate", pgettext("kpi", "Satisfaction rate")),
        ("resolution_rate", pgettext("kpi", "Resolution rate")),
        ("repeat_rate", pgettext("kpi", "Repeat rate")),
        ("appeal_rate", pgettext("kpi", "Appeal rate")),
        ("penalties", pgettext("kpi", "Penalties (entries / yuan)")),
    ]


def figure_cell(row: dict[str, Any], key: str) -> str:
    """One figure as text: rates with their parts, a dash when there is nothing to rate."""

    def rate(value, part, whole) -> str:
        return "—" if value is None else f"{value}% ({part}/{whole})"

    if key == "closed_rate":
        return rate(row[key], row["received_closed"], row["received"])
    if key == "on_time_rate":
        met, missed = row["deadlines_met"], row["deadlines_missed"]
        return rate(row[key], met, met + missed)
    if key == "satisfaction_rate":
        return rate(row[key], row["satisfied"], row["rated"])
    if key == "resolution_rate":
        return rate(row[key], row["resolved"], row["received_closed"])
    if key == "repeat_rate":
        return rate(row[key], row["repeats"], max(row["received"], row["repeats"]))
    if key == "appeal_rate":
        return rate(row[key], row["appeals"], row["received"])
    if key == "penalties":
        return f"{row['penalties']} / {row['penalty_amount']}"
    return "—" if row[key] is None else str(row[key])


def indicator_value(indicator: KpiIndicator, tally: Tally, figures: dict[str, Any]):
    """What the indicator measures for a row (None: nothing to measure this period)."""
    if indicator.measure == "on_time_rate" and indicator.deadlines is not None:
        chosen = [tally.deadlines.get(kind, [0, 0]) for kind in indicator.deadlines]
        met = sum(c[0] for c in chosen)
        return _rate(met, met + sum(c[1] for c in chosen))
    return figures[indicator.measure]


def indicator_points(indicator: KpiIndicator, value) -> float | None:
    """Points earned: linear between ``zero_at`` and ``full_at`` (either direction), or
    the weight less ``deduct`` per item, never below zero. None when ``value`` is None."""
    if value is None:
        return None
    weight = float(indicator.weight)
    if indicator.deduct is not None:
        return max(0.0, weight - float(indicator.deduct) * float(value))
    assert indicator.full_at is not None and indicator.zero_at is not None  # validated
    full, zero, value = float(indicator.full_at), float(indicator.zero_at), float(value)
    share = (value - zero) / (full - zero)
    return round(weight * min(1.0, max(0.0, share)), 2)


def row_score(kpi: Kpi, tally: Tally, figures: dict[str, Any]) -> tuple[dict, float | None]:
    """Points per indicator and the score out of 100. An indicator with nothing to measure
    (no deadline due, nothing rated) is left out and the others are scaled to 100."""
    points: dict[str, float | None] = {}
    for indicator in kpi.indicators:
        points[indicator.key] = indicator_points(
            indicator, indicator_value(indicator, tally, figures)
        )
    weights = sum(float(i.weight) for i in kpi.indicators if points[i.key] is not None)
    if not weights:
        return points, None
    earned = sum(p for p in points.values() if p is not None)
    return points, round(100 * earned / weights, 1)


def _standard(plan_key: str | None) -> tuple[PlanRow | None, Kpi | None, list[PlanRow]]:
    """The plan the table is for, its KPI standard, and the plans that have a standard
    (by name). With ``plan_key``, that plan (``InvalidInput`` naming ``plan`` when there
    is none); without, the first plan (by name) with a standard — the table is per plan,
    a standard never scores another plan's complaints; (None, None) when no plan has one."""
    plans = (
        PlanRow.objects.select_related("active_revision")
        .filter(active_revision__isnull=False)
        .order_by("name", "key")
    )
    standards = [
        plan
        for plan in plans
        if plan.active_revision is not None and plan.active_revision.plan_model.kpi
    ]
    if plan_key:
        plan = next((p for p in plans if p.key == plan_key), None)
        if plan is None:
            message = _("There is no plan “%(key)s”.") % {"key": plan_key}
            raise InvalidInput(message, field_errors={"plan": [message]})
        assert plan.active_revision is not None
        return plan, plan.active_revision.plan_model.kpi, standards
    if not standards:
        return None, None, standards
    chosen = standards[0]
    assert chosen.active_revision is not None
    return chosen, chosen.active_revision.plan_model.kpi, standards


def _rows_visible(user, departments: dict, people: dict) -> tuple[dict, dict]:
    """The rows ``user`` may see: everything for those who see all complaints (and the
    system), else the departments and people of their department's subtree (and
    themselves). The gate picks rows; the figures in them stay the system's."""
    if user is None or user.has_role(*ROLES_SEEING_ALL):
        return departments, people
    subtree = department_subtree_ids(user.department_id) if user.department_id else set()
    return (
        {pk: d for pk, d in departments.items() if pk in subtree},
        {pk: u for pk, u in people.items() if u.department_id in subtree or pk == user.pk},
    )


def kpi_table(
    *, period: Period, plan_key: str | None = None, user=None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The KPI table of ``period`` (a ``reports.periods.Period``) for the complaints of
    ``plan_key`` — without it, the first plan (by name) with a KPI standard; all plans,
    unscored, only when no plan has one — with the rows ``user`` may see (None: the
    system). The figures are always the system's: who looks picks rows, not numbers.

    Returns a dict:

    - ``period``: {key, label, start, end}; ``plan``: {key, name} or None;
      ``plan_by_default``: True when ``plan`` was chosen for want of ``plan_key``;
      ``plans_with_standard``: [{key, name}] by name;
    - ``standard``: {description, indicators: [{key, label, group, description, measure,
      weight}]} or None when no plan's standard applies (then every score is None);
    - ``departments``: rows with ``id``, ``name``; ``people``: rows with ``id``,
      ``name``, ``username``, ``department``; both with the figures of
      ``tally_figures`` (received, received_closed, closed_rate, closed, deadlines_met,
      deadlines_missed,
      on_time_rate, handling_hours, rated, satisfied, satisfaction_rate, resolved,
      resolution_rate, repeats, repeat_rate, appeals, appeal_rate, penalties,
      penalty_amount, performance_zero), ``points`` {indicator key: points or None} and
      ``score`` (0–100 or None). Rates are percentages rounded to 0.1, None when there is
      nothing to rate; handling_hours is the average in working hours;
    - ``empty``: True when nothing happened in the period (no rows).

    Rows are sorted by score (best first), then name. A user who does not see all
    complaints gets the rows of their own department's subtree only, each with the
    system's figures.
    """
    plan, kpi, standards = _standard(plan_key)
    # The official figures: the system's, of the one plan (all plans only when no plan
    # has a standard, and then nothing is scored).
    figures = figures_collect(
        period=period, user=None, plan_key=plan.key if plan else None, now=now
    )
    departments = {d.pk: d for d in Department.objects.filter(pk__in=figures.departments)}
    people = {
        u.pk: u for u in User.objects.filter(pk__in=figures.people).select_related("department")
    }
    departments, people = _rows_visible(user, departments, people)

    def scored(tally: Tally, **identity) -> dict[str, Any]:
        row = {**identity, **tally_figures(tally)}
        row["points"], row["score"] = row_score(kpi, tally, row) if kpi else ({}, None)
        return row

    department_rows = [
        scored(tally, id=pk, name=departments[pk].name)
        for pk, tally in figures.departments.items()
        if pk in departments and tally.active
    ]
    person_rows = [
        scored(
            tally,
            id=pk,
            name=people[pk].display_name,
            username=people[pk].username,
            department=_department_name(people[pk]),
        )
        for pk, tally in figures.people.items()
        if pk in people and tally.active
    ]
    for rows in (department_rows, person_rows):
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    return {
        "period": {
            "key": period.key,
            "label": period.label,
            "start": period.start,
            "end": period.end,
        },
        "plan": {"key": plan.key, "name": plan.name} if plan else None,
        # The plan was not asked for: the first with a standard was taken.
        "plan_by_default": plan is not None and not plan_key,
        "plans_with_standard": [{"key": p.key, "name": p.name} for p in standards],
        "standard": _standard_as_dict(kpi) if kpi else None,
        "departments": department_rows,
        "people": person_rows,
        "empty": not department_rows and not person_rows,
    }


def _department_name(user: User) -> str:
    department = user.department
    return department.name if department is not None else ""


def _standard_as_dict(kpi: Kpi) -> dict[str, Any]:
    return {
        "description": kpi.description,
        "indicators": [
            {
                "key": i.key,
                "label": i.label,
                "group": i.group,
                "description": i.description,
                "measure": i.measure,
                "weight": i.weight,
            }
            for i in kpi.indicators
        ],
    }
