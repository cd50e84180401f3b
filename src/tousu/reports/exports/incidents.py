"""Emergency incidents as a file: number, title, plan, the plan's level label, status,
when opened, activated and closed, and how many complaints are linked (those the reader
may see)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.core.problems import InvalidInput
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus
from tousu.incidents.labels import level_of, status_label
from tousu.incidents.models import Incident
from tousu.incidents.selectors import incidents_visible
from tousu.reports.exports.base import (
    CHUNK_SIZE,
    ExportKind,
    Plans,
    export_kind,
    field_label,
    local,
)
from tousu.reports.exports.writers import Row, Sheet
from tousu.reports.periods import Period, period_parse


@dataclass(frozen=True)
class IncidentParams:
    period: Period | None = None
    status: str = ""
    state: str = ""  # the list page's tab: open, closed (or all)


@export_kind
class IncidentsExport(ExportKind):
    key = "incidents"
    title = gettext_lazy("Emergency incidents")
    back = "incidents:list"

    def filter_names(self) -> list[str]:
        return ["period", "status", "state"]

    def parse(self, data: QueryDict) -> IncidentParams:
        text = (data.get("period") or "").strip()
        period = period_parse(text) if text else None
        status = (data.get("status") or "").strip()
        if status and status not in IncidentStatus.values:
            message = _("Choose a status from the list.")
            raise InvalidInput(message, field_errors={"status": [message]})
        state = (data.get("state") or "").strip()
        if state not in ("", "all", "open", "closed"):
            message = _("Choose open, closed or all.")
            raise InvalidInput(message, field_errors={"state": [message]})
        return IncidentParams(period, status, "" if state == "all" else state)

    def queryset(self, user: User, params: IncidentParams) -> QuerySet[Incident]:
        visible = Complaint.objects.visible_to(user).values("pk")
        qs = (
            incidents_visible(user)
            .select_related("plan_revision__plan")
            .defer("plan_revision__source", "plan_revision__definition", "description", "outcome")
            .annotate(linked=Count("links", filter=Q(links__complaint__in=visible)))
        )
        if params.period is not None:
            start, end = params.period.bounds()
            qs = qs.filter(opened_at__gte=start, opened_at__lt=end)
        if params.status:
            qs = qs.filter(status=params.status)
        if params.state == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif params.state == "closed":
            qs = qs.exclude(status__in=OPEN_STATUSES)
        return qs.order_by("-opened_at", "-pk")

    def audit_filters(self, params: IncidentParams) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        if params.period is not None:
            shown["period"] = params.period.key
        if params.status:
            shown["status"] = params.status
        if params.state:
            shown["state"] = params.state
        return shown

    def sheet(self, user: User, rows: QuerySet[Incident]) -> Sheet:
        headers = [
            field_label(Incident, "number"),
            _("Title"),
            _("Plan"),
            _("Response level"),
            _("Status"),
            _("Opened at"),
            _("Activated at"),
            _("Closed at"),
            _("Linked complaints"),
        ]
        widths = [20, 36, 20, 16, 18, 17, 17, 17, 10]
        return Sheet(str(self.title), headers, self._rows(rows), widths)

    def _rows(self, rows: QuerySet[Incident]) -> Iterator[Row]:
        plans = Plans()
        for incident in rows.iterator(chunk_size=CHUNK_SIZE):
            plan = plans.get(incident.plan_revision_id)
            level = level_of(plan, incident.level)["label"] if plan and incident.level else ""
            yield [
                incident.number,
                incident.title,
                incident.plan_revision.plan.name,
                level,
                status_label(incident.status),
                local(incident.opened_at),
                local(incident.activated_at),
                local(incident.closed_at),
                incident.linked,  # type: ignore[attr-defined]
            ]
