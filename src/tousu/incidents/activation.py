"""Opening an emergency response and setting its level.

An incident opens three ways — a person with the right role activates the plan (from a
complaint, or from an event report with no complaint), a plan trigger fires, or a
supervisor escalates — and always through ``incident_open``. Activation resolves the
command structure, creates the level's tasks and reports upward as deadlines the worker
watches, starts the situation-report clock, scales the linked complaints' deadlines by
the level's factor and tells everyone in the structure at once through the outbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.choices import Role
from tousu.accounts.models import User
from tousu.audit.bulk import audit_chain_new
from tousu.audit.inserts import objects_insert
from tousu.audit.services import audit_record
from tousu.complaints.models import Complaint
from tousu.complaints.workflow import complaint_emergency_set
from tousu.core.actors import Actor
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.deadlines.selectors import work_calendar_cached
from tousu.deadlines.services import DeadlineTerms, deadlines_open_new
from tousu.incidents.choices import IncidentStatus, ResponderPart
from tousu.incidents.command import command_structure, is_commander, role_people
from tousu.incidents.models import Incident, IncidentComplaint, Responder, Task, UpwardReport
from tousu.incidents.notify import incident_notify
from tousu.plans.definition import condition_holds
from tousu.plans.models import Category, PlanRevision
from tousu.plans.schema import Condition, Plan

STAGE = "emergency"
# Who may escalate any complaint into the plan's emergency response besides its own roles.
ESCALATING = (Role.SUPERVISOR, Role.LEADERSHIP)


@dataclass(frozen=True)
class EventCase:
    """What a plan condition reads of an event report (no complaint)."""

    category: Category | None
    severity: str
    amount_involved: Decimal | None = None
    people_injured: int = 0
    nature: str = ""
    channel: str = ""


def case_of(incident: Incident) -> Any:
    """What the plan's conditions are weighed against: the first linked complaint, or
    the event as reported."""
    first = incident.first_complaint()
    if first is not None:
        return first
    return EventCase(
        category=incident.category,
        severity=incident.severity,
        amount_involved=incident.amount_involved,
        people_injured=incident.people_injured,
    )


def holds(condition: Condition | None, case: Any) -> bool:
    if condition is None:
        return True
    if isinstance(case, EventCase) and case.category is None and condition.category:
        return False
    return condition_holds(condition, case)


def level_label(plan: Plan, key: str) -> str:
    level = plan.emergency.level(key) if plan.emergency else None
    return f"{level.key} {level.label}" if level else key


def may_activate(plan: Plan, user, case: Any = None) -> bool:
    """Whether ``user`` may activate the plan (its ``activated_by`` roles; the command
    group's lead and deputies when it names none) or escalate into it (a supervisor)."""
    if not getattr(user, "pk", None) or plan.emergency is None:
        return False
    if user.has_role(*ESCALATING):
        return True
    emergency = plan.emergency
    group = plan.groups[emergency.command_group]
    roles = emergency.activated_by or [r for r in [group.lead, *group.deputies] if r]
    staff: dict = {}
    return any(user.pk in {p.pk for p in role_people(plan, r, case, staff)} for r in roles)


def _level_checked(plan: Plan, level: str) -> Any:
    found = plan.emergency.level(level) if plan.emergency else None
    if found is None:
        message = _("The plan has no response level “%(level)s”.") % {"level": level}
        raise InvalidInput(message, field_errors={"level": [message]})
    return found


def _number(incident: Incident) -> str:
    return f"YJ{timezone.localtime(incident.opened_at):%Y%m%d}{incident.pk:05d}"


def incident_open(
    *,
    revision: PlanRevision,
    title: str,
    level: str,
    source: str,
    actor: Actor | None,
    now: datetime,
    complaints: list[Complaint] = (),  # type: ignore[assignment]
    trigger: str = "",
    reason: str = "",
    description: str = "",
    category: Category | None = None,
    severity: str = "",
    amount_involved: Decimal | None = None,
    people_injured: int = 0,
    group_key: str = "",
    activate: bool = True,
) -> Incident:
    """Open an incident under ``revision``'s emergency part at ``level``; activate it at
    once unless ``activate`` is false (an event report awaiting the relay). Inside a
    transaction of its own (or the caller's)."""
    plan = revision.plan_model
    if plan.emergency is None:
        raise Conflict(_("This plan has no emergency part."), field_errors={"plan": []})
    _level_checked(plan, level)
    title = (title or "").strip()[:200]
    if not title:
        raise InvalidInput(_("Give a title."), field_errors={"title": [_("Give a title.")]})
    # No savepoint of its own: a failure fails the caller's transaction (or savepoint).
    with transaction.atomic(savepoint=False):
        incident = Incident.objects.create(
            # A placeholder until the pk is known; it fits the 32-character column
            # (a timestamp with microseconds and an id() did not, on PostgreSQL).
            number=f"tmp-{uuid.uuid4().hex}"[:32],
            title=title,
            description=description,
            plan_revision=revision,
            level=level,
            # Activated at once: written so (``_activate`` does not update it again).
            status=IncidentStatus.ACTIVATED if activate else IncidentStatus.REPORTED,
            activated_at=now if activate else None,
            source=source,
            trigger=trigger,
            category=category,
            severity=severity,
            amount_involved=amount_involved,
            people_injured=people_injured,
            group_key=group_key,
            opened_by=actor if isinstance(actor, User) else None,
            opened_at=now,
        )
        # The incident's events: its chain, written in one statement when it is done.
        with audit_chain_new(incident_id=incident.pk):
            incident.number = _number(incident)
            incident.save(update_fields=["number"])
            IncidentComplaint.objects.bulk_create(
                IncidentComplaint(
                    incident=incident, complaint=complaint, reason=reason or trigger, linked_at=now
                )
                for complaint in complaints
            )
            # The complaints and the people are in hand: a new incident is not read back.
            first = min(complaints, key=lambda c: (c.received_at, c.pk), default=None)
            incident._first_complaint = first
            case = first if first is not None else case_of(incident)
            structure = command_structure(plan, case)
            responders = Responder.objects.bulk_create(
                Responder(incident=incident, user=user, group=group, part=part, position=i)
                for i, (user, group, part) in enumerate(structure)
            )
            audit_record(
                actor=actor,
                action="incident.opened",
                object_type="incident",
                object_id=incident.number,
                incident=incident,
                data={
                    "source": source,
                    "trigger": trigger,
                    "reason": reason,
                    "level": level_label(plan, level),
                    "complaints": [c.tracking_no for c in complaints],
                    "responders": list(dict.fromkeys(u.display_name for u, _g, _p in structure)),
                },
            )
            if activate:
                media = incident.trigger in _media_triggers(plan) or any(
                    c.media_involved for c in complaints
                )
                _activate(
                    incident,
                    plan,
                    actor=actor,
                    now=now,
                    linked=list(complaints),
                    new=_New(case=case, media=media, responders=responders),
                )
    return incident


@dataclass(frozen=True)
class _New:
    """What the opening of an incident holds in hand, for its activation in the same
    transaction: the case its conditions are weighed against, whether the media is
    involved, and its people (who have no tasks, reports or improvement actions yet)."""

    case: Any
    media: bool
    responders: list[Responder]


def _activate(
    incident: Incident,
    plan: Plan,
    *,
    actor: Actor | None,
    now: datetime,
    linked: list[Complaint] | None = None,
    new: _New | None = None,
) -> None:
    """``linked``: the incident's complaints when the caller has them in hand (they are
    changed in place, so a caller holding them keeps their versions); ``new``: what the
    incident's opening holds, when it is opened and activated at once."""
    if new is None:  # an incident opened and activated at once is written activated
        Incident.objects.filter(pk=incident.pk).update(
            status=IncidentStatus.ACTIVATED, activated_at=now
        )
    incident.status, incident.activated_at = IncidentStatus.ACTIVATED, now
    level_work(incident, plan, now=now, new=new, situation=True)
    if linked is None:
        linked = [link.complaint for link in incident.links.select_related("complaint")]
    for complaint in linked:
        _scale(incident, plan, complaint, actor=actor, now=now)
    if new is not None:
        responders = [r.user for r in new.responders]
        ids: set[int] | None = {r.user_id for r in new.responders}
    else:
        responders, ids = [r.user for r in incident.responders.select_related("user")], None
    incident_notify(
        users=responders,
        key=f"incident:{incident.pk}:activated",
        incident=incident,
        event="emergency",
        now=now,
        responders=ids,
    )
    audit_record(
        actor=actor,
        action="incident.activated",
        object_type="incident",
        object_id=incident.number,
        incident=incident,
        data={
            "level": level_label(plan, incident.level),
            "notified": list(dict.fromkeys(u.display_name for u in responders)),
        },
    )


def incident_activate(*, incident: Incident, actor: Actor, level: str = "", now=None) -> Incident:
    """Activate a reported event (the relay's last step: the command group decides)."""
    now = now or timezone.now()
    plan = incident.plan
    if not may_activate(plan, actor, case_of(incident)):
        raise NotAllowed(_("Only the command group activates the emergency plan."))
    with transaction.atomic():
        locked = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
        if locked.status != IncidentStatus.REPORTED:
            raise Conflict(_("This incident is already activated."), field_errors={"status": []})
        if level:
            _level_checked(plan, level)
            locked.level = level
            locked.save(update_fields=["level"])
        _activate(locked, plan, actor=actor, now=now)
    incident.refresh_from_db()
    return incident


def level_work(
    incident: Incident,
    plan: Plan,
    *,
    now: datetime,
    new: _New | None = None,
    situation: bool = False,
) -> list[Task]:
    """Create what the plan asks at the incident's level and has not been created yet:
    the working groups' tasks and the reports upward, each a deadline the worker chases.
    ``new``: the incident was opened in this transaction, with these (it has no tasks
    or reports yet); ``situation``: the activation's, which also opens the deadline of
    the first situation report (``situation_clock``) in the same statement."""
    emergency = plan.emergency
    assert emergency is not None
    case = new.case if new else case_of(incident)
    media = new.media if new else media_involved(incident)
    have = set() if new else set(incident.tasks.values_list("key", flat=True))
    tasks: list[Task] = []
    terms: list[DeadlineTerms] = []
    responders: list[Responder] | None = None
    if new is not None:
        responders = sorted(new.responders, key=lambda r: (r.position, r.pk))
    for spec in emergency.tasks:
        if spec.key in have or (spec.levels is not None and incident.level not in spec.levels):
            continue
        if not holds(spec.when, case) or (spec.media and not media):
            continue
        if responders is None:  # read once, for the first task that needs an owner
            responders = list(incident.responders.select_related("user").order_by("position", "pk"))
        people = [r.user for r in responders if r.group == spec.group]
        commander = next((r for r in responders if r.part == ResponderPart.COMMANDER), None)
        owner = people[0] if people else (commander.user if commander else None)
        terms.append(_terms(f"task.{spec.key}", now, spec.within))
        tasks.append(
            Task(
                incident=incident,
                key=spec.key,
                label=spec.label,
                group=spec.group,
                owner=owner,
                created_at=now,
            )
        )
    reported = set() if new else set(incident.upward.values_list("authority", flat=True))
    reports: list[UpwardReport] = []
    for authority in emergency.report_to:
        if authority.key in reported:
            continue
        if authority.levels is not None and incident.level not in authority.levels:
            continue
        if not holds(authority.when, case) or (authority.media and not media):
            continue
        terms.append(_terms(f"upward.{authority.key}", now, authority.within))
        label = authority.label
        reports.append(
            UpwardReport(incident=incident, authority=authority.key, authority_label=label)
        )
    if situation and emergency.situation_every is not None:
        terms.append(_situation_terms(now, emergency.situation_every))
    # Every deadline in one statement, then the tasks and reports that own them.
    rows = deadlines_open_new(incident=incident, terms=terms, calendar=work_calendar_cached())
    for task, row in zip(tasks, rows[: len(tasks)], strict=True):
        task.deadline = row
    for report, row in zip(reports, rows[len(tasks) : len(tasks) + len(reports)], strict=True):
        report.deadline = row
    objects_insert(tasks)
    objects_insert(reports)
    return tasks


def _situation_terms(now: datetime, every: Any) -> DeadlineTerms:
    """The deadline of the next situation report (信息报送)."""
    return {**_terms("situation", now, every), "business_hours": None}


def _terms(kind: str, now: datetime, within: Any) -> DeadlineTerms:
    """A task's or an upward report's deadline, counted from ``now`` for ``within``."""
    return {
        "stage": STAGE,
        "kind": kind[:64],
        "anchor_at": now,
        "amount": within.amount,
        "unit": within.unit.value,
    }


def _media_triggers(plan: Plan) -> set[str]:
    """The keys of the plan's triggers that are about the media."""
    return {t.key for t in plan.emergency.triggers if t.media} if plan.emergency else set()


def media_involved(incident: Incident) -> bool:
    """舆情: the media (or a government department) is involved — a media trigger opened
    or raised it, a linked complaint is marked so, or a media contact is logged."""
    return (
        incident.trigger in _media_triggers(incident.plan)
        or incident.media.exists()
        or incident.complaints.filter(media_involved=True).exists()
    )


def situation_clock(incident: Incident, plan: Plan, *, now: datetime):
    """Open the deadline of the next situation report (信息报送)."""
    every = plan.emergency.situation_every if plan.emergency else None
    if every is None:
        return None
    (row,) = deadlines_open_new(incident=incident, terms=[_situation_terms(now, every)])
    return row


def _scale(incident: Incident, plan: Plan, complaint: Complaint, *, actor, now: datetime) -> None:
    level = plan.emergency.level(incident.level) if plan.emergency else None
    if level is None or complaint.plan_revision_id is None:
        return
    complaint_emergency_set(
        complaint=complaint,
        incident=incident.number,
        level=level.key,
        level_label=level_label(plan, level.key),
        factor=level.deadline_factor,
        actor=actor,
        now=now,
    )


def incident_link(
    *, incident: Incident, complaint: Complaint, reason: str, actor: Actor | None, now: datetime
) -> None:
    """Link ``complaint`` to the running incident, whose row the caller has locked and
    which it has checked the complaint is not linked to yet (the link's unique constraint
    refuses a second one); its deadlines take the level's factor."""
    IncidentComplaint.objects.create(
        incident=incident, complaint=complaint, reason=reason, linked_at=now
    )
    incident._first_complaint = None  # it may be earlier than the one held
    plan = incident.plan
    if incident.status != IncidentStatus.REPORTED:
        _scale(incident, plan, complaint, actor=actor, now=now)
    audit_record(
        actor=actor,
        action="incident.linked",
        object_type="incident",
        object_id=incident.number,
        incident=incident,
        data={"complaint": complaint.tracking_no, "reason": reason},
    )


def incident_level_set(
    *,
    incident: Incident,
    actor: Actor,
    level: str,
    reason: str = "",
    version: int | None = None,
    now: datetime | None = None,
    trigger: str = "",
) -> Incident:
    """Change the response level: by the commander or a deputy (or the system, for a
    stronger trigger). Lowering needs a reason. The linked complaints' deadlines are
    recomputed from their start with the new factor, the new level's tasks and reports
    are created, and everyone in the structure is told once."""
    now = now or timezone.now()
    plan = incident.plan
    emergency = plan.emergency
    assert emergency is not None
    system = not getattr(actor, "pk", None)
    if not system and not (
        is_commander(incident, actor) or may_activate(plan, actor, case_of(incident))
    ):
        raise NotAllowed(_("Only the commander or a deputy changes the response level."))
    _level_checked(plan, level)
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
        if version is not None and locked.version != version:
            raise Conflict(
                _("Someone changed this incident after you opened it. Reload it."),
                field_errors={"version": [_("This version is out of date.")]},
            )
        if locked.status in (IncidentStatus.CLOSED, IncidentStatus.REVIEWED):
            raise Conflict(_("The incident is closed."), field_errors={"level": []})
        before = locked.level
        if before == level:
            raise Conflict(
                _("The incident is at that level already."),
                field_errors={"level": [_("Choose another level.")]},
            )
        lowering = emergency.rank(level) > emergency.rank(before)
        if lowering and not reason:
            message = _("Say why the level is lowered.")
            raise InvalidInput(message, field_errors={"reason": [message]})
        locked.level = level
        locked.trigger = trigger or locked.trigger
        locked.version += 1
        locked.save(update_fields=["level", "trigger", "version"])
        if locked.status != IncidentStatus.REPORTED:
            level_work(locked, plan, now=now)
            for link in locked.links.select_related("complaint"):
                _scale(locked, plan, link.complaint, actor=actor, now=now)
        responders = [r.user for r in locked.responders.select_related("user")]
        incident_notify(
            users=responders,
            key=f"incident:{locked.pk}:level:v{locked.version}",
            incident=locked,
            event="level",
            now=now,
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="incident.level",
            object_type="incident",
            object_id=locked.number,
            incident=locked,
            data={
                "changes": {
                    "level": [level_label(plan, before), level_label(plan, level)],
                },
                "reason": reason,
                "trigger": trigger,
                "notified": list(dict.fromkeys(u.display_name for u in responders)),
            },
        )
    incident.refresh_from_db()
    return incident
