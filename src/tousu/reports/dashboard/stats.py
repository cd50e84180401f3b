"""The dashboard's figures (领导驾驶舱).

Every figure is a ``ComplaintFilter``: its count is ``complaints_list(...).count()`` of
that filter and its link is the complaint list with the same filter in the address, so
the list a leader clicks through to shows exactly the count on the dashboard — by
construction, not by a second query that happens to agree. Breakdowns group the one
``complaints_list`` queryset of the dashboard's filters with ``values().annotate(Count)``
by a column the list can filter on exactly (top-level category, department, stage …).

Open work is "now", not "received in the period": open, open by stage, about to breach
and overdue count every open complaint (within the department and plan filters), so a
leader looking at this month still sees last month's complaint that is overdue today.
Those read the open complaints through the status index (``complaint_open``), bounded by
the number of open complaints, never the table. Everything else is bounded by the
period (complaints received in it) and reads an index range over ``received_at``
(``complaint_dashboard``, ``complaint_dashboard_top``); "received today / this week /
this month" are the presets ending today.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.complaints.choices import Channel
from tousu.complaints.models import Complaint
from tousu.complaints.revisions import plan_revisions
from tousu.complaints.selectors import (
    DEADLINES_MET,
    DEADLINES_MISSED,
    SATISFACTION_RATED,
    ComplaintFilter,
    complaints_list,
)
from tousu.core.problems import InvalidInput
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus
from tousu.incidents.labels import level_of
from tousu.incidents.selectors import incidents_visible
from tousu.plans.choices import Satisfaction
from tousu.plans.definition import plan_from
from tousu.plans.models import Category, Plan, PlanRevision
from tousu.reports.periods import Period, period_parse, preset

PRESETS = ("today", "week", "month", "quarter", "year")
CUSTOM = "custom"
TOP = 10


@dataclass(frozen=True)
class DashboardFilter:
    """What the dashboard is asked about: a period, and optionally one department and
    one plan (by code and key)."""

    period: Period
    preset: str = "month"  # one of PRESETS, or CUSTOM
    department: Department | None = None
    plan: Plan | None = None

    def complaints(self, period: Period | None = None, **narrower: Any) -> ComplaintFilter:
        """The complaint filter of a figure: the dashboard's, narrowed."""
        period = period or self.period
        fields: dict[str, Any] = {
            "received_from": period.start,
            "received_to": period.end,
            "department": self.department.code if self.department else "",
            "plan": self.plan.key if self.plan else "",
        }
        fields.update(narrower)
        return ComplaintFilter(**fields)

    def now(self, **narrower: Any) -> ComplaintFilter:
        """The complaint filter of a figure about open work now: the dashboard's
        department and plan, any received date, narrowed."""
        return replace(self.complaints(**narrower), received_from=None, received_to=None)


def dashboard_filter_parse(
    *,
    period: str = "",
    start: str = "",
    end: str = "",
    department: str = "",
    plan: str = "",
    today: date | None = None,
) -> DashboardFilter:
    """The dashboard's filters from what a person or a client sent: ``period`` is a
    preset (today, week, month, quarter, year), ``custom`` with ``start`` and ``end``
    dates, or any period ``period_parse`` reads (2026-10, 2026Q3 …). Raises
    ``InvalidInput`` naming every field that is wrong."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    chosen: Period | None = None
    name = (period or "").strip() or "month"
    if name in PRESETS:
        chosen = preset(name, today=today)
    else:
        if name == CUSTOM or (start or end):
            name = CUSTOM
            missing = [
                field for field, value in (("start", start), ("end", end)) if not value.strip()
            ]
            for field in missing:
                errors[field] = [_("Give a date (YYYY-MM-DD).")]
            text = f"{start.strip()}..{end.strip()}"
        else:
            text = name
        if not errors:
            try:
                parsed = period_parse(text, field="period", today=today)
            except InvalidInput as exc:
                for field, messages in exc.field_errors.items():
                    errors.setdefault(field, []).extend(messages)
            else:
                chosen = parsed
                if name != CUSTOM:
                    name = CUSTOM if parsed.kind == "range" else name
    found_department = None
    if department.strip():
        found_department = Department.objects.filter(code=department.strip()).first()
        if found_department is None:
            errors["department"] = [
                _("Unknown department “%(code)s”.") % {"code": department.strip()}
            ]
    found_plan = None
    if plan.strip():
        found_plan = Plan.objects.filter(key=plan.strip()).first()
        if found_plan is None:
            errors["plan"] = [_("Unknown plan “%(key)s”.") % {"key": plan.strip()}]
    if errors or chosen is None:
        first = next(iter(errors.values()))[0] if errors else _("Give a period.")
        raise InvalidInput(first, field_errors=errors or {"period": [first]})
    return DashboardFilter(
        period=chosen,
        preset=name if name in PRESETS else CUSTOM,
        department=found_department,
        plan=found_plan,
    )


def list_url(filters: ComplaintFilter) -> str:
    """The complaint list's address showing exactly ``filters``."""
    params: list[tuple[str, str]] = []
    for name, value in vars(filters).items():
        default = getattr(ComplaintFilter, name, None)
        if value == default or value in ("", None, False):
            continue
        if name == "sort":
            continue
        if value is True:
            params.append((name, "1"))
        elif isinstance(value, date):
            params.append((name, value.isoformat()))
        else:
            params.append((name, str(value)))
    base = reverse("complaints:list")
    return f"{base}?{urlencode(params)}" if params else base


def _count(user: User, filters: ComplaintFilter) -> int:
    return complaints_list(user=user, filters=filters, for_counting=True).count()


def _figure(user: User, label: str, filters: ComplaintFilter) -> dict[str, Any]:
    return {"label": label, "count": _count(user, filters), "url": list_url(filters)}


def _rows(base: QuerySet[Complaint], column: str, *, exclude_blank: bool = False) -> dict[Any, int]:
    qs = base
    if exclude_blank:
        qs = qs.exclude(**{column: ""})
    return {row[column]: row["n"] for row in qs.values(column).annotate(n=Count("pk"))}


def _item(key: str, label: str, count: int, filters: ComplaintFilter) -> dict[str, Any]:
    return {"key": key, "label": str(label), "count": count, "url": list_url(filters)}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _granularity(period: Period) -> str:
    if period.days <= 31:
        return "day"
    if period.days <= 120:
        return "week"
    return "month"


def _buckets(period: Period, granularity: str) -> list[tuple[date, date]]:
    """The period cut into days, weeks (from Monday) or months, each within it."""
    buckets = []
    day = period.start
    while day <= period.end:
        if granularity == "day":
            last = day
        elif granularity == "week":
            last = day + timedelta(days=6 - day.weekday())
        else:
            following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        last = min(last, period.end)
        buckets.append((day, last))
        day = last + timedelta(days=1)
    return buckets


def _category_roots() -> dict[int, tuple[str, str]]:
    """Each category's top-level category (key, name): the list's category filter
    takes a category with everything under it."""
    rows = {c.pk: c for c in Category.objects.all()}
    roots = {}
    for pk, category in rows.items():
        root = category
        while root.parent_id is not None and root.parent_id in rows:
            root = rows[root.parent_id]
        roots[pk] = (root.key, root.name)
    return roots


def _stage_labels(user: User, revision_ids: set[int | None]) -> dict[str, str]:
    """Each stage key's label, in plan order: from the revisions the complaints hold
    (``revision_ids``, newest first), then the organisation's other revisions — a stage
    that exists only in an older revision is still labelled as that revision labels it.
    A stage no revision names reads "Stage not in the plan", never its key."""
    revisions = dict(plan_revisions(user))
    missing = {pk for pk in revision_ids if pk is not None and pk not in revisions}
    if missing:
        rows = PlanRevision.objects.filter(pk__in=missing).values_list("pk", "sha256", "definition")
        revisions.update((pk, plan_from(sha256, definition)) for pk, sha256, definition in rows)
    held = sorted((pk for pk in revision_ids if pk in revisions), reverse=True)
    others = sorted((pk for pk in revisions if pk not in revision_ids), reverse=True)
    labels: dict[str, str] = {}
    for pk in (*held, *others):
        for key, stage in revisions[pk].stages.items():
            labels.setdefault(key, str(stage.label))
    return labels


def _satisfaction_labels(user: User) -> dict[str, str]:
    """The ratings in the order of the plan's scale, labelled as the plan labels them
    where it does (``satisfaction.labels``), else as the catalogue does."""
    catalogue = {key: str(label) for key, label in Satisfaction.choices}
    labels: dict[str, str] = {}
    for _revision_id, plan in plan_revisions(user):
        policy = plan.satisfaction
        own: dict[str, str] = getattr(policy, "labels", None) or {}
        for rating in policy.scale:
            name = str(rating)
            labels.setdefault(name, str(own.get(name) or catalogue.get(name, name)))
    for name, label in catalogue.items():
        labels.setdefault(name, label)
    return labels


def _grouped(
    user: User,
    dash: DashboardFilter,
    base: QuerySet[Complaint],
    column: str,
    field: str,
    labels: dict[str, str],
    *,
    top: int | None = None,
    exclude_blank: bool = False,
) -> list[dict[str, Any]]:
    counts = _rows(base, column, exclude_blank=exclude_blank)
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    if top is not None:
        items = items[:top]
    return [
        _item(str(key), labels.get(key, str(key)), n, dash.complaints(**{field: key}))
        for key, n in items
    ]


def dashboard_figures(*, user: User, dash: DashboardFilter) -> dict[str, Any]:
    """Every figure of the dashboard for ``user`` (through the visibility gate), with
    labels from the plan and the catalogues and the list address of each."""
    period = dash.period
    today = timezone.localdate()
    base = complaints_list(user=user, filters=dash.complaints(), for_counting=True)

    received = {
        "received": _figure(user, _("Received in the period"), dash.complaints()),
        "received_today": _figure(
            user, _("Received today"), dash.complaints(preset("today", today=today))
        ),
        "received_week": _figure(
            user, _("Received this week"), dash.complaints(preset("week", today=today))
        ),
        "received_month": _figure(
            user, _("Received this month"), dash.complaints(preset("month", today=today))
        ),
    }
    # Open work now, whenever it was received.
    state = {
        "open": _figure(user, _("Open now"), dash.now(open=True)),
        "due_soon": _figure(user, _("About to breach now"), dash.now(open=True, due_soon=True)),
        "overdue": _figure(user, _("Overdue now"), dash.now(open=True, overdue=True)),
    }
    met = _figure(user, _("Deadlines all met"), dash.complaints(deadlines=DEADLINES_MET))
    missed = _figure(user, _("A deadline missed"), dash.complaints(deadlines=DEADLINES_MISSED))
    rated = _figure(user, _("Rated"), dash.complaints(satisfaction=SATISFACTION_RATED))
    satisfaction_labels = _satisfaction_labels(user)
    by_satisfaction = _grouped(
        user, dash, base, "satisfaction", "satisfaction", satisfaction_labels, exclude_blank=True
    )
    # In the order of the plan's scale (best first), as the plan lists it.
    scale = list(satisfaction_labels)
    by_satisfaction.sort(key=lambda row: scale.index(row["key"]) if row["key"] in scale else 99)
    dissatisfied = sum(
        row["count"] for row in by_satisfaction if row["key"] == Satisfaction.DISSATISFIED
    )
    repeat = dash.complaints(repeat=True)
    # One pass: the callers (by phone digest) with more than one complaint in the
    # selection and how many each has — the rows the list's repeat filter shows.
    callers = list(
        base.exclude(complainant__phone_digest="")
        .values("complainant__phone_digest")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("n", flat=True)
    )
    repeat_complaints, repeat_callers = sum(callers), len(callers)

    # Stages, categories and departments group by a column and are labelled in Python.
    open_now = complaints_list(user=user, filters=dash.now(open=True), for_counting=True)
    by_stage_counts: dict[str, int] = {}
    revision_ids: set[int | None] = set()
    # By revision and stage: each complaint's stage is labelled by its own revision.
    for row in open_now.values("plan_revision_id", "stage").annotate(n=Count("pk")):
        revision_ids.add(row["plan_revision_id"])
        by_stage_counts[row["stage"]] = by_stage_counts.get(row["stage"], 0) + row["n"]
    stage_labels = _stage_labels(user, revision_ids)
    stage_order = list(stage_labels)
    by_stage = [
        _item(
            key,
            stage_labels.get(key) or _("Stage not in the plan"),
            n,
            dash.now(open=True, stage=key),
        )
        for key, n in sorted(
            by_stage_counts.items(),
            key=lambda kv: (
                stage_order.index(kv[0]) if kv[0] in stage_order else len(stage_order),
                kv[0],
            ),
        )
    ]
    roots = _category_roots()
    by_root: dict[str, list[Any]] = {}
    for category_id, n in _rows(base, "category_id").items():
        key, name = roots.get(category_id, (str(category_id), str(category_id)))
        entry = by_root.setdefault(key, [name, 0])
        entry[1] += n
    by_category = [
        _item(key, name, n, dash.complaints(category=key))
        for key, (name, n) in sorted(by_root.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    department_counts = _rows(base, "department_id")
    departments = {
        d.pk: d
        for d in Department.objects.filter(pk__in=list(department_counts)).only("code", "name")
    }
    by_department = [
        _item(
            departments[pk].code,
            departments[pk].name,
            n,
            dash.complaints(department=departments[pk].code),
        )
        for pk, n in sorted(department_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if pk in departments
    ]
    by_channel = _grouped(
        user, dash, base, "channel", "channel", {key: str(label) for key, label in Channel.choices}
    )
    top_places = _grouped(
        user, dash, base, "occurred_place", "place", {}, top=TOP, exclude_blank=True
    )
    top_merchants = _grouped(
        user, dash, base, "merchant", "merchant", {}, top=TOP, exclude_blank=True
    )
    top_products = _grouped(user, dash, base, "product", "product", {}, top=TOP, exclude_blank=True)

    granularity = _granularity(period)
    # One pass over the period's index range, a filtered count per bucket (no date
    # function per row).
    buckets = _buckets(period, granularity)
    edges = [Period("range", first, last).bounds() for first, last in buckets]
    counted = base.aggregate(
        **{
            f"b{i}": Count("pk", filter=Q(received_at__gte=start, received_at__lt=end))
            for i, (start, end) in enumerate(edges)
        }
    )
    trend = []
    for i, (first, last) in enumerate(buckets):
        n = counted[f"b{i}"]
        bucket = Period("range", first, last)
        label = first.isoformat() if first == last else f"{first:%m-%d}–{last:%m-%d}"
        if granularity == "month":
            label = f"{first:%Y-%m}"
        trend.append(_item(first.isoformat(), label, n, dash.complaints(bucket)))

    return {
        "period": {
            "key": period.key,
            "label": period.label,
            "preset": dash.preset,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "granularity": granularity,
        },
        "department": (
            {"key": dash.department.code, "label": dash.department.name}
            if dash.department
            else None
        ),
        "plan": {"key": dash.plan.key, "label": dash.plan.name} if dash.plan else None,
        **received,
        **state,
        "deadlines_met": met,
        "deadlines_missed": missed,
        "on_time_rate": _rate(met["count"], met["count"] + missed["count"]),
        "rated": rated,
        "satisfaction_rate": _rate(rated["count"] - dissatisfied, rated["count"]),
        "repeat": {
            "label": _("Complaints of repeat complainants"),
            "count": repeat_complaints,
            "complainants": repeat_callers,
            "url": list_url(repeat),
        },
        "by_stage": by_stage,
        "by_satisfaction": by_satisfaction,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_department": by_department,
        "by_place": top_places,
        "top_merchants": top_merchants,
        "top_products": top_products,
        "trend": trend,
        "incidents": _incidents(user, dash),
    }


def _incidents(user: User, dash: DashboardFilter) -> list[dict[str, Any]]:
    """The active incidents the user may see, with the plan's level label and colour and
    the (visible) complaints linked to each."""
    incidents = incidents_visible(user).filter(status__in=OPEN_STATUSES)
    if dash.plan:
        incidents = incidents.filter(plan_revision__plan=dash.plan)
    rows = list(incidents.select_related("plan_revision").order_by("-opened_at", "-pk")[:50])
    if not rows:
        return []
    linked = dict(
        complaints_list(
            user=user,
            filters=dash.now(),
            for_counting=True,
        )
        .filter(incident_links__incident__in=[i.pk for i in rows])
        .values_list("incident_links__incident_id")
        .annotate(n=Count("pk"))
    )
    statuses = dict(IncidentStatus.choices)
    result = []
    for incident in rows:
        # The plan's label and colour (red, orange, yellow, blue; "none" before a level).
        level = level_of(incident.plan_revision.plan_model, incident.level)
        filters = dash.now(incident=incident.number)
        result.append(
            {
                "number": incident.number,
                "title": incident.title,
                "level": incident.level,
                "level_label": str(level["label"]),
                "colour": level["colour"],
                "status": incident.status,
                "status_label": str(statuses.get(incident.status, incident.status)),
                "count": linked.get(incident.pk, 0),
                "url": list_url(filters),
                "detail_url": reverse("incidents:detail", args=[incident.number]),
            }
        )
    return result
