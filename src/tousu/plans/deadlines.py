"""The plan's deadline rules turned into deadline rows as a complaint moves.

A rule opens when its stage is entered (and its condition holds) and closes when the
complaint leaves that stage, or, for a rule with ``closes_on``, when one of those actions
is performed, wherever the complaint is then.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.dateparse import parse_datetime

from tousu.plans.definition import condition_holds, stage_of


def _rules(definition: dict) -> dict[str, tuple[str, dict]]:
    return {
        rule["key"]: (stage_key, rule)
        for stage_key, stage in definition["stages"].items()
        for rule in stage.get("deadlines", [])
    }


def _anchor(complaint, rule: dict, at: datetime) -> datetime:
    start = rule.get("from", "stage_entered")
    if start == "stage_entered":
        return at
    if start == "received":
        return complaint.received_at
    stamp = (complaint.workflow or {}).get("anchors", {}).get(start)
    return parse_datetime(stamp) if stamp else at


def _open_stage(complaint, definition: dict, stage_key: str, at: datetime) -> None:
    from tousu.deadlines.services import deadline_open

    for rule in stage_of(definition, stage_key).get("deadlines", []):
        if not condition_holds(rule.get("when"), complaint):
            continue
        warn = rule.get("warn") or {}
        deadline_open(
            complaint=complaint,
            stage=stage_key,
            kind=rule["key"],
            anchor_at=_anchor(complaint, rule, at),
            amount=Decimal(str(rule["amount"])),
            unit=rule["unit"],
            business_hours=definition.get("business_hours"),
            warn_fraction=Decimal(str(warn["fraction"])) if warn.get("fraction") else None,
        )


def on_start(*, complaint, definition: dict, at: datetime) -> None:
    _open_stage(complaint, definition, complaint.stage, at)


def on_transition(
    *, complaint, definition: dict, action_key: str, stage_before: str, at: datetime
) -> None:
    from tousu.deadlines.models import Deadline
    from tousu.deadlines.services import deadline_close

    rules = _rules(definition)
    moved = complaint.stage != stage_before
    for row in Deadline.objects.filter(complaint=complaint, closed_at__isnull=True):
        rule = rules.get(row.kind, (row.stage, {}))[1]
        closes_on = rule.get("closes_on")
        if closes_on:
            if action_key in closes_on:
                deadline_close(deadline=row, reason=action_key, at=at)
        elif moved and row.stage == stage_before:
            deadline_close(deadline=row, reason=action_key, at=at)
    if moved:
        _open_stage(complaint, definition, complaint.stage, at)
