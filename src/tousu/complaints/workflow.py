"""The one writer of a complaint under a plan: it applies what the engine decided.

People act through ``complaint_act`` (a plan action by its key); the worker and other
system actors through ``complaint_escalate``. Each runs in one transaction: the
complaint's fields, stage and status (with its version bumped, so a stale form gets a
409), the closed and opened deadline rows, the participants, the messages to the
complainant and to whoever now has something to do, and the timeline event.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.choices import ROLES_SEEING_CONFIDENTIAL
from tousu.accounts.models import User
from tousu.accounts.selectors import department_subtree_ids
from tousu.assessment.penalties import penalties_for_action
from tousu.audit.inserts import objects_insert
from tousu.audit.services import audit_record
from tousu.complaints.choices import EventAction, ParticipantPart
from tousu.complaints.handoff import default_assignee, handoff_notify, people_with_actions
from tousu.complaints.hooks import complaint_happened
from tousu.complaints.models import Category, Complaint, Participant
from tousu.complaints.notify import staff_notify
from tousu.complaints.selectors import complaint_visible_by_rules
from tousu.complaints.versions import bump_version, bump_version_in_place, stale
from tousu.core.actors import WORKER
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.notifications.services import notify_complainant
from tousu.plans import deadlines as plan_deadlines
from tousu.plans import engine
from tousu.plans.choices import ActionType
from tousu.plans.definition import user_plays
from tousu.plans.engine import Decision
from tousu.plans.schema import Plan


def category_active(key: str) -> Category | None:
    return Category.objects.filter(key=key, is_active=True).first()


def complaint_act(
    *, complaint: Complaint, actor, action: str, version: int, data: dict | None = None
) -> Complaint:
    """Perform the plan action ``action`` on ``complaint`` as ``actor``.

    Raises ``Conflict`` (409), ``NotAllowed`` (403) or ``InvalidInput`` (422) as the
    engine decides (see ``engine.decide``); nothing changes then. Returns the complaint
    as saved.
    """
    if complaint.version != version:
        raise stale(complaint, version)
    now = timezone.now()
    decision = engine.decide(
        complaint=complaint,
        actor=actor,
        action=action,
        data=data,
        category_of=category_active,
        now=now,
    )
    if decision.spec.type in (ActionType.TRANSFER, ActionType.ASSIGN):
        _someone_takes_it_on(complaint, actor, decision)
    with transaction.atomic():
        decision_apply(
            complaint=complaint, actor=actor, decision=decision, version=version, now=now
        )
    return complaint


def _someone_takes_it_on(complaint: Complaint, actor, decision: Decision) -> None:
    """A hand-off must reach someone: a transfer needs someone in the receiving
    department (or the person named) who could see the case and act on it in its next
    stage; an assignment needs the assignee to have something to do there."""
    plan = complaint.plan
    if plan.stage(decision.stage_after).terminal:
        return
    after = copy.copy(complaint)
    for name, value in decision.values.items():
        setattr(after, name, value)
    after.workflow = decision.workflow
    participants = set(complaint.participants.values_list("user_id", flat=True))
    participants.add(actor.pk)
    if decision.spec.type == ActionType.TRANSFER:
        subtree = department_subtree_ids(after.department_id)
        candidates = [
            p
            for p in people_with_actions(after)
            if p.department_id in subtree or p.pk == after.assignee_id
        ]
    else:
        candidates = [p for p in people_with_actions(after) if p.pk == after.assignee_id]
    if any(complaint_visible_by_rules(p, after, participants) for p in candidates):
        return
    stage = plan.stage(decision.stage_after).label
    if decision.spec.type == ActionType.TRANSFER:
        message = _(
            "Nobody in %(department)s could see this complaint and act on it in stage "
            "“%(stage)s”: choose another department or a person who can."
        ) % {"department": after.department.name, "stage": stage}
        fields = {"department": [message], "assignee": [message]}
    else:
        message = _(
            "%(person)s has nothing to do in stage “%(stage)s” under the plan: choose "
            "someone who has."
        ) % {"person": after.assignee.display_name if after.assignee else "—", "stage": stage}
        fields = {"assignee": [message]}
    raise Conflict(message, field_errors=fields)


def writable_check(complaint: Complaint) -> None:
    """A case in a terminal stage is read-only but for the plan's own actions there
    (reopen, appeal, follow-up): no edits, transfers or attachments."""
    if complaint.plan_revision_id is None:
        return
    stage = complaint.plan.stage(complaint.stage)
    if stage.terminal:
        raise Conflict(
            _("The complaint is in stage “%(stage)s”: it can no longer be changed.")
            % {"stage": stage.label},
            field_errors={"stage": [_("Read-only in this stage.")]},
        )


def _plan_action(complaint: Complaint, actor, kind: str, fields: list[str]):
    """The first action of type ``kind`` the actor may take now that stays in the
    stage (a classify that moves, such as 转为恶意投诉, is taken by its own button);
    refuses, naming the plan's action, when there is none."""
    stage = complaint.plan.stage(complaint.stage)
    for action in engine.actions_available(complaint=complaint, user=actor):
        if action.type == kind and (
            kind != ActionType.CLASSIFY or action.to in (None, complaint.stage)
        ):
            return action
    named = [a.label for a in stage.actions if a.type == kind]
    if named:
        message = _(
            "Under the plan this is done by the action “%(action)s”, which you may not "
            "take in stage “%(stage)s”."
        ) % {"action": "、".join(named), "stage": stage.label}
    else:
        message = _(
            "The plan has no action for this in stage “%(stage)s”, so it cannot be done now."
        ) % {"stage": stage.label}
    raise Conflict(message, field_errors={name: [message] for name in fields})


def complaint_reclassify(
    *, complaint: Complaint, actor, version: int, changes: dict[str, str], note: str = ""
) -> None:
    """Severity, nature or category changed on the edit page or by PATCH: the plan's
    classify action of this stage, with its guards, deadlines and messages (inside the
    caller's transaction)."""
    action = _plan_action(complaint, actor, ActionType.CLASSIFY, sorted(changes))
    data = {**changes, "note": note} if note else dict(changes)
    complaint_act(complaint=complaint, actor=actor, action=action.key, version=version, data=data)


def complaint_transfer(
    *, complaint: Complaint, actor, version: int, department: str, assignee: str, note: str
) -> None:
    """A move to another department under a plan is the plan's transfer action (with the
    note as its slip); a plan without one here refuses."""
    action = _plan_action(complaint, actor, ActionType.TRANSFER, ["department"])
    data = {"department": department, "slip": note, "assignee": assignee}
    complaint_act(complaint=complaint, actor=actor, action=action.key, version=version, data=data)


def complaint_assign_by_plan(*, complaint: Complaint, actor, version: int, assignee: str) -> bool:
    """The plan's assign action when the stage has one for the actor; False when it has
    none (a plain assignment inside the department then stands)."""
    for action in engine.actions_available(complaint=complaint, user=actor):
        if action.type == ActionType.ASSIGN:
            complaint_act(
                complaint=complaint,
                actor=actor,
                action=action.key,
                version=version,
                data={"assignee": assignee},
            )
            return True
    return False


def decision_apply(
    *, complaint: Complaint, actor, decision: Decision, version: int, now: datetime
) -> None:
    """Write ``decision`` (inside the caller's transaction)."""
    plan = complaint.plan
    spec = decision.spec
    before_assignee = complaint.assignee_id
    bump_version(complaint, version, workflow=decision.workflow, **decision.values)
    plan_deadlines.on_transition(
        complaint=complaint,
        plan=plan,
        action_key=spec.key,
        action_type=spec.type,
        stage_before=decision.stage_before,
        at=now,
    )
    extra: dict[str, Any] = {}
    if spec.type == ActionType.WAIT:
        plan_deadlines.clock_pause(complaint=complaint, at=now, kinds=spec.pauses)
    elif spec.type == ActionType.RESUME:
        plan_deadlines.clock_resume(complaint=complaint, at=now)
    elif spec.type == ActionType.EXTEND:
        # The engine refused an extend action that extends nothing.
        assert spec.extends is not None
        row = plan_deadlines.deadline_extend(
            complaint=complaint, extension=spec.extends, at=now, actor=actor
        )
        extra["due_at"] = row.due_at
    meeting = decision.workflow.get("meeting") if spec.type == ActionType.CONVENE_MEETING else None
    if meeting:
        plan_deadlines.open_meeting(
            complaint=complaint, due_at=datetime.fromisoformat(meeting["due_at"]), at=now
        )
    if getattr(actor, "pk", None):
        participant_add(complaint=complaint, user=actor, part=ParticipantPart.ACTED, now=now)
    meeting_owner = _meeting_owner(complaint, meeting)
    if meeting_owner is not None:
        # The meeting's owner answers for its time limit: they see the case and are told.
        participant_add(
            complaint=complaint, user=meeting_owner, part=ParticipantPart.CO_OWNER, now=now
        )
    event = dict(decision.event)
    # A case that moved on and has nobody holding it goes to its one possible handler.
    taken_by = default_assignee(complaint) if decision.moved else None
    if taken_by is not None:
        event["assignee"] = taken_by.display_name
    if "due_at" in extra:
        event["due_at"] = extra["due_at"].isoformat()
    _tell_complainant(complaint, decision, plan, now, **extra)
    audit_record(
        actor=actor,
        action=EventAction.ACTION,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data=event,
    )
    # Rules this action triggers (a fault found, the result and penalties reported).
    penalties_for_action(complaint=complaint, action=spec.key, given=event, now=now)
    # The emergency response weighs its triggers (a raised severity, media, a request to
    # activate the plan).
    complaint_happened(complaint=complaint, what="changed", actor=actor, now=now)
    handoff_notify(
        complaint=complaint,
        actor=actor,
        cause=f"action:{complaint.pk}:v{complaint.version}",
        event=handoff_event(decision, plan),
        moved=decision.moved or spec.type == ActionType.CONVENE_MEETING,
        assignee_changed=complaint.assignee_id != before_assignee,
        also=[meeting_owner] if meeting_owner else [],
        now=now,
    )


def _meeting_owner(complaint: Complaint, meeting: dict | None):
    """The person a convened meeting names as its owner: told, and bound by its limit."""
    if not meeting:
        return None
    return User.objects.filter(pk=meeting["owner"], is_active=True).first()


def participant_add(*, complaint: Complaint, user, part: str, now: datetime) -> bool:
    """Keep ``user`` as one of the case's participants (idempotent, one statement: a
    concurrent writer's row is left as it is); True when new."""
    row = Participant(complaint=complaint, user=user, part=part, since=now)
    return objects_insert([row], ignore_conflicts=True) == 1


# Which message each action type sends the complainant: the plan's text, or Tousu's own
# (so a petitioner always gets the acceptance and transfer notices). An appeal's notice
# is ``appeal_received`` or, in plans that call it so, ``review`` (复查/复核).
COMPLAINANT_MESSAGES = {
    ActionType.ACCEPT: ("accepted",),
    ActionType.REFUSE: ("refused",),
    ActionType.TRANSFER: ("transferred",),
    ActionType.APPEAL: ("appeal_received", "review"),
    ActionType.EXTEND: ("extended",),
}
# The staff text of a hand-off, where the plan writes one for the action's type.
STAFF_MESSAGES = {
    ActionType.TRANSFER: ("transfer", "dispatch"),
    ActionType.CONVENE_MEETING: ("meeting",),
}


def _planned(plan: Plan, names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in plan.messages), None)


def handoff_event(decision: Decision, plan: Plan) -> str:
    """The message the people who now have an action get."""
    names = STAFF_MESSAGES.get(decision.spec.type, ())
    return _planned(plan, names) or "handoff"


def _tell_complainant(
    complaint: Complaint, decision: Decision, plan: Plan, now: datetime, **more: Any
) -> None:
    """Replies, acceptance, refusal (with the reason), transfer, extension (with the
    reason and the new date), appeal receipt and closure reach the complainant by the
    contact they gave (outbox)."""
    kind = decision.spec.type
    extra: dict[str, Any] = {
        name: decision.event[name] for name in ("reply", "reason") if name in decision.event
    }
    extra.update(more)
    if kind == ActionType.REPLY:
        notify_complainant(complaint=complaint, event="reply", now=now, **extra)
    names = COMPLAINANT_MESSAGES.get(kind)
    if names:
        event = _planned(plan, names) or names[0]
        notify_complainant(complaint=complaint, event=event, now=now, **extra)
    if (
        decision.moved
        and plan.stage(decision.stage_after).terminal
        and not plan.stage(decision.stage_before).terminal
    ):
        notify_complainant(complaint=complaint, event="closed", now=now)


def complaint_escalate(
    *,
    complaint: Complaint,
    key: str,
    event: str,
    label: str,
    data: dict[str, Any],
    notify: list,
    severity: str | None = None,
    stage: str | None = None,
    co_owners: list | None = None,
    now: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """A system transition (the worker's escalation of a deadline): raise the severity
    and enter the path the plan names (``stage``), its deadlines re-evaluated as for any
    transition; add co-owners (督办人, a group lead) beside the department — which keeps
    the case, its actions and its accountability — and tell ``notify`` (message
    ``event``), the new co-owners and, on a new path, whoever now has an action, through
    the gate. Inside the caller's transaction; one timeline event says what changed and
    who was told."""
    changes: dict[str, list] = {}
    before = complaint.stage
    plan = complaint.plan
    values: dict[str, Any] = {}
    if severity and severity != complaint.severity:
        changes["severity"] = [complaint.severity, severity]
        values["severity"] = severity
    if stage and stage != before:
        changes["stage"] = [plan.stage(before).label, plan.stage(stage).label]
        state = dict(complaint.workflow or {})
        state["anchors"] = {**state.get("anchors", {}), "stage_entered": now.isoformat()}
        values.update(stage=stage, status=plan.stage(stage).status, workflow=state)
    if values:
        bump_version_in_place(complaint, **values)
        plan_deadlines.on_transition(
            complaint=complaint,
            plan=plan,
            action_key="escalation",
            action_type="escalate",
            stage_before=before,
            at=now,
        )
    added = [
        person
        for person in co_owners or []
        if participant_add(complaint=complaint, user=person, part=ParticipantPart.CO_OWNER, now=now)
    ]
    if added:
        changes["co_owners"] = [[], [p.display_name for p in added]]
        if not values:
            # Others' open forms are stale now: they get a 409 naming the escalation.
            bump_version_in_place(complaint)
    told = staff_notify(users=notify, key=key, complaint=complaint, event=event, now=now, **extra)
    seen = {p.pk for p in told}
    told += staff_notify(
        users=[p for p in added if p.pk not in seen],
        key=f"{key}:co_owner",
        complaint=complaint,
        event="co_owner",
        now=now,
        **extra,
    )
    if "stage" in changes:
        seen |= {p.pk for p in told}
        told += [
            p
            for p in handoff_notify(
                complaint=complaint,
                actor=WORKER,
                cause=f"{key}:path",
                moved=True,
                assignee_changed=False,
                now=now,
            )
            if p.pk not in seen
        ]
    if values:
        # A raised severity is weighed by the plan's emergency triggers like any change.
        complaint_happened(complaint=complaint, what="changed", actor=WORKER, now=now)
    audit_record(
        actor=WORKER,
        action=EventAction.ESCALATED,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={
            "deadline": label,
            **data,
            "notified": [p.display_name for p in told],
            "changes": changes,
        },
    )
    return {"notified": told, "changes": changes}


def confidentiality_may_set(*, complaint: Complaint, actor) -> bool:
    """Leadership, and the roles the plan names (``confidentiality.by``)."""
    if actor.has_role(*ROLES_SEEING_CONFIDENTIAL):
        return True
    if complaint.plan_revision_id is None:
        return False
    plan = complaint.plan
    return any(user_plays(actor, role, complaint, plan) for role in plan.confidentiality.by)


def complaint_confidentiality_set(
    *, complaint: Complaint, actor, version: int, confidential: bool, reason: str
) -> Complaint:
    """Set or clear the confidential flag (保密) — an action of its own, guarded by role
    and plan, with its reason on the timeline; never a field of an edit."""
    if not confidentiality_may_set(complaint=complaint, actor=actor):
        raise NotAllowed(_("Your role may not set or clear the confidentiality of a complaint."))
    writable_check(complaint)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why.")]
    elif len(reason) > 500:
        errors["reason"] = [
            _("At most %(limit)d characters (this has %(count)d).")
            % {"limit": 500, "count": len(reason)}
        ]
    if bool(confidential) == complaint.confidential:
        errors["confidential"] = [_("Nothing to change.")]
    if errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors)
    if complaint.version != version:
        raise stale(complaint, version)
    with transaction.atomic():
        before = complaint.confidential
        bump_version(complaint, version, confidential=bool(confidential))
        participant_add(
            complaint=complaint, user=actor, part=ParticipantPart.ACTED, now=timezone.now()
        )
        audit_record(
            actor=actor,
            action=EventAction.CONFIDENTIALITY,
            object_type="complaint",
            object_id=complaint.tracking_no,
            complaint=complaint,
            data={"changes": {"confidential": [before, bool(confidential)]}, "reason": reason},
        )
    return complaint


def complaint_emergency_set(
    *,
    complaint: Complaint,
    incident: str,
    level: str,
    level_label: str,
    factor: Decimal,
    actor,
    now: datetime,
) -> list[dict]:
    """Put the complaint under emergency ``incident`` at response ``level`` (blank: the
    response ended): its running deadlines, and those it opens later, run for the level's
    ``factor`` of the plan's period. Inside the caller's transaction; the timeline shows
    which deadline moved where. Returns those moves."""
    state = dict(complaint.workflow or {})
    before = state.get("emergency") or {}
    if level:
        state["emergency"] = {"incident": incident, "level": level, "factor": str(factor)}
    else:
        state.pop("emergency", None)
    if before == state.get("emergency"):
        return []
    bump_version_in_place(complaint, workflow=state)
    moved = plan_deadlines.deadlines_scale(
        complaint=complaint, plan=complaint.plan, factor=factor if level else Decimal(1)
    )
    audit_record(
        actor=actor,
        action=EventAction.EMERGENCY,
        object_type="complaint",
        object_id=complaint.tracking_no,
        complaint=complaint,
        data={
            "incident": incident,
            "level": level_label if level else _("response ended"),
            "scaled": moved,
        },
    )
    return moved
