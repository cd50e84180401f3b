"""The assessment ledger (考核台账) as a file: whom a rule fined, for which complaint or
incident, how much and with what effect on performance. Exported by those who keep the
ledger — supervisors, leadership, administrators — as on the ledger page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.models import User
from tousu.assessment.choices import PenaltyStatus, PerformanceEffect
from tousu.assessment.models import PenaltyEntry
from tousu.core.problems import InvalidInput
from tousu.reports.exports.base import CHUNK_SIZE, ExportKind, export_kind, field_label, local
from tousu.reports.exports.writers import Row, Sheet
from tousu.reports.periods import Period, month, period_parse
from tousu.supervision.selectors import penalties_for_period

LEDGER_KEEPERS = ("supervisor", "leadership", "administrator")


@dataclass(frozen=True)
class PenaltyParams:
    period: Period
    status: str = ""


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


@export_kind
class PenaltiesExport(ExportKind):
    key = "penalties"
    title = gettext_lazy("Assessment ledger")
    back = "supervision:ledger"

    def allowed(self, user: User) -> bool:
        return user.has_role(*LEDGER_KEEPERS)

    def parse(self, data: QueryDict) -> PenaltyParams:
        text = (data.get("period") or "").strip()
        if text:
            period = period_parse(text)
        else:  # the ledger page's default: this month
            today = timezone.localdate()
            period = month(today.year, today.month)
        status = (data.get("status") or "").strip()
        if status and status not in PenaltyStatus.values:
            message = _("Choose a status from the list.")
            raise InvalidInput(message, field_errors={"status": [message]})
        return PenaltyParams(period, status)

    def queryset(self, user: User, params: PenaltyParams) -> QuerySet[PenaltyEntry]:
        qs = penalties_for_period(None, user=user).select_related("incident")
        # By the moment of the event each entry is booked to (its ``period`` is that
        # moment's month), so a week or a range of days counts only its own entries.
        start, end = params.period.bounds()
        qs = qs.filter(booked_at__gte=start, booked_at__lt=end)
        if params.status:
            qs = qs.filter(status=params.status)
        return qs

    def audit_filters(self, params: PenaltyParams) -> dict[str, Any]:
        shown: dict[str, Any] = {"period": params.period.key}
        if params.status:
            shown["status"] = params.status
        return shown

    def sheet(self, user: User, rows: QuerySet[PenaltyEntry]) -> Sheet:
        headers = [
            _("Period"),
            _("Person"),
            _("Department"),
            _("Rule"),
            _("Complaint or incident"),
            _("Amount (yuan)"),
            field_label(PenaltyEntry, "performance"),
            _("Status"),
            field_label(PenaltyEntry, "created_at"),
        ]
        widths = [10, 12, 16, 36, 22, 12, 24, 10, 17]
        return Sheet(str(self.title), headers, self._rows(rows), widths)

    def _rows(self, rows: QuerySet[PenaltyEntry]) -> Iterator[Row]:
        for entry in rows.iterator(chunk_size=CHUNK_SIZE):
            department = entry.person.department
            if entry.complaint is not None:
                subject = entry.complaint.tracking_no
            else:
                subject = entry.incident.number if entry.incident else ""
            yield [
                entry.period,
                entry.person.display_name,
                department.name if department else "",
                entry.rule_label,
                subject,
                entry.amount,
                _label(PerformanceEffect, entry.performance),
                _label(PenaltyStatus, entry.status),
                local(entry.created_at),
            ]
