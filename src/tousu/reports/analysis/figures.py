"""The analysis report's figures: one period's complaints counted in the database, as plain
data (labels, not keys; numbers, not querysets) that the document and a bench script use.

Every count is one ``values().annotate(Count)`` over the visible complaints received in
the period (``Scope.received``), bounded by the ``received_at`` index, never one query
per complaint: the same few queries at a hundred complaints and at a million. Labels come
from the plan (categories, severities, deadlines, levels) or from the choices' labels,
in Chinese (the report is a Chinese document).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tousu.audit.models import AuditEvent
from tousu.complaints.choices import Channel, EventAction, Status
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import deadline_label, plan_label, value_label
from tousu.deadlines.models import Deadline
from tousu.plans.choices import ActionType, Satisfaction
from tousu.plans.models import PlanRevision
from tousu.plans.schema import Plan
from tousu.reports.analysis.activity import (
    drills_figures,
    improvements_figures,
    incidents_figures,
    kpi_figures,
    penalties_figures,
)
from tousu.reports.analysis.scope import Reader, Scope
from tousu.reports.kpi.figures import closed_now, deadline_outcomes
from tousu.reports.periods import Period

REPORT_LANGUAGE = "zh-hans"
TOP = 10  # rows of each "top causes" table
DAILY_UP_TO = 62  # days: a longer period's trend is by month
FINDINGS = 3  # most recent findings and measures shown per category
FINDINGS_READ = 200  # recent actions read for them, at most
PLACES_FROM = 2  # a place is a "top place" from this many complaints
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent (one decimal), None when there is no whole."""
    return round(part * 100 / whole, 1) if whole else None


def _plans(revision_ids: Iterable[int | None]) -> dict[int, Plan]:
    ids = {pk for pk in revision_ids if pk is not None}
    return {r.pk: r.plan_model for r in PlanRevision.objects.filter(pk__in=ids)}


def _ranked(counts: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [
        {"label": label, "count": count, "share": rate(count, total)}
        for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _add(counts: dict[str, int], label: str, count: int) -> None:
    counts[label] = counts.get(label, 0) + count


def _trend(qs: QuerySet[Complaint], period: Period) -> dict[str, Any]:
    """Complaints received per day (per month for periods longer than two months)."""
    by_day = period.days <= DAILY_UP_TO
    trunc = TruncDate("received_at") if by_day else TruncMonth("received_at")
    rows = qs.annotate(slot=trunc).values("slot").annotate(n=Count("pk")).order_by()
    found: dict[date, int] = {}
    for row in rows:
        slot = row["slot"]
        slot = slot.date() if hasattr(slot, "date") else slot
        found[slot] = found.get(slot, 0) + row["n"]
    slots: list[date] = []
    day = period.start if by_day else period.start.replace(day=1)
    while day <= period.end:
        slots.append(day)
        day = (
            day + timedelta(days=1)
            if by_day
            else date(day.year + day.month // 12, day.month % 12 + 1, 1)
        )
    return {
        "unit": "day" if by_day else "month",
        "labels": [f"{d:%m-%d}" if by_day else f"{d:%Y-%m}" for d in slots],
        "values": [found.get(d, 0) for d in slots],
    }


def _breakdowns(qs: QuerySet[Complaint], plans: dict[int, Plan]) -> dict[str, Any]:
    categories: dict[str, int] = {}
    for category in qs.values("category__name").annotate(n=Count("pk")).order_by():
        _add(categories, category["category__name"], category["n"])
    channels: dict[str, int] = {}
    for channel in qs.values("channel").annotate(n=Count("pk")).order_by():
        key = channel["channel"]
        _add(channels, str(Channel(key).label) if key in Channel.values else "—", channel["n"])
    departments: dict[str, int] = {}
    for department in qs.values("department__name").annotate(n=Count("pk")).order_by():
        _add(departments, department["department__name"], department["n"])
    severities: dict[str, int] = {}
    for severity in qs.values("plan_revision_id", "severity").annotate(n=Count("pk")).order_by():
        plan = plans.get(severity["plan_revision_id"])
        _add(severities, plan_label(plan, "severities", severity["severity"]), severity["n"])
    statuses: dict[str, int] = {}
    for status in qs.values("status").annotate(n=Count("pk")).order_by():
        key = status["status"]
        _add(statuses, str(Status(key).label) if key in Status.values else "—", status["n"])
    return {
        "category": _ranked(categories),
        "channel": _ranked(channels),
        "department": _ranked(departments),
        "severity": _ranked(severities),
        "status": _ranked(statuses),
    }


def _top(qs: QuerySet[Complaint], field: str, least: int = 1) -> list[dict[str, Any]]:
    rows = (
        qs.exclude(**{field: ""})
        .values(field)
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("-n", field)[:TOP]
    )
    return [{"label": row[field], "count": row["n"]} for row in rows]


_LONG_NUMBER = re.compile(r"\d[\d\s-]{5,}\d")


def _analysis_reports(plans: dict[int, Plan]) -> list[str]:
    """The keys of the plans' cause-analysis actions: the report actions of a stage that
    ends the case (one of its actions leads to a terminal stage), e.g. 原因分析."""
    keys: set[str] = set()
    for plan in plans.values():
        for stage in plan.stages.values():
            ends = any(a.to in plan.stages and plan.stages[a.to].terminal for a in stage.actions)
            if ends:
                keys |= {a.key for a in stage.actions if a.type == ActionType.REPORT}
    return sorted(keys)


def _findings(qs: QuerySet[Complaint], plans: dict[int, Plan]) -> list[dict[str, Any]]:
    """The most recent findings and measures recorded on the period's complaints, per
    category: what the plan's investigating actions found (``findings``; a cause
    analysis's ``report``) and what was done about it (``measure`` by the plan's label,
    with its ``result``). Read from the workflow's action events; no complainant data,
    and a long number in free text (a phone, an ID) is masked."""
    events = (
        AuditEvent.objects.filter(action=EventAction.ACTION, complaint__in=qs.values("pk"))
        .filter(
            Q(data__has_key="findings")
            | Q(data__has_key="measure")
            | Q(data__type=ActionType.REPORT.value, data__action__in=_analysis_reports(plans))
        )
        .values("complaint__category__name", "complaint__plan_revision_id", "at", "data")
        .order_by("-at", "-seq")[:FINDINGS_READ]
    )
    by_category: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        data = event["data"] or {}
        finding = data.get("findings") or (
            data.get("report") if data.get("type") == ActionType.REPORT.value else ""
        )
        measure = ""
        if data.get("measure"):
            plan = plans.get(event["complaint__plan_revision_id"])
            measure = value_label("measure", data["measure"], plan)
            if data.get("result"):
                measure += f"：{data['result']}"
        if not finding and not measure:
            continue
        rows = by_category.setdefault(event["complaint__category__name"] or "—", [])
        row = {
            "date": f"{timezone.localtime(event['at']):%Y-%m-%d}",
            "finding": _LONG_NUMBER.sub("****", str(finding))[:200],
            "measure": _LONG_NUMBER.sub("****", measure)[:200],
        }
        said = (row["finding"], row["measure"])
        if len(rows) < FINDINGS and said not in {(r["finding"], r["measure"]) for r in rows}:
            rows.append(row)
    return [{"category": name, "rows": rows} for name, rows in sorted(by_category.items())]


def deadline_group(plan: Plan | None, kind: str) -> str:
    """``response`` for the time limits of the plan's first stage (the reply within the
    hour, acceptance, the initial plan within 24 hours: how fast the organisation
    answers), ``completion`` for the others (handling, analysis: how fast it finishes)."""
    if plan is None:
        return "completion"
    found = plan.deadline_rules().get(kind)
    return "response" if found is not None and found[0] == plan.initial_stage else "completion"


def _deadlines(qs: QuerySet[Complaint], plans: dict[int, Plan]) -> dict[str, Any]:
    """The deadline rows of the period's complaints by the plan's label: met, missed, not
    decided yet (the KPI module's ``deadline_outcomes``), grouped into response limits and
    completion limits (``deadline_group``), each with its on-time rate."""
    met, missed = deadline_outcomes(timezone.now())
    rows = (
        Deadline.objects.filter(complaint__in=qs.values("pk"))
        .values("complaint__plan_revision_id", "kind")
        .annotate(
            met=Count("pk", filter=met),
            missed=Count("pk", filter=missed),
            all=Count("pk"),
        )
        .order_by()
    )
    by_label: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        plan = plans.get(row["complaint__plan_revision_id"])
        label = deadline_label(plan, row["kind"]) if plan is not None else _("Time limit")
        group = deadline_group(plan, row["kind"])
        entry = by_label.setdefault(
            (group, label), {"met": 0, "missed": 0, "open": 0, "kinds": set()}
        )
        entry["met"] += row["met"]
        entry["missed"] += row["missed"]
        entry["open"] += row["all"] - row["met"] - row["missed"]
        entry["kinds"].add(row["kind"])
    table = [
        {
            "label": label,
            "group": group,
            "met": entry["met"],
            "missed": entry["missed"],
            "open": entry["open"],
            "kinds": sorted(entry["kinds"]),
            "rate": rate(entry["met"], entry["met"] + entry["missed"]),
        }
        for (group, label), entry in sorted(
            by_label.items(),
            key=lambda item: (item[0][0] != "response", -item[1]["met"] - item[1]["missed"]),
        )
    ]
    found: dict[str, Any] = {"rows": table}
    for name, rows_of in (
        ("all", table),
        ("response", [r for r in table if r["group"] == "response"]),
        ("completion", [r for r in table if r["group"] == "completion"]),
    ):
        total_met = sum(r["met"] for r in rows_of)
        total_missed = sum(r["missed"] for r in rows_of)
        prefix = "" if name == "all" else f"{name}_"
        found[f"{prefix}met"] = total_met
        found[f"{prefix}missed"] = total_missed
        found[f"{prefix}open"] = sum(r["open"] for r in rows_of)
        found[f"{prefix}rate"] = rate(total_met, total_met + total_missed)
    return found


def _satisfaction(qs: QuerySet[Complaint], plans: dict[int, Plan]) -> dict[str, Any]:
    """Ratings by the plan's satisfaction scale (its labels); the satisfaction rate is
    satisfied and basically satisfied over all rated, beside the share rated (参评率)."""
    counts = {
        row["satisfaction"]: row["n"]
        for row in qs.values("satisfaction").annotate(n=Count("pk")).order_by()
    }
    scale: list[str] = []
    for plan in plans.values():
        scale += [str(v) for v in plan.satisfaction.scale if str(v) not in scale]
    scale += [key for key in counts if key and key not in scale]
    rated = sum(n for key, n in counts.items() if key)
    rows = [
        {
            "label": str(Satisfaction(key).label) if key in Satisfaction.values else key,
            "count": counts.get(key, 0),
            "share": rate(counts.get(key, 0), rated),
        }
        for key in scale
    ]
    good = sum(counts.get(key, 0) for key in SATISFIED)
    closed = qs.filter(closed_now()).count()
    return {
        "rows": rows,
        "rated": rated,
        "closed": closed,
        "rate": rate(good, rated),
        "rated_share": rate(rated, closed),
    }


def _repeats_and_appeals(qs: QuerySet[Complaint]) -> dict[str, Any]:
    """Repeat complaints (marked by ``complaints.repeats``) and appeals (the plan's appeal
    actions) among the period's complaints."""
    ids = qs.values("pk")
    repeats = (
        AuditEvent.objects.filter(action=EventAction.REPEAT, complaint__in=ids)
        .values("complaint_id")
        .distinct()
        .count()
    )
    appeals = AuditEvent.objects.filter(
        action=EventAction.ACTION, complaint__in=ids, data__type=ActionType.APPEAL.value
    ).aggregate(events=Count("pk"), complaints=Count("complaint_id", distinct=True))
    return {
        "repeats": repeats,
        "appeals": appeals["events"],
        "appealed": appeals["complaints"],
    }


def _actions(type_: ActionType) -> Exists:
    return Exists(
        AuditEvent.objects.filter(
            action=EventAction.ACTION, data__type=type_.value, complaint_id=OuterRef("pk")
        )
    )


def _summary(qs: QuerySet[Complaint], previous_total: int) -> dict[str, Any]:
    """The cohort's counts, by the KPI module's definitions (``reports.kpi.figures``):
    ``closed`` is the period's complaints closed now (本期受理件中已办结; the closing rate
    办结率 is closed / received), ``resolved`` those closed, not by a refusal, not rated
    dissatisfied and never appealed (the resolution rate 解决率 is resolved / closed)."""
    closed = closed_now()
    appealed, refused = _actions(ActionType.APPEAL), _actions(ActionType.REFUSE)
    counts = qs.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=closed),
        resolved=Count(
            "pk",
            filter=Q(closed, ~Q(satisfaction=Satisfaction.DISSATISFIED), ~appealed, ~refused),
        ),
        emergency=Count("pk", filter=Q(emergency_marked=True)),
    )
    total = counts["total"]
    return {
        **counts,
        "open": total - counts["closed"],
        "previous": previous_total,
        "change": total - previous_total,
        "change_rate": rate(total - previous_total, previous_total),
        "closed_rate": rate(counts["closed"], total),
        "resolution_rate": rate(counts["resolved"], counts["closed"]),
    }


def running_cut(period: Period, today: date) -> tuple[Period, Period]:
    """The part of ``period`` counted and the part of the previous period it is compared
    with: a period still running (it ends after ``today``) is cut at today and compared
    with the same number of days from the previous period's start (1–6 December against
    1–6 November), never with the whole previous period."""
    previous = period.previous()
    if period.end <= today:
        return period, previous
    cut = Period("range", period.start, today)
    last = min(previous.end, previous.start + timedelta(days=cut.days - 1))
    return cut, Period("range", previous.start, last)


def _target(indicator: Any) -> str:
    """An indicator's full-marks level as a reference value: ≥ 95% (higher is better) or
    ≤ 5% (lower is better, ``full_at`` below ``zero_at``)."""
    if indicator.full_at is None:
        return ""
    lower = indicator.zero_at is not None and indicator.full_at < indicator.zero_at
    value = f"{indicator.full_at.normalize():f}"
    if indicator.measure == "handling_hours":
        value = _("%(value)s working hours") % {"value": value}
    else:
        value += "%"
    return f"{'≤' if lower else '≥'} {value}"


def _targets(plans: dict[int, Plan], deadline_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Reference values from the plans' KPI standards (``kpi`` indicators' ``full_at``)
    where every plan of the period's complaints agrees on one; none otherwise (no
    standard, or standards that differ)."""
    by_measure: dict[str, set[str]] = {}
    by_kinds: list[tuple[set[str] | None, set[str]]] = []
    for plan in plans.values():
        if plan.kpi is None:
            return {"measures": {}, "deadlines": {}}
        for indicator in plan.kpi.indicators:
            target = _target(indicator)
            if not target:
                continue
            if indicator.measure == "on_time_rate":
                kinds = set(indicator.deadlines) if indicator.deadlines else None
                by_kinds.append((kinds, {target}))
            else:
                by_measure.setdefault(indicator.measure, set()).add(target)
    measures = {m: next(iter(t)) for m, t in by_measure.items() if len(t) == 1}

    def for_kinds(kinds: set[str]) -> str:
        found = {next(iter(t)) for covered, t in by_kinds if covered and kinds <= covered}
        return next(iter(found)) if len(found) == 1 else ""

    rows = {}
    for group in ("response", "completion"):
        kinds = {k for r in deadline_rows if r["group"] == group for k in r["kinds"]}
        rows[group] = for_kinds(kinds) if kinds else ""
    for row in deadline_rows:
        row["target"] = for_kinds(set(row["kinds"]))
    everything = {next(iter(t)) for covered, t in by_kinds if covered is None}
    rows["all"] = next(iter(everything)) if len(everything) == 1 else ""
    return {"measures": measures, "deadlines": rows}


def analysis_figures(
    period: Period,
    *,
    user: Reader,
    plan_key: str | None = None,
    department: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The figures of ``period`` for ``user`` (a staff user, or ``scope.SYSTEM``), of the
    plan ``plan_key`` and the department ``department`` (its code; with the departments
    below it) when given. A period still running is counted up to ``today`` (default:
    the local date) and compared with as many days of the previous one (``running_cut``).
    Raises ``InvalidInput`` for a plan that does not exist or a department the user may
    not see. Reads only."""
    scope = Scope.build(user=user, plan_key=plan_key, department=department)
    with translation.override(REPORT_LANGUAGE):
        counted, previous = running_cut(period, today or timezone.localdate())
        running = counted.end < period.end
        qs = scope.received(counted)
        revisions = set(qs.values_list("plan_revision_id", flat=True).distinct().order_by())
        plans = _plans(revisions)
        summary = _summary(qs, scope.received(previous).count())
        cut_words = _("up to %(month)d/%(day)d")
        figures: dict[str, Any] = {
            "period": {
                "key": period.key,
                "kind": period.kind,
                "label": period.label,
                "start": period.start.isoformat(),
                "end": counted.end.isoformat(),
                "running": running,
                "cut": cut_words % {"month": counted.end.month, "day": counted.end.day}
                if running
                else "",
            },
            "previous": {
                "key": previous.key,
                "label": f"{period.previous().label} "
                + cut_words % {"month": previous.end.month, "day": previous.end.day}
                if running
                else previous.label,
                "start": previous.start.isoformat(),
                "end": previous.end.isoformat(),
            },
            "scope": scope.describe(),
            "made_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "summary": summary,
            "trend": _trend(qs, counted),
            "by": _breakdowns(qs, plans),
            "top": {
                "merchant": _top(qs, "merchant"),
                "product": _top(qs, "product"),
                "place": _top(qs, "occurred_place", PLACES_FROM),
                "findings": _findings(qs, plans),
            },
            "deadlines": _deadlines(qs, plans),
            "satisfaction": _satisfaction(qs, plans),
            "repeats": _repeats_and_appeals(qs),
            "incidents": incidents_figures(scope, counted),
            "drills": drills_figures(scope, counted),
            "improvements": improvements_figures(scope, counted),
            "penalties": penalties_figures(scope, counted),
            "kpi": kpi_figures(scope, counted),
        }
        figures["targets"] = _targets(plans, figures["deadlines"]["rows"])
    figures["summary"]["ontime_rate"] = figures["deadlines"]["rate"]
    figures["summary"]["satisfaction_rate"] = figures["satisfaction"]["rate"]
    return _plain(figures)


def _plain(value: Any) -> Any:
    """JSON values only (Decimal sums as strings of yuan), so figures can be stored."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
