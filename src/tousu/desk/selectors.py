"""What the hotline desk reads: a caller's earlier complaints (by the keyed digests of
their phone number, through the visibility gate), whether this call repeats a handled
one, and the plan's reply scripts (话术) for a category.

Everything the desk says about a caller comes through the gate: a complaint the staff
member may not open is neither listed, nor counted, nor the reason for a repeat flag.
(Registration still applies the repeat rule to every complaint, ``complaints.repeats``,
and records it on the new complaint's timeline.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tousu.accounts.models import User
from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction, Status
from tousu.complaints.lookup import phone_digits, phone_key
from tousu.complaints.models import ComplainantKey, Complaint
from tousu.complaints.repeats import REPEAT_WINDOW_DAYS
from tousu.complaints.revisions import plan_revisions
from tousu.complaints.validators import phone_is_valid, phone_normalise
from tousu.plans.schema import Category, Plan

HISTORY_LIMIT = 20
HANDLED = (Status.CLOSED, Status.ARCHIVED)


@dataclass(frozen=True)
class EarlierComplaint:
    """One of the caller's complaints as the desk lists it."""

    tracking_no: str
    received_at: datetime
    category_key: str
    category: str
    stage: str
    handled: bool
    # The tracking number of the complaint this one repeated (重复投诉); marked only
    # when the staff member may open that one too.
    repeat_of: str = ""

    @property
    def repeat(self) -> bool:
        return bool(self.repeat_of)


@dataclass(frozen=True)
class CallerHistory:
    """The caller's complaints the staff member may see (newest first, at most
    ``HISTORY_LIMIT``), how many of those there are, and the earlier handled complaint
    they may see that this call would repeat (same category)."""

    phone_valid: bool
    complaints: list[EarlierComplaint] = field(default_factory=list)
    total_visible: int = 0
    repeat_of: EarlierComplaint | None = None

    @property
    def more(self) -> int:
        return self.total_visible - len(self.complaints)


def _callers(phone: str) -> QuerySet[ComplainantKey]:
    return ComplainantKey.objects.filter(digest=phone_key(phone_digits(phone)))


def _stage_label(complaint: Complaint, plans: dict[int, Plan]) -> str:
    plan = plans.get(complaint.plan_revision_id or 0)
    if plan is not None and complaint.stage in plan.stages:
        return plan.stage(complaint.stage).label
    return str(complaint.get_status_display())


def _repeats(ids: list[int]) -> dict[int, str]:
    """complaint id → tracking number of the earlier complaint it was marked to repeat."""
    events = AuditEvent.objects.filter(complaint_id__in=ids, action=EventAction.REPEAT).values_list(
        "complaint_id", "data"
    )
    return {pk: str((data or {}).get("earlier", "")) for pk, data in events}


def caller_history(*, user: User, phone: str, category: str = "") -> CallerHistory:
    """The earlier complaints of the caller on ``phone`` (the whole number, however it
    is written), found by its keyed digest without decrypting a row.

    Only complaints ``user`` may see are read: the others leave no trace (not listed,
    not counted, no flag). With ``category``, the newest of those complaints of that
    category that was handled (closed or archived) within the repeat window is the one
    this call repeats — the rule ``complaints.repeats.repeat_check`` applies at
    registration."""
    normalised = phone_normalise(phone or "")
    if not phone_is_valid(normalised):
        return CallerHistory(phone_valid=False)
    callers = _callers(normalised).values("complainant_id")
    visible = list(
        Complaint.objects.visible_to(user)
        .filter(complainant_id__in=callers)
        .select_related("category")
        .order_by("-received_at", "-pk")
    )
    plans = dict(plan_revisions(user))
    shown = visible[:HISTORY_LIMIT]
    marked = _repeats([c.pk for c in shown]) if shown else {}
    numbers = {c.tracking_no for c in visible}
    rows = [
        EarlierComplaint(
            tracking_no=c.tracking_no,
            received_at=c.received_at,
            category_key=c.category.key,
            category=c.category.name,
            stage=_stage_label(c, plans),
            handled=c.status in HANDLED,
            repeat_of=marked[c.pk] if marked.get(c.pk) in numbers else "",
        )
        for c in shown
    ]
    repeat_of = None
    if category:
        since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
        handled = [
            c
            for c in visible
            if c.category.key == category and c.status in HANDLED and c.received_at >= since
        ]
        if handled:
            first = handled[0]
            repeat_of = next((r for r in rows if r.tracking_no == first.tracking_no), None)
            if repeat_of is None:  # older than the rows listed
                repeat_of = EarlierComplaint(
                    tracking_no=first.tracking_no,
                    received_at=first.received_at,
                    category_key=category,
                    category=first.category.name,
                    stage=_stage_label(first, plans),
                    handled=True,
                )
    return CallerHistory(
        phone_valid=True,
        complaints=rows,
        total_visible=len(visible),
        repeat_of=repeat_of,
    )


@dataclass(frozen=True)
class ScriptGroup:
    """The reply scripts of one category (``key`` "*": those for every call)."""

    key: str
    label: str
    lines: list[str]


def _ancestors(categories: list[Category], key: str) -> list[Category] | None:
    """The path from the top of the plan's category tree down to ``key``."""
    for node in categories:
        if node.key == key:
            return [node]
        below = _ancestors(node.children, key)
        if below is not None:
            return [node, *below]
    return None


def category_label(plan: Plan | None, key: str) -> str:
    """The plan's label of category ``key`` ("" when the plan has none)."""
    path = _ancestors(plan.categories, key) if plan is not None and key else None
    return path[-1].label if path else ""


def scripts_for(plan: Plan | None, category: str = "") -> list[ScriptGroup]:
    """The plan's scripts for a call: those for every category first, then those of the
    category's parents, top down, then the category's own."""
    if plan is None:
        return []
    groups = []
    if plan.scripts.get("*"):
        groups.append(ScriptGroup("*", "", list(plan.scripts["*"])))
    path = _ancestors(plan.categories, category) if category else None
    for node in path or []:
        if plan.scripts.get(node.key):
            groups.append(ScriptGroup(node.key, node.label, list(plan.scripts[node.key])))
    return groups
