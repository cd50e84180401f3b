"""What the printed 受理回执 says: who received the complaint, its number, the time limit
the plan states for its first step, and how the complainant follows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from tousu.accounts.selectors import organisation_current
from tousu.complaints.models import Complaint
from tousu.deadlines.choices import Unit
from tousu.deadlines.models import Deadline
from tousu.notifications.messages import portal_url

# The access codes of complaints this browser registered, for the page after registering
# and the receipt: {tracking number: [code, when registered (ISO 8601)]}. Only a digest is
# stored with the complaint; the code is kept here for ``CODE_SHOWN`` after registration
# (long enough to read it out, print the receipt, switch the paper and print again), then
# the receipt says it was given at registration.
SESSION_CODES = "desk_access_codes"
CODES_KEPT = 5
CODE_SHOWN = timedelta(minutes=10)


def _codes(session: SessionBase) -> dict[str, list[str]]:
    """The codes still shown; those whose time is up are left out."""
    kept = session.get(SESSION_CODES, {})
    since = timezone.now() - CODE_SHOWN
    codes = {}
    for tracking_no, entry in kept.items():
        if not isinstance(entry, list) or len(entry) != 2:
            continue
        try:
            registered = datetime.fromisoformat(entry[1])
        except (TypeError, ValueError):
            continue
        if registered >= since:
            codes[tracking_no] = [str(entry[0]), entry[1]]
    return codes


def access_code_keep(session: SessionBase, tracking_no: str, code: str) -> None:
    """Keep the code of a just-registered complaint for the next ``CODE_SHOWN`` (the last
    few registrations only)."""
    codes = _codes(session)
    codes[tracking_no] = [code, timezone.now().isoformat()]
    session[SESSION_CODES] = dict(list(codes.items())[-CODES_KEPT:])


def access_code_shown(session: SessionBase, tracking_no: str) -> str:
    """The code while it is still shown, else "" (and the session forgets the codes
    whose time is up)."""
    codes = _codes(session)
    if codes != session.get(SESSION_CODES, {}):
        session[SESSION_CODES] = codes
    entry = codes.get(tracking_no)
    return entry[0] if entry else ""


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
