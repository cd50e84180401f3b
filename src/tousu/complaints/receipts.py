"""What a 受理回执 says: who received the complaint, its number, the time limits the plan
opened for its first step, and how the complainant follows it. The hotline desk's receipt
and the office's printed receipt (reports.documents) both use it, so they never disagree.
The access code is never part of it: only the desk that just registered the complaint may
add it (desk.receipts).

A complaint that was refused (不予受理) still gets proof that it was received, but no
receipt of acceptance: ``Receipt.refused`` turns it into a 收件回执 (receipt of delivery),
without acceptance wording and without time limits (none run for a refused complaint)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tousu.accounts.selectors import organisation_current
from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.deadlines.choices import Unit
from tousu.deadlines.models import Deadline
from tousu.notifications.messages import portal_url
from tousu.plans.choices import ActionType

# The plan actions that decide whether a complaint stands accepted or refused.
_ACCEPTANCE = (ActionType.ACCEPT.value, ActionType.REFUSE.value, ActionType.REOPEN.value)


@dataclass(frozen=True)
class TimeLimit:
    label: str
    amount: str
    unit: str
    due_at: datetime


def _amount(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def first_step_limits(complaint: Complaint) -> list[TimeLimit]:
    """The time limits the plan opened for the complaint's first stage at registration
    (受理时限 …), with the plan's own labels."""
    if complaint.plan_revision_id is None:
        return []
    plan = complaint.plan
    rules = {key: rule for key, (_stage, rule) in plan.deadline_rules().items()}
    rows = Deadline.objects.filter(complaint=complaint, stage=plan.initial_stage).order_by("pk")
    units = dict(Unit.choices)
    limits: dict[str, TimeLimit] = {}
    for row in rows:
        rule = rules.get(row.kind)
        if rule is None or row.kind in limits:
            continue
        limits[row.kind] = TimeLimit(
            label=rule.label,
            amount=_amount(rule.amount),
            unit=str(units.get(rule.unit, rule.unit)),
            due_at=row.due_at,
        )
    return list(limits.values())


def complaint_refused(complaint: Complaint) -> bool:
    """Whether ``complaint`` stands refused (不予受理): its latest accept, refuse or reopen
    action is a refusal (a complaint accepted or reopened after a refusal is not)."""
    last = (
        AuditEvent.objects.filter(
            complaint=complaint, action=EventAction.ACTION, data__type__in=_ACCEPTANCE
        )
        .order_by("-seq")
        .values_list("data__type", flat=True)
        .first()
    )
    return last == ActionType.REFUSE.value


@dataclass(frozen=True)
class Receipt:
    organisation: str
    complaint: Complaint
    limits: list[TimeLimit]
    tracking_url: str
    access_code: str
    # Refused: a receipt of delivery (收件回执), never of acceptance, and no time limits.
    refused: bool = False


def receipt_for(complaint: Complaint, *, access_code: str = "") -> Receipt:
    """The receipt of ``complaint`` (the caller has passed the gate); ``access_code`` only
    where the rules of the desk allow it on the paper."""
    organisation = organisation_current()
    refused = complaint_refused(complaint)
    return Receipt(
        organisation=organisation.name if organisation else "",
        complaint=complaint,
        limits=[] if refused else first_step_limits(complaint),
        tracking_url=portal_url(complaint.tracking_no),
        access_code=access_code,
        refused=refused,
    )
