"""The analysis report's figures beside the complaints: incidents opened and drills
finished in the period, improvement actions and their status, penalties booked within
the period, and the KPI scores. Each is read through its
own gate (``Scope``) and aggregated in the database."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.assessment.choices import PenaltyStatus
from tousu.assessment.models import PenaltyEntry
from tousu.core.actors import SystemActor
from tousu.incidents.activation import level_label
from tousu.incidents.choices import DrillStatus, IncidentStatus
from tousu.incidents.improvements import (
    improvement_effect,
    improvements_visible,
    is_overdue,
    source_text,
)
from tousu.incidents.models import Drill, ImprovementAction, ImprovementStatus, Incident
from tousu.plans.models import PlanRevision
from tousu.reports.analysis.scope import Scope, sees_everything
from tousu.reports.kpi.scores import kpi_table
from tousu.reports.periods import Period

logger = logging.getLogger(__name__)
LISTED = 20  # rows of the incident, drill and improvement lists
# Who reads the whole penalty ledger (as ``supervision.selectors.penalties_for_period``).
LEDGER_ROLES = ("supervisor", "leadership", "administrator")


def incidents_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """Incidents opened in the period: how many, by the plan's level labels, the list."""
    start, end = period.bounds()
    qs = scope.incidents().filter(opened_at__gte=start, opened_at__lt=end)
    plans = {
        r.pk: r.plan_model
        for r in PlanRevision.objects.filter(
            pk__in=qs.values("plan_revision_id").distinct().order_by()
        )
    }
    levels: dict[str, int] = {}
    for row in qs.values("plan_revision_id", "level").annotate(n=Count("pk")).order_by():
        plan = plans.get(row["plan_revision_id"])
        label = level_label(plan, row["level"]) if plan and row["level"] else _("not activated")
        levels[label] = levels.get(label, 0) + row["n"]
    rows = [
        {
            "number": incident.number,
            "title": incident.title,
            "level": level_label(plans[incident.plan_revision_id], incident.level)
            if incident.level and incident.plan_revision_id in plans
            else "—",
            "status": str(IncidentStatus(incident.status).label)
            if incident.status in IncidentStatus.values
            else incident.status,
            "opened": f"{timezone.localtime(incident.opened_at):%Y-%m-%d %H:%M}",
        }
        for incident in qs.order_by("opened_at", "pk")[:LISTED]
    ]
    return {
        "count": sum(levels.values()),
        "by_level": [{"label": k, "count": v} for k, v in sorted(levels.items())],
        "rows": rows,
    }


def drills_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """Drills finished in the period with their evaluation's summary. Drills run in a
    database of their own: none of their complaints is in any other figure. They are a
    plan's, not a department's, and shown to those who see every department."""
    if not sees_everything(scope.user):
        return {"count": 0, "rows": [], "shown": False}
    start, end = period.bounds()
    qs = Drill.objects.filter(
        status=DrillStatus.FINISHED, finished_at__gte=start, finished_at__lt=end
    ).select_related("plan")
    if scope.plan is not None:
        qs = qs.filter(plan=scope.plan)
    rows = []
    for drill in qs.order_by("finished_at", "pk")[:LISTED]:
        figures = drill.figures or {}
        evaluation = figures.get("evaluation") or {}
        deadlines = figures.get("deadlines") or {}
        scenario = figures.get("scenario") or {}
        rows.append(
            {
                "plan": drill.plan.name,
                "scenario": scenario.get("title") or drill.scenario,
                "finished": f"{timezone.localtime(drill.finished_at):%Y-%m-%d}"
                if drill.finished_at
                else "",
                "complaints": (figures.get("complaints") or {}).get("count", 0),
                "incidents": len(figures.get("incidents") or []),
                "met": deadlines.get("met", 0),
                "missed": deadlines.get("missed", 0),
                "gaps": len(evaluation.get("gaps") or []),
                "improvements": len(evaluation.get("improvements") or []),
            }
        )
    # A department's report lists them too, saying they are the whole organisation's.
    return {
        "count": qs.count(),
        "rows": rows,
        "shown": True,
        "organisation_wide": scope.department is not None,
    }


def _improvements(scope: Scope, period: Period) -> QuerySet[ImprovementAction]:
    """The actions created or due in the period, of the report's plan and department
    (through the action's complaint or incident), and for a person only those
    ``improvements_visible`` shows them."""
    start, end = period.bounds()
    qs = (
        ImprovementAction.objects.all()
        if isinstance(scope.user, SystemActor)
        else improvements_visible(scope.user)
    )
    qs = qs.filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(due_on__gte=period.start, due_on__lte=period.end)
    )
    if scope.plan is not None:
        qs = qs.filter(
            Q(complaint__plan_revision__plan=scope.plan)
            | Q(incident__plan_revision__plan=scope.plan)
            | Q(drill__plan=scope.plan)
        )
    if scope.department_ids is not None:
        linked = Incident.objects.filter(
            links__complaint__department_id__in=scope.department_ids
        ).values("pk")
        qs = qs.filter(
            Q(complaint__department_id__in=scope.department_ids) | Q(incident__in=linked)
        )
    return qs


def improvements_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """Improvement actions created or due in the period by status (done, in progress,
    overdue, cancelled), counted in one aggregate; the first ``LISTED`` listed with the
    effect measured (through the reader's gate; the system counts every complaint)."""
    now = timezone.now()
    qs = _improvements(scope, period)
    overdue = Q(status=ImprovementStatus.OPEN) & (
        Q(deadline__breached_at__isnull=False)
        | Q(deadline__due_at__lte=now)
        | Q(deadline__isnull=True, due_on__lt=timezone.localdate(now))
    )
    counts = qs.aggregate(
        count=Count("pk"),
        done=Count("pk", filter=Q(status=ImprovementStatus.DONE)),
        cancelled=Count("pk", filter=Q(status=ImprovementStatus.CANCELLED)),
        overdue=Count("pk", filter=overdue),
        open=Count("pk", filter=Q(status=ImprovementStatus.OPEN) & ~overdue),
    )
    reader = None if isinstance(scope.user, SystemActor) else scope.user
    listed = []
    for action in qs.select_related("incident", "complaint", "owner", "deadline").order_by(
        "due_on", "pk"
    )[:LISTED]:
        late = is_overdue(action, now)
        effect = improvement_effect(action, user=reader, now=now)
        listed.append(
            {
                "title": action.title,
                "source": source_text(action, reader),
                "owner": action.owner.display_name,
                "due": f"{action.due_on:%Y-%m-%d}",
                "status": _("overdue") if late else str(ImprovementStatus(action.status).label),
                "effect": str(effect.get("text", "")) if effect.get("measured") else "—",
            }
        )
    live = counts["count"] - counts["cancelled"]
    return {
        **counts,
        "done_rate": round(counts["done"] * 100 / live, 1) if live else None,
        "rows": listed,
    }


def penalties_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """Penalty entries in force booked (``booked_at``: the moment of the event that caused
    them) within the period: count and sum by rule and by the person's department. As
    the ledger shows them (``supervision.selectors.penalties_for_period``): a reader who
    is not a supervisor, leader or administrator sees only their own entries, and only
    on complaints and incidents they may see."""
    start, end = period.bounds()
    qs = PenaltyEntry.objects.filter(booked_at__gte=start, booked_at__lt=end).exclude(
        status=PenaltyStatus.WAIVED
    )
    if not isinstance(scope.user, SystemActor) and not scope.user.has_role(*LEDGER_ROLES):
        qs = qs.filter(person=scope.user)
    if not isinstance(scope.user, SystemActor) or scope.plan is not None:
        qs = qs.filter(
            Q(complaint__in=scope.complaints().values("pk"))
            | Q(incident__in=scope.incidents().values("pk"))
        )
    if scope.department_ids is not None:
        qs = qs.filter(person__department_id__in=scope.department_ids)
    totals = qs.aggregate(count=Count("pk"), sum=Sum("amount"))
    by_rule = [
        {"label": row["rule_label"], "count": row["n"], "sum": row["total"] or Decimal(0)}
        for row in qs.values("rule_label")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("-total", "rule_label")
    ]
    by_department = [
        {
            "label": row["person__department__name"] or _("no department"),
            "count": row["n"],
            "sum": row["total"] or Decimal(0),
        }
        for row in qs.values("person__department__name")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("-total", "person__department__name")
    ]
    return {
        "count": totals["count"],
        "sum": totals["sum"] or Decimal(0),
        "by_rule": by_rule,
        "by_department": by_department,
        "own_only": not isinstance(scope.user, SystemActor)
        and not scope.user.has_role(*LEDGER_ROLES),
    }


def kpi_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """The departments' KPI scores of the period (``reports.kpi.scores.kpi_table``, by the
    plan's KPI standard; the KPI module's definitions, the system's figures). When the
    table cannot be made the error is logged and the section says it is not available
    (``available`` False): the rest of the report stands."""
    user = None if isinstance(scope.user, SystemActor) else scope.user
    try:
        table = kpi_table(period=period, plan_key=scope.plan.key if scope.plan else None, user=user)
    except Exception:  # a section of the report, not the report: say it is missing
        logger.exception("analysis report: the KPI table of %s failed", period.key)
        return {"available": False, "standard": False, "description": "", "rows": []}
    rows = []
    for row in table.get("departments") or []:
        if scope.department_ids is not None and row.get("id") not in scope.department_ids:
            continue
        rows.append(
            {
                "name": row.get("name", ""),
                "received": row.get("received", 0),
                "received_closed": row.get("received_closed", 0),
                "closed": row.get("closed", 0),
                "resolved": row.get("resolved", 0),
                "resolution_rate": row.get("resolution_rate"),
                "on_time_rate": row.get("on_time_rate"),
                "satisfaction_rate": row.get("satisfaction_rate"),
                "repeat_rate": row.get("repeat_rate"),
                "appeals": row.get("appeals", 0),
                "penalties": row.get("penalties", 0),
                "score": row.get("score"),
            }
        )
    standard = table.get("standard") or {}
    plan = table.get("plan") or {}
    return {
        "available": True,
        "plan": plan.get("name", ""),
        "standard": bool(standard),
        "description": standard.get("description", ""),
        "rows": rows,
    }
