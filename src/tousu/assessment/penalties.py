"""The assessment ledger (考核): entries from the plan's penalty rules, contests and
waivers. Entries are never deleted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.assessment.choices import PenaltyStatus
from tousu.assessment.models import PenaltyEntry
from tousu.audit.services import audit_record
from tousu.core.actors import TRIGGER
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.plans.definition import condition_holds
from tousu.plans.people import people_for
from tousu.plans.schema import Penalties, Penalty, PenaltyTrigger, Plan


def _amount(rule: Penalty, penalties: Penalties, given: dict) -> Decimal:
    """The rule's amount — or the fine the action gave within the rule's range — at
    least the plan's minimum per item, times the items upheld for a per-item rule."""
    amount = rule.amount
    if rule.max_amount is not None and given.get("fine"):
        amount = Decimal(str(given["fine"]))
    minimum = penalties.minimum_per_item
    # An economic penalty is at least the plan's minimum per item; 0 is a record only.
    amount = max(amount, minimum) if amount > 0 else amount
    if rule.per_item:
        amount *= int(given.get("items") or 1)
    return amount


def _assess(
    *,
    complaint,
    rule: Penalty,
    penalties: Penalties,
    cause: str,
    deadline,
    now: datetime,
    booked_at: datetime,
    plan: Plan,
    given: dict,
) -> int:
    created = 0
    for person in people_for(complaint, [rule.target], plan):
        entry, new = PenaltyEntry.objects.get_or_create(
            key=f"penalty:{rule.key}:{cause}:u{person.pk}",
            defaults={
                "person": person,
                "rule": rule.key,
                "rule_label": rule.label,
                "complaint": complaint,
                "deadline": deadline,
                "amount": _amount(rule, penalties, given),
                "performance": rule.performance or "",
                "period": penalty_period(booked_at),
                "booked_at": booked_at,
                "created_at": now,
            },
        )
        if new:
            created += 1
            audit_record(
                actor=TRIGGER,
                action="penalty.assessed",
                object_type="penalty",
                object_id=str(entry.pk),
                complaint=complaint,
                data={
                    "rule": rule.key,
                    "person": person.username,
                    "amount": str(entry.amount),
                    "performance": entry.performance,
                },
            )
    return created


def _apply(
    *,
    complaint,
    judged,
    triggered: Callable[[PenaltyTrigger], bool],
    cause: str,
    deadline,
    now: datetime,
    booked_at: datetime,
    given=None,
) -> int:
    """Apply each of the plan's rules that ``triggered`` picks and whose condition holds
    for ``complaint``; the entries fall on the people of ``judged``, booked to the month
    of ``booked_at`` (the event that caused them)."""
    plan = complaint.plan_revision.plan_model
    penalties = plan.penalties
    created = 0
    for rule in penalties.rules:
        if triggered(rule.trigger) and condition_holds(rule.when, complaint):
            created += _assess(
                complaint=judged,
                rule=rule,
                penalties=penalties,
                cause=cause,
                deadline=deadline,
                now=now,
                booked_at=booked_at,
                plan=plan,
                given=given or {},
            )
    return created


def penalty_period(moment: datetime) -> str:
    """The ledger month (``YYYY-MM``, Beijing time) an event at ``moment`` is booked to."""
    return f"{timezone.localtime(moment):%Y-%m}"


def penalties_for_breach(*, deadline, now: datetime) -> int:
    """Apply the plan's rules triggered by this deadline's breach (idempotent), booked to
    the month the deadline fell due — not the month of the worker pass that found it."""
    return _apply(
        complaint=deadline.complaint,
        judged=deadline.complaint,
        triggered=lambda trigger: trigger.breach == deadline.kind,
        cause=f"d{deadline.pk}",
        deadline=deadline,
        now=now,
        booked_at=deadline.due_at,
    )


def penalties_for_repeat(*, complaint, earlier, now: datetime) -> int:
    """Apply the repeat-complaint rules: judged against the department that handled the
    earlier complaint."""
    return _apply(
        complaint=complaint,
        judged=earlier,
        triggered=lambda trigger: trigger.repeat_complaint,
        cause=f"repeat{complaint.pk}",
        deadline=None,
        now=now,
        # The month the repeated complaint came in.
        booked_at=complaint.received_at,
    )


def penalties_for_action(*, complaint, action: str, given: dict, now: datetime) -> int:
    """Apply the rules triggered by performing ``action`` (a fault found, the result and
    the penalties reported): ``given`` is the action's data (``fine``, ``items``).
    Once per complaint, rule and person, however often the action is performed."""
    return _apply(
        complaint=complaint,
        judged=complaint,
        triggered=lambda trigger: trigger.action == action,
        cause=f"c{complaint.pk}:{action}",
        deadline=None,
        now=now,
        # The action itself is the event.
        booked_at=now,
        given=given,
    )


def penalty_contest(*, actor, entry: PenaltyEntry, reason: str) -> PenaltyEntry:
    """The person assessed disputes the entry; it stays in the ledger, marked contested."""
    if actor.pk != entry.person_id:
        raise NotAllowed(_("Only the person assessed may contest an entry."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why."), field_errors={"reason": [_("This field is required.")]})
    if entry.status != PenaltyStatus.ACTIVE:
        raise Conflict(_("Only an entry in force can be contested."))
    with transaction.atomic():
        PenaltyEntry.objects.filter(pk=entry.pk).update(
            status=PenaltyStatus.CONTESTED, contest_reason=reason[:2000]
        )
        audit_record(
            actor=actor,
            action="penalty.contested",
            object_type="penalty",
            object_id=str(entry.pk),
            complaint=entry.complaint,
            data={"reason": reason[:2000]},
        )
    entry.refresh_from_db()
    return entry


def penalty_waive(*, actor, entry: PenaltyEntry, reason: str) -> PenaltyEntry:
    """Leadership waives an entry with a reason; it is kept, never deleted."""
    if not actor.has_role("leadership"):
        raise NotAllowed(_("Only the leadership may waive a penalty."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why."), field_errors={"reason": [_("This field is required.")]})
    if entry.status == PenaltyStatus.WAIVED:
        raise Conflict(_("The entry is already waived."))
    with transaction.atomic():
        PenaltyEntry.objects.filter(pk=entry.pk).update(
            status=PenaltyStatus.WAIVED, waive_reason=reason[:2000], waived_by=actor
        )
        audit_record(
            actor=actor,
            action="penalty.waived",
            object_type="penalty",
            object_id=str(entry.pk),
            complaint=entry.complaint,
            data={"reason": reason[:2000]},
        )
    entry.refresh_from_db()
    return entry
