"""Writing checked rows: tracking numbers a day's block at a time, then everything
``complaint_register`` writes for each, a table at a time, inside the caller's
transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from tousu.audit.bulk import ChainEvent, audit_chains_begin
from tousu.audit.inserts import objects_insert, rows_insert
from tousu.complaints.bulk.clocks import deadline_rows
from tousu.complaints.bulk.intake import BulkComplaint, BulkIntake
from tousu.complaints.checks import TEXT_FIELDS
from tousu.complaints.choices import EventAction
from tousu.complaints.lookup import complainant_digests, phone_key_digests
from tousu.complaints.models import (
    Complainant,
    ComplainantKey,
    Complaint,
    ComplaintSearchDocument,
    DailySequence,
)
from tousu.complaints.search import document_for
from tousu.complaints.services import complaint_snapshot
from tousu.complaints.similar import similar_index, window_start
from tousu.complaints.similar_keys import mass_triggers
from tousu.core.actors import IMPORT, SystemActor
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_opened_data
from tousu.plans.engine import TIMELINE_ACTION, workflow_start
from tousu.plans.schema import Plan


@dataclass
class BulkOutcome:
    """What one bulk registration wrote: the complaints in the order of the rows, the
    deadlines of the open ones, how many of those were already breached (and past their
    warning point) before the import, and how many open cases the mass index took."""

    complaints: list[Complaint] = field(default_factory=list)
    deadlines: int = 0
    breached: int = 0
    warned: int = 0
    indexed: int = 0


def tracking_numbers_take(received: Sequence[dt.datetime]) -> list[str]:
    """Tracking numbers for complaints received at ``received``, in that order: each
    day's numbers one block, given in the order of the times received, taken in a short
    transaction of its own (as ``complaint_register`` takes one on PostgreSQL: a failure
    later leaves a gap, never a duplicate)."""
    days = [timezone.localdate(moment) for moment in received]
    counts = Counter(days)
    if not counts:
        return []
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    with transaction.atomic():
        DailySequence.objects.bulk_create(
            [DailySequence(day=day) for day in counts], ignore_conflicts=True
        )
        with connection.cursor() as cursor:
            # The table name comes from the model; the values are bound parameters.
            cursor.executemany(
                f"UPDATE {table} SET last = last + %s WHERE day = %s",  # noqa: S608
                [(n, adapt(day)) for day, n in sorted(counts.items())],
            )
        last = dict(DailySequence.objects.filter(day__in=counts).values_list("day", "last"))
    following = {day: last[day] - n + 1 for day, n in counts.items()}
    numbers = [""] * len(received)
    for index in sorted(range(len(received)), key=lambda i: received[i]):
        day = days[index]
        numbers[index] = f"TS-{day:%Y%m%d}-{following[day]:06d}"
        following[day] += 1
    return numbers


def _complaint(intake: BulkIntake, row: BulkComplaint, person: Complainant, no: str) -> Complaint:
    complaint = Complaint(
        tracking_no=no,
        channel=row.channel,
        severity=row.severity,
        nature=row.nature,
        category=row.category,
        complainant=person,
        received_by=None,
        department=row.department,
        occurred_at=row.occurred_at,
        amount_involved=row.amount_involved,
        confidential=row.confidential,
        received_at=row.received_at,
        title=row.title,
        description=row.description,
        occurred_place=row.occurred_place,
        persons_involved=row.persons_involved,
        merchant=row.merchant,
        product=row.product,
    )
    # The engine's own start, the case's clocks counted from when it was received.
    for name, value in workflow_start(
        complaint=complaint, revision=intake.revision, at=row.received_at
    ).items():
        setattr(complaint, name, value)
    if row.closed:
        complaint.stage = intake.archive_stage
        complaint.status = intake.plan.stage(intake.archive_stage).status
    return complaint


def _keys(person: Complainant) -> list[tuple[int, str]]:
    """``complainant_keys`` as rows: the digests of the phone number's suffixes."""
    return [(person.pk, digest) for digest in phone_key_digests(person.phone)]


def _mass_since(plan: Plan, now: dt.datetime) -> dt.datetime | None:
    """The earliest receipt a complaint registered from now on can still be counted with
    (the start of the plan's longest mass window); None: the plan counts none."""
    triggers = mass_triggers(plan)
    starts = [window_start(t.mass.within, now) for t in triggers if t.mass is not None]
    return min(starts) if starts else None


def complaints_register_bulk(
    *,
    intake: BulkIntake,
    rows: Sequence[BulkComplaint],
    tracking_nos: Sequence[str],
    now: dt.datetime,
    actor: SystemActor = IMPORT,
) -> BulkOutcome:
    """Register checked ``rows`` with ``tracking_nos`` (``tracking_numbers_take``) inside
    the caller's transaction, ``actor`` (the import) recorded on every event.

    Writes per row what ``complaint_register`` writes — complainant (encrypted) and its
    look-up keys, complaint under the plan, search document, the registration event with
    the same snapshot — and for a closed row with a reply or result one event with them.
    An open row starts its plan at its received time with its deadline rows
    (``clocks.deadline_rows``); a breach before the import is put on the timeline as a
    breach found on import, with nobody told and no penalty. An open case received
    inside the plan's longest mass window joins the mass index (an older one can never
    be counted with a new complaint). Nothing is sent to anyone.
    """
    plan = intake.plan
    people = [
        Complainant(
            name=row.complainant.name,
            phone=row.complainant.phone,
            id_number=row.complainant.id_number,
            address=row.complainant.address,
            email=row.complainant.email,
            **complainant_digests(name=row.complainant.name, phone=row.complainant.phone),
        )
        for row in rows
    ]
    objects_insert(people)
    # In digest order: the digest index takes them in one sweep instead of at random.
    keys = sorted((key for p in people for key in _keys(p)), key=lambda key: key[1])
    rows_insert(ComplainantKey, ("complainant", "digest"), keys)
    complaints = [
        _complaint(intake, row, person, no)
        for row, person, no in zip(rows, people, tracking_nos, strict=True)
    ]
    for complaint in complaints:
        complaint.registered_at = now
    # In the order received: the indexes by received time and tracking number grow at
    # their end (the instances keep the order of the rows).
    in_order = sorted(complaints, key=lambda c: (c.received_at, c.tracking_no))
    objects_insert(in_order)
    rows_insert(
        ComplaintSearchDocument,
        ("complaint", "document"),
        [(c.pk, document_for(*(getattr(c, f) for f in TEXT_FIELDS))) for c in complaints],
    )
    open_cases = [c for row, c in zip(rows, complaints, strict=True) if not row.closed]
    deadlines = deadline_rows(open_cases, plan, now=now)
    every = [d for found in deadlines.values() for d in found]
    objects_insert(every)
    outcome = BulkOutcome(
        complaints=complaints,
        deadlines=len(every),
        breached=sum(1 for d in every if d.breached_at is not None),
        warned=sum(1 for d in every if d.warned_at is not None),
    )
    chains = []
    for row, complaint in zip(rows, complaints, strict=True):
        found = deadlines.get(complaint.pk, [])
        # One event for the registration, listing the deadlines it opened.
        opened = [{"deadline": d.pk, **deadline_opened_data(d)} for d in found]
        events = [
            ChainEvent(
                actor=actor,
                action=EventAction.REGISTERED,
                object_type="complaint",
                object_id=complaint.tracking_no,
                data={
                    "fields": complaint_snapshot(complaint),
                    **({"deadlines": opened} if opened else {}),
                },
            )
        ]
        events += [_breached(actor, complaint, d, plan) for d in found if d.breached_at]
        if row.closed and (row.reply or row.result):
            events.append(_answered(actor, complaint, row, plan))
        chains.append((complaint.pk, events))
    audit_chains_begin(complaints=chains, at=now)
    since = _mass_since(plan, now)
    for complaint in open_cases:
        if since is not None and complaint.received_at >= since:
            similar_index(complaint=complaint, plan=plan, now=complaint.received_at)
            outcome.indexed += 1
    return outcome


def _breached(actor: SystemActor, complaint: Complaint, row: Deadline, plan: Plan) -> ChainEvent:
    """A deadline found breached on import, as the worker records a breach: nobody told."""
    rule = plan.deadline_rule(row.kind)
    return ChainEvent(
        actor=actor,
        action=EventAction.ESCALATED,
        object_type="complaint",
        object_id=complaint.tracking_no,
        data={
            "deadline": rule.label if rule is not None else row.kind,
            "at": "breach",
            "due_at": row.due_at,
            "before_import": True,
            "notified": [],
            "changes": {},
        },
    )


def _answered(
    actor: SystemActor, complaint: Complaint, row: BulkComplaint, plan: Plan
) -> ChainEvent:
    """A closed case's reply and result as a plan action's event shows them, labelled
    with the stage the case rests in."""
    answers = {name: value for name, value in (("reply", row.reply), ("result", row.result))}
    return ChainEvent(
        actor=actor,
        action=TIMELINE_ACTION,
        object_type="complaint",
        object_id=complaint.tracking_no,
        data={
            "action": "import",
            "type": "reply" if row.reply else "close",
            "label": plan.stage(complaint.stage).label,
            "stage": None,
            **{name: value for name, value in answers.items() if value},
        },
    )
