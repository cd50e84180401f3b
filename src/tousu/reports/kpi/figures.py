"""The figures behind the KPIs, per department and per person, for one period.

The official figures are the system's: ``kpi_table`` collects them with ``user`` None (all
complaints of the plan) and the visibility gate decides only which rows a person sees.
``figures_collect`` still takes a ``user`` for callers that want a gated view; then every
read starts from ``Complaint.objects.visible_to(user)``. Everything is aggregated in the
database (or streamed), grouped by the complaint's department and assignee: a fixed number
of queries whatever the volume, each bounded by the period.

Definitions — the cohort is the complaints received in the period ``[start, end)``; every
rate is a share of that cohort (or of a part of it), so no rate exceeds 100 %:

- received: the cohort.
- received_closed: of the cohort, those closed (or archived) now; closed_rate is
  received_closed / received.
- closed: complaints whose last move into or out of a closed stage within the period was
  a move into one (moved there between start and end, not reopened later in the period);
  their handling time is the working time (the plan's business hours on working days of
  the official calendar) from receipt to that move.
- deadlines met / missed: the deadline rows of the cohort; met when closed by their due
  time and never breached, missed when breached, closed late, or still running past their
  due time. Rows not yet due (or paused) count neither way (``deadline_outcomes``; the
  analysis report counts the same way).
- rated / satisfied: of the cohort, those rated; satisfied counts satisfied and basically
  satisfied.
- resolved (解决): of the cohort, closed, not closed by a refusal, not rated dissatisfied
  and never appealed; resolution_rate is resolved / received_closed.
- repeats: the cohort's repeat complaints (``complaints.repeats``), charged to the
  department and assignee of the EARLIER complaint (as the repeat penalty is); a 信访
  re-submission of a concluded matter (``data.concluded``) is no repeat.
- appeals: of the cohort, the complaints appealed; appeal_rate is appeals / received.
- penalties: ledger entries in force booked (``PenaltyEntry.booked_at``) within the period,
  on complaints or incidents of the plan, on the person assessed (and their department).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.assessment.choices import PenaltyStatus
from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction, Status
from tousu.complaints.models import Complaint
from tousu.deadlines.calendar import SHANGHAI, BusinessHours
from tousu.deadlines.hours import DEFAULT_BUSINESS_HOURS
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import work_calendar_for
from tousu.plans.choices import ActionType, Satisfaction
from tousu.plans.models import PlanRevision
from tousu.reports.periods import Period

CLOSED = (Status.CLOSED, Status.ARCHIVED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
MOVES_CHUNK = 2000  # stage moves streamed per round trip


def deadline_outcomes(now: dt.datetime) -> tuple[Q, Q]:
    """(met, missed) conditions on deadline rows, as of ``now``: met when closed by the
    due time and never breached; missed when breached, closed late, or still running
    (not paused) past the due time. A row matching neither is not decided yet. Shared by
    the KPIs and the analysis report so their on-time rates mean the same."""
    met = Q(breached_at__isnull=True, closed_at__isnull=False, closed_at__lte=F("due_at"))
    missed = (
        Q(breached_at__isnull=False)
        | Q(closed_at__gt=F("due_at"))
        | Q(closed_at__isnull=True, paused_at__isnull=True, due_at__lt=now)
    )
    return met, missed


def closed_now() -> Q:
    """Complaints closed (or archived) now: the cohort's closed count of the KPIs and of
    the analysis report."""
    return Q(status__in=CLOSED)


@dataclass
class Tally:
    """The raw counts of one department or one person."""

    received: int = 0
    received_closed: int = 0
    repeats: int = 0
    closed: int = 0
    handling_hours: float = 0.0  # summed over the complaints closed in the period
    rated: int = 0
    satisfied: int = 0
    resolved: int = 0
    appeals: int = 0
    # deadline kind → [met, missed]
    deadlines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    penalties: int = 0
    penalty_amount: Decimal = Decimal("0.00")
    performance_zero: int = 0

    @property
    def active(self) -> bool:
        return bool(
            self.received or self.closed or self.repeats or self.appeals or self.penalties
        ) or any(met or missed for met, missed in self.deadlines.values())


@dataclass
class Figures:
    departments: dict[int, Tally]
    people: dict[int, Tally]


def complaints_for(*, user, plan_key: str | None) -> QuerySet[Complaint]:
    """The complaints the figures count: through the gate (``user`` None: the system)."""
    complaints = Complaint.objects.all() if user is None else Complaint.objects.visible_to(user)
    if plan_key:
        complaints = complaints.filter(plan_revision__plan__key=plan_key)
    return complaints


def _tallies(figures: Figures, department_id: int | None, person_id: int | None) -> list[Tally]:
    found = []
    if department_id is not None:
        found.append(figures.departments.setdefault(department_id, Tally()))
    if person_id is not None:
        found.append(figures.people.setdefault(person_id, Tally()))
    return found


def _actions(type_: ActionType) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        action=EventAction.ACTION, data__type=type_.value, complaint_id=OuterRef("pk")
    )


def figures_collect(
    *, period: Period, user=None, plan_key: str | None = None, now: dt.datetime | None = None
) -> Figures:
    """The tallies of ``period`` per department (id) and per person (id)."""
    now = now or timezone.now()
    start, end = period.bounds()
    complaints = complaints_for(user=user, plan_key=plan_key)
    cohort = complaints.filter(received_at__gte=start, received_at__lt=end)
    figures = Figures(departments={}, people={})
    _cohort(figures, cohort)
    _repeats(figures, cohort)
    _deadlines(figures, cohort, now)
    _closed(figures, complaints, plan_key, start, end)
    _penalties(figures, start, end, user, plan_key, complaints)
    return figures


def _cohort(figures: Figures, cohort: QuerySet[Complaint]) -> None:
    appealed, refused = Exists(_actions(ActionType.APPEAL)), Exists(_actions(ActionType.REFUSE))
    closed = closed_now()
    rows = (
        cohort.values("department_id", "assignee_id")
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=closed),
            rated=Count("pk", filter=Q(satisfaction__in=Satisfaction.values)),
            satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED)),
            appealed=Count("pk", filter=Q(appealed)),
            resolved=Count(
                "pk",
                filter=Q(closed, ~Q(satisfaction=Satisfaction.DISSATISFIED), ~appealed, ~refused),
            ),
        )
        .order_by()
    )
    for row in rows:
        for tally in _tallies(figures, row["department_id"], row["assignee_id"]):
            tally.received += row["n"]
            tally.received_closed += row["closed"]
            tally.rated += row["rated"]
            tally.satisfied += row["satisfied"]
            tally.appeals += row["appealed"]
            tally.resolved += row["resolved"]


def _repeats(figures: Figures, cohort: QuerySet[Complaint]) -> None:
    """The cohort's repeats, on the earlier complaint's department and assignee."""
    earlier = Complaint.objects.filter(tracking_no=KeyTextTransform("earlier", OuterRef("data")))
    rows = (
        AuditEvent.objects.filter(action=EventAction.REPEAT, complaint__in=cohort.values("pk"))
        # A missing key must not vanish under NOT (NULL = true): say "absent or false".
        .filter(Q(data__concluded__isnull=True) | Q(data__concluded=False))
        .annotate(
            earlier_department=Subquery(earlier.values("department_id")[:1]),
            earlier_assignee=Subquery(earlier.values("assignee_id")[:1]),
        )
        .values("earlier_department", "earlier_assignee")
        .annotate(n=Count("complaint_id", distinct=True))
        .order_by()
    )
    for row in rows:
        for tally in _tallies(figures, row["earlier_department"], row["earlier_assignee"]):
            tally.repeats += row["n"]


def _deadlines(figures: Figures, cohort: QuerySet[Complaint], now: dt.datetime) -> None:
    met, missed = deadline_outcomes(now)
    rows = (
        Deadline.objects.filter(complaint__in=cohort.values("pk"))
        .values("complaint__department_id", "complaint__assignee_id", "kind")
        .annotate(met=Count("pk", filter=met), missed=Count("pk", filter=missed))
        .order_by()
    )
    for row in rows:
        for tally in _tallies(
            figures, row["complaint__department_id"], row["complaint__assignee_id"]
        ):
            counts = tally.deadlines[row["kind"]]
            counts[0] += row["met"]
            counts[1] += row["missed"]


def _penalties(
    figures: Figures, start: dt.datetime, end: dt.datetime, user, plan_key, complaints
) -> None:
    """Entries in force booked within the period, of the plan (its complaints or its
    incidents), and for a user only those on a complaint they may see (an incident's
    only for those who see all)."""
    entries = PenaltyEntry.objects.filter(
        status=PenaltyStatus.ACTIVE, booked_at__gte=start, booked_at__lt=end
    )
    if plan_key:
        entries = entries.filter(
            Q(complaint__plan_revision__plan__key=plan_key)
            | Q(incident__plan_revision__plan__key=plan_key)
        )
    if user is not None:
        subject = Q(complaint__in=complaints.values("pk"))
        if user.has_role(*ROLES_SEEING_ALL):
            subject |= Q(incident__isnull=False)
        entries = entries.filter(subject)
    rows = (
        entries.values("person_id", "person__department_id")
        .annotate(
            n=Count("pk"),
            amount=Sum("amount"),
            zero=Count("pk", filter=~Q(performance="")),
        )
        .order_by()
    )
    for row in rows:
        for tally in _tallies(figures, row["person__department_id"], row["person_id"]):
            tally.penalties += row["n"]
            tally.penalty_amount += row["amount"] or Decimal(0)
            tally.performance_zero += row["zero"]


def _closed(
    figures: Figures,
    complaints: QuerySet[Complaint],
    plan_key: str | None,
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    """Complaints closed in the period: the engine's stage moves into or out of a closed
    stage with ``start <= at < end`` (both ends bounded, so a past month reads only that
    month's moves), streamed in order; a complaint counts when its last such move in the
    period went into a closed stage."""
    revisions = _revisions(plan_key)
    if not revisions.closed_labels:
        return
    touches_closed = Q()
    for revision_id, labels in revisions.closed_labels.items():
        if labels:
            touches_closed |= Q(complaint__plan_revision_id=revision_id) & (
                Q(data__stage__1__in=labels) | Q(data__stage__0__in=labels)
            )
    if not touches_closed:
        return
    moves = (
        AuditEvent.objects.filter(
            touches_closed,
            ~Q(data__stage=None),
            action=EventAction.ACTION,
            at__gte=start,
            at__lt=end,
            complaint__in=complaints.values("pk"),
        )
        .values_list(
            "complaint_id",
            "at",
            "data__stage",
            "complaint__plan_revision_id",
            "complaint__department_id",
            "complaint__assignee_id",
            "complaint__received_at",
        )
        .order_by("at", "pk")
    )
    last: dict[int, tuple] = {}
    for row in moves.iterator(chunk_size=MOVES_CHUNK):
        before_after = row[2] or []
        labels = revisions.closed_labels.get(row[3], set())
        if len(before_after) != 2:
            continue
        into, out_of = before_after[1] in labels, before_after[0] in labels
        if into and not out_of:
            last[row[0]] = row
        elif out_of and not into:
            last.pop(row[0], None)  # reopened later in the period
    if not last:
        return
    hours = _working_hours_counter(
        min(row[6] for row in last.values()), max(row[1] for row in last.values()), revisions
    )
    for _pk, at, _stage, revision_id, department_id, assignee_id, received in last.values():
        spent = hours(revision_id, received, at)
        for tally in _tallies(figures, department_id, assignee_id):
            tally.closed += 1
            tally.handling_hours += spent


@dataclass
class _Revisions:
    """Per plan revision: the labels of its closed stages and its business hours."""

    closed_labels: dict[int, set[str]]
    hours: dict[int, BusinessHours]

    def hours_of(self, revision_id: int | None) -> BusinessHours:
        return self.hours.get(revision_id or 0, DEFAULT_BUSINESS_HOURS)


def _revisions(plan_key: str | None) -> _Revisions:
    """The revisions of the plan (of every plan when None): a handful of rows."""
    found = _Revisions(closed_labels={}, hours={})
    revisions: Iterable[PlanRevision] = PlanRevision.objects.all()
    if plan_key:
        revisions = PlanRevision.objects.filter(plan__key=plan_key)
    for revision in revisions:
        plan = revision.plan_model
        found.closed_labels[revision.pk] = {
            s.label for s in plan.stages.values() if s.status in CLOSED
        }
        # Working hours without business hours of the plan's own: the calendar's default
        # (as the working_hours deadline unit counts them).
        found.hours[revision.pk] = (
            BusinessHours.coerce(plan.business_hours) or DEFAULT_BUSINESS_HOURS
        )
    return found


def _working_hours_counter(first: dt.datetime, last: dt.datetime, revisions: _Revisions):
    """A function (revision, from, to) → working hours between them: the calendar is read
    once for the whole span, and each day's working seconds summed once (prefix sums)."""
    first_day = first.astimezone(SHANGHAI).date()
    last_day = max(last.astimezone(SHANGHAI).date(), first_day)
    calendar = work_calendar_for(first_day, last_day)
    prefix: dict[int | None, list[float]] = {}

    def day_seconds(day: dt.date, hours: BusinessHours, upto: dt.time | None = None) -> float:
        if not calendar.is_working_day(day):
            return 0.0
        total = 0.0
        for a, b in hours.intervals:
            stop = b if upto is None else min(b, max(a, upto))
            begin = dt.datetime.combine(day, a)
            total += max(0.0, (dt.datetime.combine(day, stop) - begin).total_seconds())
        return total

    def sums(revision_id: int | None) -> list[float]:
        if revision_id not in prefix:
            hours = revisions.hours_of(revision_id)
            running, cumulative, day = 0.0, [], first_day
            while day <= last_day:
                cumulative.append(running)
                running += day_seconds(day, hours)
                day += dt.timedelta(days=1)
            prefix[revision_id] = cumulative
        return prefix[revision_id]

    def before(revision_id: int | None, moment: dt.datetime) -> float:
        """Working seconds from the start of ``first_day`` to ``moment``."""
        local = moment.astimezone(SHANGHAI)
        hours = revisions.hours_of(revision_id)
        index = (local.date() - first_day).days
        return sums(revision_id)[index] + day_seconds(local.date(), hours, local.time())

    def between(revision_id: int | None, start: dt.datetime, end: dt.datetime) -> float:
        if end <= start:
            return 0.0
        return (before(revision_id, end) - before(revision_id, start)) / 3600

    return between
