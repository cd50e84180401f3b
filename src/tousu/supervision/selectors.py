"""Reads for supervision: what is about to breach and what has, and the ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import deadline_label
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import work_calendar_for


@dataclass
class BoardRow:
    deadline: Deadline
    label: str
    overdue: bool
    working_days: int  # whole working days left (≥ 0) or overdue (≥ 0)
    hours: int  # hours left or overdue (wall clock)


def _label(row: Deadline) -> str:
    """The plan's label of the deadline, or the engine's own for a follow-up visit or a
    meeting — never the internal kind."""
    revision = row.complaint.plan_revision if row.complaint else None
    if revision is None:
        return str(_("Deadline"))
    return deadline_label(revision.plan_model, row.kind)


class SupervisionBoard(TypedDict):
    """The board's rows by department name, and the moment they were read."""

    overdue: dict[str, list[BoardRow]]
    soon: dict[str, list[BoardRow]]
    now: dt.datetime


def supervision_board(
    *, user: User, now: dt.datetime | None = None, horizon_hours: int = 24
) -> SupervisionBoard:
    """Open deadlines of complaints ``user`` may see that are past their warning point
    or due within ``horizon_hours``, and those already overdue, grouped by department."""
    now = now or timezone.now()
    visible = Complaint.objects.visible_to(user).values("pk")
    rows = list(
        Deadline.objects.filter(
            complaint__in=visible, closed_at__isnull=True, paused_at__isnull=True
        )
        .filter(due_at__lt=now + dt.timedelta(hours=horizon_hours))
        .select_related("complaint__department", "complaint__assignee", "complaint__plan_revision")
        .order_by("due_at")[:500]
    )
    if not rows:
        return {"overdue": {}, "soon": {}, "now": now}
    first = min(now.date(), *(r.due_at.date() for r in rows)) - dt.timedelta(days=1)
    last = max(now.date(), *(r.due_at.date() for r in rows)) + dt.timedelta(days=1)
    calendar = work_calendar_for(first, last)
    local_now = timezone.localdate(now)
    groups: dict[str, dict[str, list[BoardRow]]] = {
        "overdue": defaultdict(list),
        "soon": defaultdict(list),
    }
    for row in rows:
        if row.complaint is None:  # only complaints' deadlines are selected above
            continue
        overdue = row.due_at <= now
        a, b = sorted([local_now, timezone.localdate(row.due_at)])
        days = sum(
            1 for n in range((b - a).days) if calendar.is_working_day(a + dt.timedelta(days=n + 1))
        )
        hours = int(abs((row.due_at - now).total_seconds()) // 3600)
        groups["overdue" if overdue else "soon"][row.complaint.department.name].append(
            BoardRow(row, _label(row), overdue, days, hours)
        )
    return {"overdue": dict(groups["overdue"]), "soon": dict(groups["soon"]), "now": now}


def penalties_for_period(
    period: str | None = None, *, user: User | None = None
) -> QuerySet[PenaltyEntry]:
    """The ledger of a month. Supervisors, leadership and administrators see everyone's
    entries; anybody else (``user`` given) only their own. With ``user`` given, another
    person's entry about a complaint shows only if the complaint passes their gate (a
    confidential complaint's tracking number is not shown to a supervisor without that
    role); one's own entries always show, so that they can be contested. Without ``user``
    it is the system's view (the ``penalties`` command)."""
    qs = PenaltyEntry.objects.select_related("person__department", "complaint", "waived_by")
    if user is not None:
        if not user.has_role("supervisor", "leadership", "administrator"):
            qs = qs.filter(person=user)
        visible = Complaint.objects.visible_to(user).values("pk")
        qs = qs.filter(Q(person=user) | Q(complaint__isnull=True) | Q(complaint__in=visible))
    if period:
        qs = qs.filter(period=period)
    return qs.order_by("period", "person__username", "pk")


class PenaltyRow(TypedDict):
    """A ledger entry as the export and the ``penalties`` command show it."""

    id: int
    period: str
    person: str
    name: str
    department: str
    rule: str
    rule_label: str
    complaint: str
    amount: str
    performance: str
    status: str
    created_at: str


def penalty_as_dict(entry: PenaltyEntry) -> PenaltyRow:
    return {
        "id": entry.pk,
        "period": entry.period,
        "person": entry.person.username,
        "name": entry.person.display_name,
        "department": entry.person.department.name if entry.person.department else "",
        "rule": entry.rule,
        "rule_label": entry.rule_label,
        "complaint": entry.complaint.tracking_no if entry.complaint else "",
        "amount": str(entry.amount),
        "performance": entry.performance,
        "status": entry.status,
        "created_at": timezone.localtime(entry.created_at).isoformat(),
    }
