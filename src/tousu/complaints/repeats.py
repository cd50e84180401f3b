"""Repeat complaints: the same caller about the same thing after it was handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from tousu.audit.services import audit_record
from tousu.complaints.choices import EventAction, Status
from tousu.complaints.models import Complainant, Complaint
from tousu.core.actors import TRIGGER

REPEAT_WINDOW_DAYS = 365


def repeat_check(*, complaint: Complaint, now: datetime) -> Complaint | None:
    """A complaint from the same caller about the same category as one already handled
    (closed within a year) is a repeat: it is marked on the timeline and the plan's
    repeat-complaint penalties apply to the department that handled the earlier one."""
    digest = complaint.complainant.phone_digest
    if not digest:
        return None
    if _concludes(complaint):
        concluded_check(complaint=complaint, digest=digest)
    # Most callers have no earlier handled complaint: ask for its key alone first, in a
    # statement written once (compiling the query would cost more than running it).
    since = connection.ops.adapt_datetimefield_value(now - timedelta(days=REPEAT_WINDOW_DAYS))
    with connection.cursor() as cursor:
        cursor.execute(
            _earlier_sql(),
            [digest, complaint.category_id, Status.CLOSED, Status.ARCHIVED, since, complaint.pk],
        )
        row = cursor.fetchone()
    found = row[0] if row else None
    if found is None:
        return None
    earlier = Complaint.objects.select_related(
        "department__parent", "assignee", "received_by", "category", "plan_revision"
    ).get(pk=found)
    from tousu.assessment.penalties import penalties_for_repeat

    audit_record(
        actor=TRIGGER,
        action=EventAction.REPEAT,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={"earlier": earlier.tracking_no},
    )
    if complaint.plan_revision_id:
        penalties_for_repeat(complaint=complaint, earlier=earlier, now=now)
    return earlier


def _earlier_sql() -> str:
    """The newest handled complaint of a caller (phone digest) and category since a
    moment, other than the new one: names from the models, values bound."""
    quote = connection.ops.quote_name
    complaints = quote(Complaint._meta.db_table)
    people = quote(Complainant._meta.db_table)
    return (
        f"SELECT c.id FROM {complaints} c"  # noqa: S608 - names from the models only
        f" JOIN {people} p ON p.id = c.complainant_id"
        " WHERE p.phone_digest = %s AND c.category_id = %s AND c.status IN (%s, %s)"
        " AND c.received_at >= %s AND c.id <> %s ORDER BY c.received_at DESC LIMIT 1"
    )


def _concludes(complaint: Complaint) -> bool:
    """Whether the complaint's plan can conclude a matter (信访 终结); only then is a
    registration checked against concluded ones."""
    if complaint.plan_revision_id is None:
        return False
    return complaint.plan.concludes()


def concluded_check(*, complaint: Complaint, digest: str) -> Complaint | None:
    """A matter concluded under its plan (信访 终结: after 复核) is not accepted again: a
    new complaint from the same caller about the same category is marked with the
    concluded one, and the plan's accept action refuses it (the refusal tells the
    complainant why). No time window: a concluded matter stays concluded."""
    concluded = (
        Complaint.objects.filter(
            complainant__phone_digest=digest,
            category=complaint.category,
            workflow__concluded=True,
        )
        .exclude(pk=complaint.pk)
        .order_by("-received_at")
        .only("tracking_no")
        .first()
    )
    if concluded is None:
        return None
    complaint.workflow = {**(complaint.workflow or {}), "repeats_concluded": concluded.tracking_no}
    Complaint.objects.filter(pk=complaint.pk).update(workflow=complaint.workflow)
    audit_record(
        actor=TRIGGER,
        action=EventAction.REPEAT,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={"earlier": concluded.tracking_no, "concluded": True},
    )
    return concluded
