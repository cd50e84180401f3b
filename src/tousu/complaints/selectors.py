"""Reads of complaints. Every one goes through the visibility gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.translation import gettext

from tousu.accounts.choices import ROLES_SEEING_ALL, ROLES_SEEING_CONFIDENTIAL
from tousu.accounts.models import Department, Organisation, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.audit.models import AuditEvent
from tousu.complaints.awaiting import complaints_awaiting, role_condition, with_next_deadline
from tousu.complaints.choices import Channel, EventAction, Status
from tousu.complaints.found import SEARCH_LIMIT, complaints_found, search_look_up
from tousu.complaints.models import (
    Category,
    Complaint,
    Participant,
)
from tousu.complaints.planner import Broad
from tousu.complaints.revisions import plan_revisions
from tousu.core.problems import NotFound
from tousu.deadlines.models import Deadline
from tousu.plans.definition import plan_from, stages_acted_in, user_plays
from tousu.plans.models import Plan, PlanRevision


def complaint_visibility_filter(
    queryset: QuerySet[Complaint], user: User | AnonymousUser | None
) -> QuerySet[Complaint]:
    """Leadership, supervisors and administrators see all; others their departments'.

    Confidential complaints are seen by leadership, by the roles the plan names to
    handle them (``confidentiality.roles``), and by the people holding the case (its
    assignee, co-owners and those who acted on it). Everybody else sees the
    complaints of their department and the departments below it, the ones they
    received (首问负责), the ones assigned to them, the ones they acted on or were made
    co-owner of (participants), and the ones whose plan gives them an action now.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    roles = user.role_codes()
    mine = Participant.objects.filter(user=user).values("complaint_id")
    if not roles & ROLES_SEEING_CONFIDENTIAL:
        allowed = Q(confidential=False) | Q(assignee=user) | Q(pk__in=mine)
        for revision_id, plan in plan_revisions(user):
            handlers = None
            for role_key in plan.confidentiality.roles:
                condition = role_condition(user, role_key, plan)
                if condition is not None:
                    handlers = condition if handlers is None else handlers | condition
            if handlers is not None:
                allowed |= Q(plan_revision_id=revision_id) & handlers
        queryset = queryset.filter(allowed)
    if roles & ROLES_SEEING_ALL:
        return queryset
    scope = Q(received_by=user) | Q(assignee=user) | Q(pk__in=mine)
    for revision_id, stages in _plan_stages(user).items():
        scope |= Q(plan_revision_id=revision_id, stage__in=sorted(stages))
    if user.department_id:
        subtree: set[int] | None = getattr(user, "_department_subtree", None)
        if subtree is None:
            subtree = user._department_subtree = department_subtree_ids(user.department_id)
        # A department's complaints are many: newest first, the page is found early.
        return queryset.filter(Broad(scope | Q(department_id__in=subtree)))
    return queryset.filter(scope)


def complaint_visible_by_rules(
    user: User | AnonymousUser | None, complaint: Complaint, participants: set[int]
) -> bool:
    """The gate's rules for one complaint held in memory (``participants``: the ids of
    its participants) — for walking a plan's states without a database; a test holds it
    equal to ``complaint_visibility_filter``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    roles = user.role_codes()
    held = complaint.assignee_id == user.pk or user.pk in participants
    if complaint.confidential and not roles & ROLES_SEEING_CONFIDENTIAL and not held:
        plan = complaint.plan if complaint.plan_revision_id else None
        handlers = plan.confidentiality.roles if plan is not None else []
        if plan is None or not any(user_plays(user, role, complaint, plan) for role in handlers):
            return False
    if roles & ROLES_SEEING_ALL or held or complaint.received_by_id == user.pk:
        return True
    stages = _plan_stages(user).get(complaint.plan_revision_id or 0, set())
    if complaint.stage in stages:
        return True
    if user.department_id is None:
        return False
    subtree: set[int] | None = getattr(user, "_department_subtree", None)
    if subtree is None:
        subtree = user._department_subtree = department_subtree_ids(user.department_id)
    return complaint.department_id in subtree


def _plan_stages(user: User) -> dict[int, set[str]]:
    """Stages of the organisation's plan where the user has something to do (cached on
    the user object for the request)."""
    cached: dict[int, set[str]] | None = getattr(user, "_plan_stages", None)
    if cached is None:
        cached = user._plan_stages = stages_acted_in(user, plan_revisions(user))
    return cached


@dataclass(frozen=True)
class SortKey:
    """One column of a list order: ``name`` (a field or the list's annotation),
    descending or not; ``nullable`` columns sort their empty values last."""

    name: str
    descending: bool = False
    nullable: bool = False

    def expression(self) -> OrderBy:
        if self.nullable:
            return (
                F(self.name).desc(nulls_last=True)
                if self.descending
                else F(self.name).asc(nulls_last=True)
            )
        return F(self.name).desc() if self.descending else F(self.name).asc()


_NEWEST = (SortKey("received_at", descending=True), SortKey("pk", descending=True))
# Every order ends in a unique column, so it is total: a page boundary (an offset or a
# cursor) falls between two rows, never inside a run of equal values.
SORTS: dict[str, tuple[SortKey, ...]] = {
    "received": (SortKey("received_at"), SortKey("pk")),
    "-received": _NEWEST,
    "tracking_no": (SortKey("tracking_no"),),
    "-tracking_no": (SortKey("tracking_no", descending=True),),
    "severity": (SortKey("severity"), *_NEWEST),
    "status": (SortKey("status"), *_NEWEST),
    "due": (SortKey("next_due", nullable=True), *_NEWEST),
}


@dataclass(frozen=True)
class ComplaintFilter:
    """The filters of the complaint list, shared by the staff pages and the API."""

    status: str = ""
    category: str = ""
    severity: str = ""
    department: str = ""
    channel: str = ""
    stage: str = ""
    assignee: str = ""  # a username, "me" or "none"
    mine: bool = False  # 待我办理: the plan gives the user an action now
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    sort: str = "-received"
    # The dashboard's click-through: each figure is one of these filters.
    plan: str = ""  # the plan's key
    open: bool = False  # not closed or archived
    due_soon: bool = False  # a running deadline past its warning point, none overdue
    deadlines: str = ""  # "met" (all kept) or "missed" (one breached or late)
    satisfaction: str = ""  # a rating key, or "rated" (any rating)
    merchant: str = ""  # exact, as registered
    product: str = ""
    place: str = ""  # occurred_place
    incident: str = ""  # an incident's number: the complaints linked to it
    repeat: bool = False  # callers (by phone) with more than one complaint in the selection


# The filters whose value names a thing: each is checked to exist (current or not).
NAMED_FILTERS = ("category", "department", "stage", "channel", "plan", "incident")


def filter_value_label(name: str, value: str) -> str | None:
    """How people read ``value`` of the list filter ``name`` when it names something
    that exists — current or not: a category switched off, a department closed, a stage
    of an older revision or of another plan, any channel, any plan, any incident — or
    None when nothing has that key. A figure's link keeps working after the thing it
    counts is no longer current; only the filter's options show current things."""
    value = value.strip()
    if not value:
        return None
    if name == "category":
        return Category.objects.filter(key=value).values_list("name", flat=True).first()
    if name == "department":
        return Department.objects.filter(code=value).values_list("name", flat=True).first()
    if name == "channel":
        labels = {key: str(label) for key, label in Channel.choices}
        return labels.get(value)
    if name == "plan":
        return Plan.objects.filter(key=value).values_list("name", flat=True).first()
    if name == "incident":
        # The incidents app sits above this one: its model is reached through the link.
        link = Complaint._meta.get_field("incident_links").related_model
        incident = cast("type[Model]", link._meta.get_field("incident").related_model)
        found = incident._default_manager.filter(number=value).exists()
        return value if found else None
    if name == "stage":
        # The organisation's plan's revisions first (newest first), then any other.
        current = Organisation.objects.values_list("plan_id", flat=True).first()
        rows = sorted(
            PlanRevision.objects.filter(definition__stages__has_key=value).values_list(
                "pk", "plan_id", "sha256", "definition"
            ),
            key=lambda row: (row[1] != current, -row[0]),
        )
        for _pk, _plan_id, sha256, definition in rows:
            stage = plan_from(sha256, definition).stages.get(value)
            if stage is not None:
                return str(stage.label)
        return None
    raise KeyError(name)


def complaint_filter_problems(filters: ComplaintFilter) -> dict[str, list[str]]:
    """The filters of ``filters`` that name nothing that exists, each with its message
    (the API refuses them as the list page does beside the field)."""
    problems: dict[str, list[str]] = {}
    for name in NAMED_FILTERS:
        value = getattr(filters, name)
        if value and filter_value_label(name, value) is None:
            problems[name] = [filter_unknown_message(name, value)]
    return problems


def filter_unknown_message(name: str, value: str) -> str:
    """The message of a filter ``name`` whose ``value`` names nothing."""
    messages = {
        "category": gettext("Unknown category “%(value)s”."),
        "department": gettext("Unknown department “%(value)s”."),
        "stage": gettext("Unknown stage “%(value)s”."),
        "channel": gettext("Unknown channel “%(value)s”."),
        "plan": gettext("Unknown plan “%(value)s”."),
        "incident": gettext("Unknown incident “%(value)s”."),
    }
    return messages[name] % {"value": value}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


SATISFACTION_RATED = "rated"
DEADLINES_MET = "met"
DEADLINES_MISSED = "missed"
CLOSED_STATUSES = (Status.CLOSED, Status.ARCHIVED)
OPEN_STATUSES = tuple(s for s in Status.values if s not in CLOSED_STATUSES)


def _running_deadlines() -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        complaint=OuterRef("pk"), closed_at__isnull=True, paused_at__isnull=True
    )


def _overdue(now: datetime) -> Exists:
    # The earliest running deadline is past exactly when some running deadline is.
    return Exists(_running_deadlines().filter(due_at__lte=now))


def _missed(now: datetime) -> Exists:
    """A deadline breached, closed after its due time, or running past it."""
    return Exists(
        Deadline.objects.filter(complaint=OuterRef("pk")).filter(
            Q(breached_at__isnull=False)
            | Q(closed_at__gt=F("due_at"))
            | Q(closed_at__isnull=True, paused_at__isnull=True, due_at__lte=now)
        )
    )


def complaints_list(
    *,
    user: User | AnonymousUser,
    filters: ComplaintFilter,
    for_counting: bool = False,
    capped: bool = False,
) -> QuerySet[Complaint]:
    """Visible complaints narrowed by ``filters``, with what the list shows joined in.

    ``for_counting`` leaves out what only the list shows (joins, the next deadline,
    the order), so counts and ``values().annotate(Count)`` breakdowns of the dashboard
    are made of exactly the rows the list would show. A page, and the capped count
    beside it (``capped``), stop early: their broad filters are read as they walk the
    recency index (``planner.Broad``); an exact count uses the filters' own indexes."""
    walks = capped or not for_counting
    qs: QuerySet[Complaint] = Complaint.objects.visible_to(user)
    now = timezone.now()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open:
        # Named statuses (not "not closed"): a count reads only open rows of the status
        # index; a page walks the recency index (most recent complaints are open).
        open_rows = Q(status__in=OPEN_STATUSES)
        qs = qs.filter(Broad(open_rows) if walks else open_rows)
    if filters.category:
        # The category and everything under it (trees are at most three deep), as a
        # list of keys in the same statement: the complaints' own index then serves.
        key = filters.category
        tree = Category.objects.filter(
            Q(key=key) | Q(parent__key=key) | Q(parent__parent__key=key)
        ).values("pk")
        in_tree = Q(category_id__in=tree)
        qs = qs.filter(Broad(in_tree) if walks else in_tree)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    if filters.plan:
        qs = qs.filter(plan_revision__plan__key=filters.plan)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.merchant:
        qs = qs.filter(merchant=filters.merchant)
    if filters.product:
        qs = qs.filter(product=filters.product)
    if filters.place:
        qs = qs.filter(occurred_place=filters.place)
    if filters.satisfaction == SATISFACTION_RATED:
        qs = qs.exclude(satisfaction="")
    elif filters.satisfaction:
        qs = qs.filter(satisfaction=filters.satisfaction)
    if filters.incident:
        qs = qs.filter(incident_links__incident__number=filters.incident)
    if filters.assignee == "me":
        # Nobody signed out is anybody's assignee (and the gate has shown them nothing).
        qs = qs.filter(assignee=user) if isinstance(user, User) else qs.none()
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee__username=filters.assignee)
    if filters.mine:
        qs = complaints_awaiting(user, qs)
    if filters.overdue:
        qs = qs.filter(_overdue(now))
    if filters.due_soon:
        warned = _running_deadlines().filter(warn_at__lte=now, due_at__gt=now)
        qs = qs.filter(Exists(warned)).exclude(_overdue(now))
    if filters.deadlines == DEADLINES_MISSED:
        qs = qs.filter(_missed(now))
    elif filters.deadlines == DEADLINES_MET:
        kept = Deadline.objects.filter(
            complaint=OuterRef("pk"), closed_at__isnull=False, closed_at__lte=F("due_at")
        )
        qs = qs.filter(Exists(kept)).exclude(_missed(now))
    if filters.received_from:
        qs = qs.filter(received_at__gte=_start_of(filters.received_from))
    if filters.received_to:
        qs = qs.filter(received_at__lt=_start_of(filters.received_to) + timedelta(days=1))
    if filters.q.strip():
        qs = complaints_found(qs, filters.q.strip(), user=user)
    if filters.repeat:
        # Callers are the same person by their phone's keyed digest (every complaint
        # has its own complainant row).
        callers = (
            qs.order_by()
            .exclude(complainant__phone_digest="")
            .values("complainant__phone_digest")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values("complainant__phone_digest")
        )
        qs = qs.filter(complainant__phone_digest__in=callers)
    if for_counting:
        return qs.order_by()
    qs = with_next_deadline(qs.select_related("category", "department", "assignee", "complainant"))
    return qs.order_by(*(key.expression() for key in sort_keys(filters.sort)))


def sort_keys(sort: str) -> tuple[SortKey, ...]:
    """The columns of the list order ``sort`` (newest first when it names none)."""
    return SORTS.get(sort, _NEWEST)


# The list page and the API count exactly only up to here and say "10,000+" above: an
# exact COUNT over a million rows costs more than the page itself. The dashboard's
# figures (``complaints_list(...).count()``) stay exact, being bounded by their period.
COUNT_CAP = 10_000
# A search counts only to here when its matches were read through the indexes (at most
# ``RARE_HITS``, in hand already)...
SEARCH_COUNT_CAP = 1_000
# ... and only to here when a common term's matches are tested row by row: counting 1,000
# of a term that one complaint in fourteen holds reads 14,000 rows and their text.
SCAN_COUNT_CAP = 200


def count_cap(filters: ComplaintFilter, user: User | AnonymousUser | None = None) -> int:
    """How far a list with ``filters`` is counted exactly (``user``: who searches, whose
    roles decide the ways a search looks; call it after the list is built, in the same
    request, and the search's look-up is not made again)."""
    query = filters.q.strip()[:SEARCH_LIMIT]
    if not query:
        return COUNT_CAP
    has_text, others, hits = search_look_up(query, user)
    if (has_text or others) and hits is None:
        return SCAN_COUNT_CAP
    return SEARCH_COUNT_CAP


@dataclass(frozen=True)
class CappedCount:
    """How many complaints a list holds: exactly ``value`` when ``exact``, more than
    ``value`` otherwise."""

    value: int
    exact: bool


def complaints_count_capped(
    queryset: QuerySet[Complaint], *, cap: int | None = None
) -> CappedCount:
    """Count ``queryset`` (a ``complaints_list``) exactly up to ``cap`` rows
    (``COUNT_CAP`` by default): one ``COUNT`` over at most ``cap + 1`` rows."""
    cap = COUNT_CAP if cap is None else cap
    seen = queryset.order_by().values("pk")[: cap + 1].count()
    return CappedCount(value=min(seen, cap), exact=seen <= cap)


def complaint_get_visible(*, user: User | AnonymousUser, tracking_no: str) -> Complaint:
    """The complaint with ``tracking_no`` if ``user`` may see it; NotFound otherwise.

    A complaint of another department is reported exactly like a missing one, so its
    existence is not revealed.
    """
    complaint = (
        Complaint.objects.visible_to(user)
        .select_related(
            "category",
            "department",
            "assignee",
            "received_by",
            "complainant",
            "plan_revision__plan",
        )
        .filter(tracking_no=tracking_no)
        .first()
    )
    if complaint is None:
        raise NotFound(f"no complaint {tracking_no}")
    return complaint


def complaint_visible_to(*, user: User | AnonymousUser, complaint: Complaint) -> bool:
    """Whether ``user`` may open ``complaint`` (the gate, for one case)."""
    return complaint_visibility_filter(Complaint.objects.filter(pk=complaint.pk), user).exists()


def complaint_timeline(complaint: Complaint) -> QuerySet[AuditEvent]:
    """The complaint's changes, oldest first (views of personal data are left out)."""
    return (
        AuditEvent.objects.filter(complaint=complaint, action__in=EventAction.values)
        .select_related("actor")
        .order_by("seq")
    )
