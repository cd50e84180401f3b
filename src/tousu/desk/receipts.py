"""What the printed 受理回执 says: who received the complaint, its number, the time limit
the plan states for its first step, and how the complainant follows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase

from tousu.accounts.selectors import organisation_current
from tousu.complaints.models import Complaint
from tousu.deadlines.choices import Unit
from tousu.deadlines.models import Deadline
from tousu.notifications.messages import portal_url

# The access codes of complaints this browser registered, shown once on the receipt:
# {tracking number: code}. Only a digest is stored with the complaint.
SESSION_CODES = "desk_access_codes"
CODES_KEPT = 5


def access_code_keep(session: SessionBase, tracking_no: str, code: str) -> None:
    """Keep the code of a just-registered complaint for its first receipt (the last few
    registrations only)."""
    codes = dict(session.get(SESSION_CODES, {}))
    codes[tracking_no] = code
    session[SESSION_CODES] = dict(list(codes.items())[-CODES_KEPT:])


def access_code_peek(session: SessionBase, tracking_no: str) -> str:
    return str(session.get(SESSION_CODES, {}).get(tracking_no, ""))


def access_code_take(session: SessionBase, tracking_no: str) -> str:
    """The code, once: later prints say it was given at registration."""
    codes = dict(session.get(SESSION_CODES, {}))
    code = codes.pop(tracking_no, "")
    if code:
        session[SESSION_CODES] = codes
    return str(code)


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


@dataclass(frozen=True)
class Receipt:
    organisation: str
    complaint: Complaint
    limits: list[TimeLimit]
    tracking_url: str
    access_code: str


def receipt_for(complaint: Complaint, *, access_code: str = "") -> Receipt:
    organisation = organisation_current()
    return Receipt(
        organisation=organisation.name if organisation else "",
        complaint=complaint,
        limits=first_step_limits(complaint),
        tracking_url=portal_url(complaint.tracking_no),
        access_code=access_code,
    )
