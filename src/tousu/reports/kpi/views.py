"""The KPI page (绩效考核): the table of ``kpi_table`` for a period and a plan, as the
user may see it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tousu.accounts.http import staff
from tousu.core.problems import InvalidInput
from tousu.plans.models import Plan
from tousu.reports.kpi.scores import figure_cell, figure_columns, kpi_table, scope_note
from tousu.reports.periods import period_parse


@login_required
def kpi_page(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if not user.supervises:
        raise PermissionDenied
    period_text = request.GET.get("period") or f"{timezone.localdate():%Y-%m}"
    plan_key = request.GET.get("plan") or None
    errors: dict[str, list[str]] = {}
    table = None
    try:
        period = period_parse(period_text)
        table = kpi_table(period=period, plan_key=plan_key, user=user)
    except InvalidInput as exc:
        errors = {name: [str(m) for m in found] for name, found in exc.field_errors.items()}
    columns = figure_columns()
    if table is not None:
        keys = [i["key"] for i in (table["standard"] or {}).get("indicators", [])]
        for row in [*table["departments"], *table["people"]]:
            row["point_list"] = [row["points"].get(key) for key in keys]
            row["cells"] = [figure_cell(row, key) for key, _label in columns]
    plans = Plan.objects.filter(active_revision__isnull=False).order_by("name", "key")
    return render(
        request,
        "reports/kpi/table.html",
        {
            "period_text": period_text,
            "plan_key": plan_key or "",
            "plans": plans,
            "errors": errors,
            "table": table,
            "columns": [label for _key, label in columns],
            "scope_note": scope_note(table["plan"]["name"]) if table and table["plan"] else "",
        },
    )
