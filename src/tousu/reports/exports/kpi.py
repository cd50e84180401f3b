"""The KPI table (绩效考核) as a file: one row per department, then one per person, with
the figures and the points of each indicator of the plan's standard (``reports.kpi``).
Exported by those who may open the KPI page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from tousu.accounts.models import User
from tousu.reports.exports.base import ExportKind, export_kind
from tousu.reports.exports.writers import Row, Sheet
from tousu.reports.kpi.scores import figure_cell, figure_columns, kpi_table
from tousu.reports.periods import Period, month, period_parse


@dataclass(frozen=True)
class KpiParams:
    period: Period
    plan: str = ""


class KpiRows:
    """The rows of one KPI table: sized like a queryset, read once."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.rows = [("department", r) for r in table["departments"]] + [
            ("person", r) for r in table["people"]
        ]

    def count(self) -> int:
        return len(self.rows)


@export_kind
class KpiExport(ExportKind):
    key = "kpi"
    title = gettext_lazy("KPIs and assessment")
    back = "reports:kpi:index"

    def allowed(self, user: User) -> bool:
        return bool(user.supervises)

    def filter_names(self) -> list[str]:
        return ["period", "plan"]

    def parse(self, data: QueryDict) -> KpiParams:
        text = (data.get("period") or "").strip()
        if text:
            period = period_parse(text)
        else:
            today = timezone.localdate()
            period = month(today.year, today.month)
        return KpiParams(period, (data.get("plan") or "").strip())

    def queryset(self, user: User, params: KpiParams) -> Any:
        return KpiRows(kpi_table(period=params.period, plan_key=params.plan or None, user=user))

    def audit_filters(self, params: KpiParams) -> dict[str, Any]:
        shown: dict[str, Any] = {"period": params.period.key}
        if params.plan:
            shown["plan"] = params.plan
        return shown

    def sheet(self, user: User, rows: Any) -> Sheet:
        table = rows.table
        indicators = (table["standard"] or {}).get("indicators", [])
        columns = figure_columns()
        headers = [
            _("By department") + " / " + _("By person"),
            pgettext("kpi", "Name"),
            _("Department"),
            *(label for _key, label in columns),
            *(f"{i['label']} ({i['weight']})" for i in indicators),
            _("Score"),
        ]
        widths = [10, 16, 16, *(12 for _ in columns), *(14 for _ in indicators), 8]
        return Sheet(str(self.title), headers, self._rows(rows, columns, indicators), widths)

    def _rows(
        self, rows: KpiRows, columns: list[tuple[str, str]], indicators: list[dict[str, Any]]
    ) -> Iterator[Row]:
        for kind, row in rows.rows:
            yield [
                _("Department") if kind == "department" else _("Person"),
                row["name"],
                row.get("department") or (row["name"] if kind == "department" else ""),
                *(_value(row, key) for key, _label in columns),
                *(row["points"].get(i["key"]) for i in indicators),
                row["score"],
            ]


def _value(row: dict[str, Any], key: str) -> Any:
    """Numbers stay numbers (Excel sums them); the penalties cell reads entries / yuan."""
    if key == "penalties":
        return figure_cell(row, key)
    return row[key]
