"""The workflow engine: one engine runs every plan.

For a complaint under a plan revision it tells which actions a user may take now
(``actions_available``) and decides what one does (``decide``) only when its guards hold:
the action belongs to the current stage, its condition matches the complaint, the user
plays one of its roles, the data it requires is there, and its type's own rule holds
(an opinion is not approved by its proposer, money measures carry an amount, appeals stay
within the plan's rounds). The decision writes nothing; the complaint app applies it in
one transaction (``tousu.complaints.workflow``): the new stage and status, the closed and
opened deadline rows, the messages and the timeline event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.core.actors import Actor
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.plans import deadlines as plan_deadlines
from tousu.plans import effects
from tousu.plans.definition import Case, condition_holds, plan_for, user_plays
from tousu.plans.models import PlanRevision
from tousu.plans.outcome import Outcome, text_field
from tousu.plans.schema import Action, Plan

TIMELINE_ACTION = "complaint.action"


@dataclass(frozen=True)
class AvailableAction:
    key: str
    type: str
    label: str
    requires: list[str]
    to: str | None
    measures: list[str] | None = None


def _plan(complaint: Case) -> Plan:
    if complaint.plan_revision_id is None:
        raise Conflict(
            _("This complaint is not handled under a plan."),
            field_errors={"action": [_("No plan.")]},
        )
    return plan_for(complaint)


def actions_available(*, complaint: Case, user: Actor) -> list[AvailableAction]:
    """What ``user`` may do with ``complaint`` now (an empty list when nothing)."""
    if complaint.plan_revision_id is None:
        return []
    plan = plan_for(complaint)
    found = []
    for action in plan.stage(complaint.stage).actions:
        if not condition_holds(action.when, complaint):
            continue
        if not any(user_plays(user, role, complaint, plan) for role in action.by):
            continue
        found.append(
            AvailableAction(
                key=action.key,
                type=action.type.value,
                label=action.label,
                requires=list(action.requires),
                to=action.to,
                measures=None if action.measures is None else [m.value for m in action.measures],
            )
        )
    return found


@dataclass(frozen=True)
class Decision:
    """What performing an action does to a complaint, decided before anything is
    written: the action's spec, the stage before and after, the fields and workflow
    state to save, and the timeline event's data. The complaint app applies it."""

    spec: Action
    stage_before: str
    stage_after: str
    values: dict[str, Any]
    workflow: dict[str, Any]
    event: dict[str, Any]

    @property
    def moved(self) -> bool:
        return self.stage_after != self.stage_before


def _label_anywhere(plan: Plan, key: str) -> str:
    """The plan's label of action ``key`` in whichever stage has it (a request may name
    an action of another stage); the key itself only when the plan has no such action."""
    action = plan.action_anywhere(key)
    return action.label if action is not None else key


def decide(
    *,
    complaint: Case,
    actor: Actor,
    action: str,
    data: dict[str, Any] | None = None,
    category_of: Callable[[str], Any] = lambda key: None,
    now: datetime | None = None,
) -> Decision:
    """Decide what ``action`` by ``actor`` does to ``complaint``; writes nothing.

    Raises ``Conflict`` (409) when the action is not possible in the current stage or
    its guards fail, ``NotAllowed`` (403) when the actor plays none of its roles, and
    ``InvalidInput`` (422) naming each missing or bad field.
    """
    data = dict(data or {})
    plan = _plan(complaint)
    spec = plan.action(complaint.stage, action)
    stage = plan.stage(complaint.stage)
    if spec is None or not condition_holds(spec.when, complaint):
        possible = "、".join(a.label for a in actions_available(complaint=complaint, user=actor))
        raise Conflict(
            _(
                "“%(action)s” is not possible while the complaint is in stage “%(stage)s” "
                "(possible here: %(possible)s)."
            )
            % {
                "action": spec.label if spec else _label_anywhere(plan, action),
                "stage": stage.label,
                "possible": possible or "—",
            },
            field_errors={"action": [_("Not possible in this stage.")]},
        )
    if not any(user_plays(actor, role, complaint, plan) for role in spec.by):
        raise NotAllowed(_("Your role may not “%(label)s” this complaint.") % {"label": spec.label})
    outcome = Outcome(to=spec.to, category_of=category_of)
    text_field(outcome, data, "note", required="note" in spec.requires, limit=2000)
    effects.apply(spec.type, spec, plan, complaint, actor, data, outcome)
    if outcome.errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=outcome.errors)
    if outcome.values.get("nature") in plan.confidentiality.natures and not complaint.confidential:
        # e.g. 涉密: the nature makes the complaint confidential by itself.
        outcome.values["confidential"] = True
        outcome.event.setdefault("changes", {})["confidential"] = [False, True]
    now = now or timezone.now()
    before = complaint.stage
    target = outcome.to or before
    state = dict(complaint.workflow or {})
    state.update(outcome.values.pop("workflow", {}))
    anchors = dict(state.get("anchors", {}))
    anchors[spec.key] = now.isoformat()
    if target != before:
        anchors["stage_entered"] = now.isoformat()
    state["anchors"] = anchors
    if spec.concludes:
        # 终结: a later complaint on the same matter is not accepted again.
        state["concluded"] = True
    if spec.media and not getattr(complaint, "media_involved", False):
        outcome.values["media_involved"] = True
        outcome.event.setdefault("changes", {})["media_involved"] = [False, True]
    event = {
        "action": spec.key,
        "type": spec.type.value,
        "label": spec.label,
        "stage": [plan.stage(before).label, plan.stage(target).label] if target != before else None,
        **outcome.event,
    }
    return Decision(
        spec=spec,
        stage_before=before,
        stage_after=target,
        values={**outcome.values, "stage": target, "status": plan.stage(target).status},
        workflow=state,
        event=event,
    )


def workflow_start(*, complaint: Case, revision: PlanRevision, at: datetime) -> dict[str, Any]:
    """Values that put a new complaint at its plan's first stage (the caller saves them
    with the rows of ``workflow_deadlines``)."""
    plan = revision.plan_model
    first = plan.initial_stage
    return {
        "plan_revision": revision,
        "stage": first,
        "status": plan.stage(first).status,
        "workflow": {
            "anchors": {
                "received": complaint.received_at.isoformat(),
                "registered": at.isoformat(),
                "stage_entered": at.isoformat(),
            }
        },
    }


def workflow_deadlines(*, complaint: Case, at: datetime) -> list[Any]:
    """The deadline rows of a new complaint's first stage (``workflow_start``'s values
    set on it), not written: the caller writes them with the complaint and records them
    in the registration's event in its transaction. Reads nothing: the process's cached
    calendar."""
    from tousu.deadlines.selectors import work_calendar_cached
    from tousu.deadlines.services import deadlines_new

    plan = plan_for(complaint)
    factor = plan_deadlines.emergency_factor(complaint)
    terms: list[Any] = [
        {
            "stage": complaint.stage,
            "kind": rule.key,
            "anchor_at": plan_deadlines.rule_anchor(complaint, rule, at),
            # Under an emergency level the period is the level's share of the plan's.
            "amount": plan_deadlines.scaled(rule.amount, factor),
            "base_amount": rule.amount if factor != 1 else None,
            "unit": rule.unit.value,
            "business_hours": plan.business_hours,
            **plan_deadlines.warning_terms(rule.warn),
        }
        for rule in plan.stage(complaint.stage).deadlines
        if condition_holds(rule.when, complaint)
    ]
    return deadlines_new(complaint=complaint, terms=terms, calendar=work_calendar_cached())
