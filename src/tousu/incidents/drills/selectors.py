"""Reading drills: the list for the drills page and one drill, for those who may drill."""

from __future__ import annotations

from django.db.models import QuerySet

from tousu.incidents.models import Drill
from tousu.plans.models import Plan


def drills_list() -> QuerySet[Drill]:
    """Every drill, newest first (the report bodies are left unread)."""
    return (
        Drill.objects.select_related("plan", "plan_revision", "started_by")
        .defer("report_html", "report_pdf")
        .order_by("-started_at", "-pk")
    )


def drill_plans() -> QuerySet[Plan]:
    """The plans a drill can run: those with an active revision."""
    return Plan.objects.filter(active_revision__isnull=False).order_by("key")
