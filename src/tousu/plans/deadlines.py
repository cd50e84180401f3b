"""The plan's deadline rules turned into deadline rows as a complaint moves.

A rule opens when its stage is entered (and its condition holds) and closes when the
complaint leaves that stage, or, for a rule with ``closes_on``, when one of those actions
is performed, wherever the complaint is then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from tousu.core.actors import Actor
from tousu.plans.definition import Case, condition_holds
from tousu.plans.schema import DeadlineRule, Extension, Plan, WarnAt

if TYPE_CHECKING:
    from tousu.deadlines.models import Deadline


def rule_anchor(complaint: Case, rule: DeadlineRule, at: datetime) -> datetime:
    start = rule.start
    if start == "stage_entered":
        return at
    if start == "received":
        return complaint.received_at
    stamp = (complaint.workflow or {}).get("anchors", {}).get(start)
    if not stamp:
        return at
    anchor = parse_datetime(stamp)
    if anchor is None:  # the engine writes anchors with isoformat()
        raise ValueError(f"anchor {start!r} is not an ISO date and time: {stamp!r}")
    return anchor


def _open_stage(complaint: Case, plan: Plan, stage_key: str, at: datetime) -> None:
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_open

    entered = parse_datetime((complaint.workflow or {}).get("anchors", {}).get("stage_entered", ""))
    # Skip a rule still running (e.g. one that closes on an action, when its stage is
    # entered again after a send-back) and one already opened during this visit of the
    # stage (it closed on an action that left the complaint here). A row of this visit was
    # written after the entry and closed after it: the second test keeps a worker that
    # runs on an earlier ``--now`` from taking a past visit's rows for this one.
    since = entered or at
    skipped = Deadline.objects.filter(complaint_id=complaint.pk).filter(
        Q(closed_at__isnull=True) | Q(stage=stage_key, created_at__gte=since, closed_at__gte=since)
    )
    skip = set(skipped.values_list("kind", flat=True))
    factor = emergency_factor(complaint)
    for rule in plan.stage(stage_key).deadlines:
        if rule.key in skip or not condition_holds(rule.when, complaint):
            continue
        # Under an emergency level the period is the level's share of the plan's.
        row = deadline_open(
            complaint=complaint,
            stage=stage_key,
            kind=rule.key,
            anchor_at=rule_anchor(complaint, rule, at),
            amount=scaled(rule.amount, factor),
            unit=rule.unit.value,
            business_hours=plan.business_hours,
            **warning_terms(rule.warn),
        )
        if factor != 1:
            row.base_amount = rule.amount
            row.save(update_fields=["base_amount"])


def emergency_factor(complaint: Case) -> Decimal:
    """The deadline factor of the emergency level the complaint is under (1: none)."""
    state = (complaint.workflow or {}).get("emergency") or {}
    return Decimal(state.get("factor", "1"))


def scaled(amount: Decimal, factor: Decimal) -> Decimal:
    """``factor`` of a period of ``amount`` units, rounded up to a whole unit (a
    working-day period to whole working days); a period under one unit is scaled as is."""
    if factor == 1:
        return amount
    share = amount * factor
    return share.to_integral_value(rounding=ROUND_CEILING) if amount >= 1 else share


def deadlines_scale(
    *, complaint: Case, plan: Plan, factor: Decimal, actor: Actor | None = None
) -> list[dict[str, Any]]:
    """Scale the complaint's running deadlines to ``factor`` of the plan's period, counted
    from each one's start (a level change recomputes from the start with the new factor;
    1 restores the plan's period). A row whose new due time has passed is left for the
    worker, which breaches it on its next pass. Returns what moved, for the timeline."""
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_recompute

    moved = []
    # Rows the complaint's registration opened in this transaction and holds for its
    # answer are changed in place, so that the answer shows where they moved. While it
    # registers they are all the rows it has, and nobody else sees them yet: none is
    # read back or locked.
    opened: list[Deadline] = getattr(complaint, "deadlines_opened", [])
    running: list[Deadline]
    if getattr(complaint, "registering", False):
        running = sorted(
            (r for r in opened if r.closed_at is None and r.kind != FOLLOW_UP),
            key=lambda r: r.pk,
        )
    else:
        held = {row.pk: row for row in opened}
        rows = Deadline.objects.select_for_update().filter(
            complaint_id=complaint.pk, closed_at__isnull=True
        )
        running = [held.get(f.pk, f) for f in rows.exclude(kind=FOLLOW_UP).order_by("pk")]
    for row in running:
        base = row.base_amount if row.base_amount is not None else row.amount
        amount = scaled(base, factor)
        if amount == row.amount:
            continue
        before = row.due_at
        row.complaint = complaint  # type: ignore[assignment]  # the case in hand, not re-read
        row.amount, row.base_amount = amount, (None if factor == 1 else base)
        deadline_recompute(row, actor=actor, changed=("amount", "base_amount"))
        rule = plan.deadline_rule(row.kind)
        moved.append(
            {
                "deadline": rule.label if rule else row.kind,
                "amount": [str(base), str(amount)],
                "due_at": [before.isoformat(), row.due_at.isoformat()],
            }
        )
    return moved


class WarningTerms(TypedDict, total=False):
    warn_fraction: Decimal | None
    warn_lead: timedelta


def warning_terms(warn: WarnAt | None) -> WarningTerms:
    """The warning point: the plan's fraction or lead, else the default fraction."""
    if warn is None:
        return {}
    if warn.fraction:
        return {"warn_fraction": warn.fraction}
    before = warn.before
    if before is None:  # validation requires a fraction or a lead
        raise ValueError("a warning gives neither fraction nor before")
    hours = before.amount * (24 if before.unit == "days" else 1)
    return {"warn_fraction": None, "warn_lead": timedelta(hours=float(hours))}


FOLLOW_UP = "follow_up"


def clock_pause(*, complaint: Case, at: datetime, kinds: list[str] | None = None) -> None:
    """Stop the running deadlines of the complaint: all of them (waiting for the
    complainant), or only ``kinds`` (a hearing not counted in the review period)."""
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_pause

    rows = Deadline.objects.filter(
        complaint_id=complaint.pk, closed_at__isnull=True, paused_at__isnull=True
    )
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    for row in rows:
        deadline_pause(deadline=row, at=at)


def deadline_extend(
    *, complaint: Case, extension: Extension, at: datetime, actor: Actor | None = None
) -> Deadline:
    """Let the running deadline ``extension.deadline`` fall due ``amount`` ``unit``
    later (信访工作条例: the 60 days extended by at most 30). The extension counts in the
    rule's own unit; a row already warned is warned again before its new due time.
    Returns the row, or raises ``Conflict`` when no such deadline is running."""
    from django.utils.translation import gettext as _

    from tousu.core.problems import Conflict
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_recompute

    row = (
        Deadline.objects.select_for_update()
        .filter(complaint_id=complaint.pk, kind=extension.deadline, closed_at__isnull=True)
        .first()
    )
    if row is None:
        raise Conflict(
            _("The time limit to extend is not running."),
            field_errors={"action": [_("Nothing to extend.")]},
        )
    if row.unit != extension.unit:
        raise Conflict(
            _("The extension is counted in another unit than the time limit."),
            field_errors={"action": [_("Nothing to extend.")]},
        )
    row.amount = row.amount + extension.amount
    row.save(update_fields=["amount"])
    deadline_recompute(row, actor=actor)
    if row.warned_at is not None and row.warn_at is not None and row.warn_at > at:
        row.warned_at = None
        row.save(update_fields=["warned_at"])
    return row


def clock_resume(*, complaint: Case, at: datetime) -> None:
    """Restart them; each due time moves by the time the pause did not count."""
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_resume

    for row in Deadline.objects.filter(
        complaint_id=complaint.pk, closed_at__isnull=True, paused_at__isnull=False
    ):
        deadline_resume(deadline=row, at=at)


def on_transition(
    *,
    complaint: Case,
    plan: Plan,
    action_key: str,
    action_type: str,
    stage_before: str,
    at: datetime,
) -> None:
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_close, deadline_open

    rules = plan.deadline_rules()
    moved = complaint.stage != stage_before
    terminal = plan.stage(complaint.stage).terminal
    for row in Deadline.objects.filter(complaint_id=complaint.pk, closed_at__isnull=True):
        if row.kind == FOLLOW_UP:
            if action_type == "record_follow_up" or (moved and not terminal):
                deadline_close(deadline=row, reason=action_key, at=at)
            continue
        if terminal:
            # A closed case has nothing left to be late for.
            deadline_close(deadline=row, reason=action_key, at=at)
            continue
        found = rules.get(row.kind)
        rule = found[1] if found else None
        if rule is not None and not condition_holds(rule.when, complaint):
            # e.g. reclassified from suggestion to problem: the suggestion's clock stops.
            deadline_close(deadline=row, reason=action_key, at=at)
            continue
        closes_on = rule.closes_on if rule is not None else None
        if closes_on:
            if action_key in closes_on:
                deadline_close(deadline=row, reason=action_key, at=at)
        elif moved and row.stage == stage_before:
            deadline_close(deadline=row, reason=action_key, at=at)
    # Also when the stage stays: an action may have changed what a rule's condition
    # sees (e.g. classify raised the severity), and rules already running are skipped.
    _open_stage(complaint, plan, complaint.stage, at)
    policy = plan.follow_up
    withdrawn = action_type == "withdraw"  # nobody visits a complaint taken back
    if moved and terminal and policy and not withdrawn and not plan.stage(stage_before).terminal:
        deadline_open(
            complaint=complaint,
            stage=complaint.stage,
            kind=FOLLOW_UP,
            anchor_at=at,
            amount=policy.after.amount,
            unit=policy.after.unit.value,
            business_hours=plan.business_hours,
            warn_fraction=None,
        )


MEETING = "meeting"


def open_meeting(*, complaint: Case, due_at: datetime, at: datetime) -> None:
    """The time limit of a convened meeting (重大投诉: named owner and time limit)."""
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_close, deadline_open

    for row in Deadline.objects.filter(
        complaint_id=complaint.pk, kind=MEETING, closed_at__isnull=True
    ):
        deadline_close(deadline=row, reason="meeting reconvened", at=at)
    hours = (Decimal((due_at - at).total_seconds()) / Decimal(3600)).quantize(
        Decimal("0.0001"), rounding=ROUND_CEILING
    )
    # Amounts keep 4 decimals of an hour; anchoring a hair earlier than now makes the
    # row fall due exactly at the time the meeting was given.
    deadline_open(
        complaint=complaint,
        stage=complaint.stage,
        kind=MEETING,
        anchor_at=due_at - timedelta(seconds=float(hours * 3600)),
        amount=hours,
        unit="hours",
    )
