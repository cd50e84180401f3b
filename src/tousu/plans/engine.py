"""The workflow engine: one engine runs every plan.

For a complaint under a plan revision it tells which actions a user may take now
(``actions_available``) and performs one (``action_perform``) only when its guards hold:
the action belongs to the current stage, its condition matches the complaint, the user
plays one of its roles, the data it requires is there, and its type's own rule holds
(an opinion is not approved by its proposer, money measures carry an amount, appeals stay
within the plan's rounds). Each transition is one transaction: the complaint's new stage
and status, the closed and opened deadline rows, and the timeline event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tousu.audit.services import audit_record
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.plans import deadlines as plan_deadlines
from tousu.plans.choices import ActionType, Satisfaction
from tousu.plans.definition import action_of, condition_holds, stage_of, user_plays

TIMELINE_ACTION = "complaint.action"
TEXT_LIMIT = 10_000
SATISFIED = {Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED}


@dataclass(frozen=True)
class AvailableAction:
    key: str
    type: str
    label: str
    requires: list[str]
    to: str | None
    measures: list[str] | None = None


def _definition(complaint) -> dict:
    if complaint.plan_revision_id is None:
        raise Conflict(
            _("This complaint is not handled under a plan."),
            field_errors={"action": [_("No plan.")]},
        )
    return complaint.plan_revision.definition


def actions_available(*, complaint, user) -> list[AvailableAction]:
    """What ``user`` may do with ``complaint`` now (an empty list when nothing)."""
    if complaint.plan_revision_id is None:
        return []
    definition = complaint.plan_revision.definition
    found = []
    for action in stage_of(definition, complaint.stage).get("actions", []):
        if not condition_holds(action.get("when"), complaint):
            continue
        if not any(user_plays(user, role, complaint, definition) for role in action["by"]):
            continue
        found.append(
            AvailableAction(
                key=action["key"],
                type=action["type"],
                label=action["label"],
                requires=list(action.get("requires", [])),
                to=action.get("to"),
                measures=action.get("measures"),
            )
        )
    return found


@dataclass
class _Outcome:
    """What an action changes: complaint fields, workflow state, the event's data."""

    to: str | None
    values: dict = field(default_factory=dict)
    event: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _text(outcome: _Outcome, data: dict, name: str, *, required: bool, limit=TEXT_LIMIT) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        outcome.error(name, _("This field is required."))
    elif len(value) > limit:
        outcome.error(
            name,
            _("At most %(limit)d characters (this has %(count)d).")
            % {"limit": limit, "count": len(value)},
        )
    if value:
        outcome.event[name] = value
    return value


def action_perform(
    *, complaint, actor, action: str, version: int, data: dict | None = None
) -> object:
    """Perform ``action`` on ``complaint`` as ``actor``; returns the updated complaint.

    Raises ``Conflict`` (409) when the action is not possible in the current stage or
    its guards fail, ``NotAllowed`` (403) when the actor plays none of its roles, and
    ``InvalidInput`` (422) naming each missing or bad field. Nothing changes then.
    """
    data = dict(data or {})
    definition = _definition(complaint)
    spec = action_of(definition, complaint.stage, action)
    stage = stage_of(definition, complaint.stage)
    if spec is None or not condition_holds(spec.get("when"), complaint):
        possible = ", ".join(a.key for a in actions_available(complaint=complaint, user=actor))
        possible = possible or "—"
        raise Conflict(
            _(
                "“%(action)s” is not possible while the complaint is in stage “%(stage)s” "
                "(possible here: %(possible)s)."
            )
            % {"action": action, "stage": stage["label"], "possible": possible},
            field_errors={"action": [_("Not possible in this stage.")]},
        )
    if not any(user_plays(actor, role, complaint, definition) for role in spec["by"]):
        raise NotAllowed(
            _("Your role may not “%(label)s” this complaint.") % {"label": spec["label"]}
        )
    outcome = _Outcome(to=spec.get("to"))
    _text(outcome, data, "note", required="note" in spec.get("requires", []), limit=2000)
    from tousu.plans import effects

    effects.apply(ActionType(spec["type"]), spec, definition, complaint, actor, data, outcome)
    if outcome.errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=outcome.errors)
    return _commit(complaint, actor, spec, definition, version, outcome)


def _commit(complaint, actor, spec, definition, version, outcome: _Outcome):
    from tousu.complaints.services import bump_version

    now = timezone.now()
    before = complaint.stage
    target = outcome.to or before
    state = dict(complaint.workflow or {})
    state.update(outcome.values.pop("workflow", {}))
    anchors = dict(state.get("anchors", {}))
    anchors[spec["key"]] = now.isoformat()
    if target != before:
        anchors["stage_entered"] = now.isoformat()
    state["anchors"] = anchors
    values = {**outcome.values, "workflow": state, "stage": target}
    values["status"] = stage_of(definition, target)["status"]
    with transaction.atomic():
        bump_version(complaint, version, **values)
        plan_deadlines.on_transition(
            complaint=complaint,
            definition=definition,
            action_key=spec["key"],
            action_type=spec["type"],
            stage_before=before,
            at=now,
        )
        if spec["type"] == ActionType.WAIT:
            plan_deadlines.clock_pause(complaint=complaint, at=now)
        elif spec["type"] == ActionType.RESUME:
            plan_deadlines.clock_resume(complaint=complaint, at=now)
        meeting = state.get("meeting") if spec["type"] == ActionType.CONVENE_MEETING else None
        if meeting:
            plan_deadlines.open_meeting(
                complaint=complaint, due_at=parse_datetime(meeting["due_at"]), at=now
            )
        _tell_complainant(complaint, spec, definition, before, target, outcome, now)
        audit_record(
            actor=actor,
            action=TIMELINE_ACTION,
            object_type="complaint",
            object_id=complaint.tracking_no,
            complaint=complaint,
            data={
                "action": spec["key"],
                "type": spec["type"],
                "label": spec["label"],
                "stage": [
                    stage_of(definition, before)["label"],
                    stage_of(definition, target)["label"],
                ]
                if target != before
                else None,
                **outcome.event,
            },
        )
    return complaint


def _tell_complainant(complaint, spec, definition, before, target, outcome, now) -> None:
    """Replies and closure reach the complainant by the contact they gave (outbox)."""
    from tousu.notifications.services import notify_complainant

    if spec["type"] == ActionType.REPLY:
        notify_complainant(
            complaint=complaint, event="reply", now=now, reply=outcome.event.get("reply", "")
        )
    if (
        target != before
        and stage_of(definition, target).get("terminal")
        and not stage_of(definition, before).get("terminal")
    ):
        notify_complainant(complaint=complaint, event="closed", now=now)


def workflow_start(*, complaint, revision, at: datetime) -> dict:
    """Values that put a new complaint at its plan's first stage (the caller saves them,
    then calls ``workflow_started`` inside the same transaction)."""
    definition = revision.definition
    first = definition["initial_stage"]
    return {
        "plan_revision": revision,
        "stage": first,
        "status": stage_of(definition, first)["status"],
        "workflow": {
            "anchors": {
                "received": complaint.received_at.isoformat(),
                "registered": at.isoformat(),
                "stage_entered": at.isoformat(),
            }
        },
    }


def workflow_started(*, complaint, at: datetime) -> None:
    plan_deadlines.on_start(
        complaint=complaint, definition=complaint.plan_revision.definition, at=at
    )


def parse_amount(outcome: _Outcome, data: dict, name: str, *, required: bool) -> Decimal | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            outcome.error(name, _("This field is required."))
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        outcome.error(name, _("Must be a number."))
        return None
    if not value.is_finite() or value <= 0 or value > Decimal("1000000000"):
        outcome.error(name, _("Must be a positive amount in yuan."))
        return None
    outcome.event[name] = str(value.quantize(Decimal("0.01")))
    return value


def parse_when(outcome: _Outcome, data: dict, name: str) -> datetime | None:
    raw = data.get(name)
    if raw in (None, ""):
        outcome.error(name, _("This field is required."))
        return None
    value = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
    if value is None:
        outcome.error(name, _("Not a date and time (ISO 8601)."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value <= timezone.now():
        outcome.error(name, _("Must be in the future."))
        return None
    outcome.event[name] = value.isoformat()
    return value
