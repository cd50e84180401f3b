"""The complaint list as a file: the same filters, the same gate, the same rows as the
list page (``complaints_list``), one line per complaint with the plan's labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.models import User
from tousu.complaints.choices import Channel, Status
from tousu.complaints.forms import ComplaintFilterForm
from tousu.complaints.lookup import TRACKING_NO, phone_digits
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import plan_label
from tousu.complaints.public import satisfaction_label
from tousu.complaints.selectors import ComplaintFilter, complaints_list
from tousu.core.masks import mask_name, mask_phone
from tousu.reports.exports.base import (
    CHUNK_SIZE,
    ExportKind,
    Plans,
    export_kind,
    form_invalid,
    local,
)
from tousu.reports.exports.writers import Row, Sheet

# The columns a row of the file is made of, read as plain values (``next_due`` is the
# list's annotation).
_COLUMNS = (
    "tracking_no",
    "title",
    "category__name",
    "severity",
    "nature",
    "status",
    "stage",
    "department__name",
    "assignee__last_name",
    "assignee__first_name",
    "assignee__username",
    "channel",
    "complainant__name",
    "complainant__phone",
    "merchant",
    "product",
    "occurred_place",
    "amount_involved",
    "received_at",
    "next_due",
    "satisfaction",
    "plan_revision_id",
)
_FILTER_NAMES = {f.name for f in fields(ComplaintFilter)}
# A search that is only a phone number (digits, spaces, dashes, a country code).
_PHONE_ONLY = re.compile(r"\+?[\d\s()-]+")


@dataclass(frozen=True)
class ComplaintParams:
    filters: ComplaintFilter


def _filters_from(form: ComplaintFilterForm) -> ComplaintFilter:
    # Exactly as the list page builds them (complaints.views.complaint_list).
    values = form.cleaned_data
    return ComplaintFilter(**{k: v for k, v in values.items() if v not in (None, "")})


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else ""


def _masked_query(text: str) -> str:
    """The search as the audit keeps it. A tracking number names no person and stays; a
    phone number is masked as lists mask it; anything else may hold a name, an email
    address or an address among other words, which no rule tells from a keyword — so
    only the fact of the search and its length are kept."""
    text = text.strip()
    if TRACKING_NO.fullmatch(text.upper()):
        return text.upper()
    digits = phone_digits(text)
    if digits and _PHONE_ONLY.fullmatch(text):
        return mask_phone(digits)
    return "*" * len(text)


@export_kind
class ComplaintsExport(ExportKind):
    key = "complaints"
    title = gettext_lazy("Complaints")
    back = "complaints:list"

    def filter_names(self) -> list[str]:
        return list(ComplaintFilterForm.base_fields)

    def personal_filters(self) -> tuple[str, ...]:
        return ("q",)  # the search: a phone number, a name, an address …

    def holds_personal_data(self, user: User) -> bool:
        return user.sees_personal_data

    def parse(self, data: QueryDict) -> ComplaintParams:
        form = ComplaintFilterForm(data)
        if not form.is_valid():
            raise form_invalid(form)
        return ComplaintParams(_filters_from(form))

    def queryset(self, user: User, params: ComplaintParams) -> QuerySet[Complaint]:
        return complaints_list(user=user, filters=params.filters)

    def audit_filters(self, params: ComplaintParams) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for name in _FILTER_NAMES:
            value = getattr(params.filters, name)
            if value in (None, "", False) or (name == "sort" and value == "-received"):
                continue
            if name == "q":
                value = _masked_query(value)
            shown[name] = value.isoformat() if isinstance(value, date) else value
        return shown

    def sheet(self, user: User, rows: QuerySet[Complaint]) -> Sheet:
        headers = [
            _("Tracking number"),
            _("Title"),
            _("Category"),
            _("Severity"),
            _("Nature"),
            _("Status"),
            _("Stage"),
            _("Department"),
            _("Assignee"),
            _("Channel"),
            _("Complainant"),
            _("Phone"),
            _("Merchant"),
            _("Product or service"),
            _("Where it happened"),
            _("Amount involved (yuan)"),
            _("Received at"),
            _("Due"),
            _("Satisfaction"),
        ]
        widths = [22, 36, 12, 10, 10, 12, 14, 16, 10, 10, 10, 16, 20, 20, 20, 12, 17, 17, 10]
        return Sheet(str(self.title), headers, self._rows(user, rows), widths)

    def _rows(self, user: User, rows: QuerySet[Complaint]) -> Iterator[Row]:
        personal = user.sees_personal_data
        zone = timezone.get_current_timezone()
        plans = Plans()
        # Labels by (what, plan revision, key), worked out once per export, not per row.
        labels: dict[tuple[str, int | None, str], str] = {}

        def label(what: str, revision_id: int | None, key: str) -> str:
            found = labels.get((what, revision_id, key))
            if found is None:
                plan = plans.get(revision_id)
                if what == "stage":
                    stage = plan.stages.get(key) if plan is not None and key else None
                    found = stage.label if stage is not None else ""
                elif what == "severities":
                    found = plan_label(plan, "severities", key)
                elif what == "natures":
                    found = plan_label(plan, "natures", key)
                elif what == "status":
                    found = _label(Status, key)
                elif what == "channel":
                    found = _label(Channel, key)
                else:
                    found = satisfaction_label(key)
                labels[(what, revision_id, key)] = found
            return found

        # Plain tuples of the columns the file shows: no model instances a row (a third
        # of an export's time at 1M), the same filters, gate and order.
        for r in rows.values_list(*_COLUMNS, named=True).iterator(chunk_size=CHUNK_SIZE):
            revision = r.plan_revision_id
            name, phone = r.complainant__name, r.complainant__phone
            if not personal:
                name, phone = mask_name(name), mask_phone(phone)
            yield [
                r.tracking_no,
                r.title,
                r.category__name,
                label("severities", revision, r.severity),
                label("natures", revision, r.nature),
                label("status", None, r.status),
                label("stage", revision, r.stage),
                r.department__name or "",
                User.name_shown(r.assignee__last_name, r.assignee__first_name, r.assignee__username)
                if r.assignee__username
                else "",
                label("channel", None, r.channel),
                name,
                phone,
                r.merchant,
                r.product,
                r.occurred_place,
                r.amount_involved,
                local(r.received_at, zone),
                local(r.next_due, zone),
                label("satisfaction", None, r.satisfaction),
            ]
