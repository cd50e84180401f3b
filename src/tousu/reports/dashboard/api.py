"""GET /api/v1/stats/: the dashboard's figures as JSON, through the visibility gate.

Mounted by the project's API (``api.add_router("/v1/stats/", router)``)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema

from tousu.accounts.http import staff
from tousu.complaints.schemas import Problem
from tousu.core.problems import InvalidInput, ServiceError
from tousu.reports.dashboard.stats import dashboard_figures, dashboard_filter_parse

router = Router(tags=["stats"])


class BadFilter(ServiceError):
    """A dashboard filter that cannot be used: 400 with the field named."""

    status = 400
    title = "Bad request"


class StatsQuery(Schema):
    period: str = Field(
        "month",
        max_length=40,
        description="today, week, month, quarter, year, custom (with start and end), "
        "or a period: 2026-10, 2026Q3, 2026, 2026-10-01..2026-10-31",
    )
    start: str = Field("", max_length=10, description="first day of a custom period")
    end: str = Field("", max_length=10, description="last day of a custom period")
    department: str = Field("", max_length=64, description="a department's code")
    plan: str = Field("", max_length=64, description="a plan's key")


@router.get(
    "/",
    response={200: dict[str, Any], 400: Problem, 401: Problem, 422: Problem},
    summary="Dashboard figures",
)
def stats(request, filters: Query[StatsQuery]):
    """Every figure of the dashboard, each with its count, its label and the address of
    the complaint list that shows exactly those complaints."""
    try:
        dash = dashboard_filter_parse(**filters.dict())
    except InvalidInput as exc:
        raise BadFilter(exc.detail, field_errors=exc.field_errors) from exc
    return dashboard_figures(user=staff(request), dash=dash)
