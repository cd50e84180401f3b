"""The dashboard page: filters, figure cards and ECharts charts whose every bar, slice
and number links to the complaint list behind it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tousu.accounts.http import staff
from tousu.accounts.selectors import departments_active
from tousu.core.problems import InvalidInput
from tousu.plans.models import Plan
from tousu.reports.dashboard.stats import (
    CUSTOM,
    PRESETS,
    dashboard_figures,
    dashboard_filter_parse,
)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    asked = {
        name: request.GET.get(name, "") for name in ("period", "start", "end", "department", "plan")
    }
    errors: dict[str, list[str]] = {}
    figures = None
    dash_department = None
    try:
        dash = dashboard_filter_parse(
            period=asked["period"],
            start=asked["start"],
            end=asked["end"],
            department=asked["department"],
            plan=asked["plan"],
        )
    except InvalidInput as exc:
        errors = exc.field_errors
    else:
        figures = dashboard_figures(user=user, dash=dash)
        dash_department = dash.department
        asked["period"] = dash.preset
        if dash.preset == CUSTOM:
            # A named period (2026-10, 2026Q3 …) shows as the range it is, so pressing
            # Show again asks for the same days.
            asked["start"] = dash.period.start.isoformat()
            asked["end"] = dash.period.end.isoformat()
    charts = (
        {
            name: figures[name]
            for name in (
                "by_stage",
                "by_category",
                "by_channel",
                "by_department",
                "by_place",
                "by_satisfaction",
                "trend",
            )
        }
        if figures
        else {}
    )
    departments = list(departments_active())
    if dash_department and dash_department not in departments:
        # A department no longer current stays selectable while it is selected.
        departments.append(dash_department)
    context = {
        "figures": figures,
        "charts": charts,
        "asked": asked,
        "errors": errors,
        "presets": PRESETS,
        "departments": departments,
        "plans": list(Plan.objects.order_by("key")),
    }
    return render(request, "reports/dashboard/index.html", context, status=400 if errors else 200)
