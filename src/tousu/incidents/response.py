"""The work of a running response: tasks done, situation reports (信息报送), reports
upward (上报), the media contact log, public statements (draft → approved by a commander
who is not the author → published), status, and closure with an outcome."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.audit.services import audit_record
from tousu.core.inputs import is_blank, text_problem
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_close
from tousu.incidents.activation import level_label, level_work, situation_clock
from tousu.incidents.choices import STATUS_ORDER, IncidentStatus, StatementStatus
from tousu.incidents.command import commanders, is_commander
from tousu.incidents.models import (
    Incident,
    MediaContact,
    SituationReport,
    Statement,
    Task,
    UpwardReport,
)
from tousu.incidents.notify import incident_notify

CLOSED_WITH_INCIDENT = "incident closed"


def text_required(name: str, value: str, *, limit: int = 5000) -> str:
    """``value`` stripped, or ``InvalidInput`` naming field ``name``: blank, too long or
    not storable."""
    value = (value or "").strip()
    if not value or is_blank(value):
        problem: str | None = _("This field is required.")
    elif len(value) > limit:
        problem = _("At most %(limit)d characters.") % {"limit": limit}
    else:
        problem = text_problem(value)
    if problem:
        raise InvalidInput(problem, field_errors={name: [problem]})
    return value


# The rules of who may do what, on values already read (the war room decides its buttons
# with the same functions the services enforce).


def task_may_complete(
    *, owner_id: int | None, group: str, user_id: int | None, my_groups: set[str], commander: bool
) -> bool:
    """A task is marked done by its owner, a person of its group or a commander."""
    return bool(user_id) and (owner_id == user_id or group in my_groups or commander)


def statement_may_approve(
    *, status: str, author_id: int, user_id: int | None, commander: bool
) -> bool:
    """A draft is approved by a commander or deputy who is not its author."""
    return commander and status == StatementStatus.DRAFT and author_id != user_id


def statement_may_publish(*, status: str, responder: bool) -> bool:
    """An approved statement is published by someone in the command structure."""
    return responder and status == StatementStatus.APPROVED


def is_responder(incident: Incident, user) -> bool:
    return bool(getattr(user, "pk", None)) and incident.responders.filter(user_id=user.pk).exists()


def _running(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if locked.status in (IncidentStatus.CLOSED, IncidentStatus.REVIEWED):
        raise Conflict(_("The incident is closed."), field_errors={"status": []})
    if locked.status == IncidentStatus.REPORTED:
        raise Conflict(
            _("The plan is not activated for this event yet."), field_errors={"status": []}
        )
    return locked


def _bump(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(version=incident.version + 1)
    incident.version += 1


def _record(incident: Incident, actor, action: str, data: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="incident",
        object_id=incident.number,
        incident=incident,
        data=data,
    )


def _responding(incident: Incident, now: datetime) -> None:
    """The first work done moves an activated response to responding."""
    if incident.status == IncidentStatus.ACTIVATED:
        Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.RESPONDING)
        incident.status = IncidentStatus.RESPONDING


def task_done(*, task: Task, actor: User, note: str = "", now: datetime | None = None) -> Task:
    """Mark a task done: by its owner, a person of its group or a commander."""
    now = now or timezone.now()
    incident = task.incident
    my_groups = set(incident.responders.filter(user_id=actor.pk).values_list("group", flat=True))
    if not task_may_complete(
        owner_id=task.owner_id,
        group=task.group,
        user_id=actor.pk,
        my_groups=my_groups,
        commander=is_commander(incident, actor),
    ):
        raise NotAllowed(_("Only the task's group or the commander marks it done."))
    with transaction.atomic():
        locked_incident = _running(incident)
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.done_at is not None:
            raise Conflict(_("The task is done already."), field_errors={"task": []})
        locked.done_at, locked.done_by, locked.note = now, actor, (note or "").strip()[:5000]
        locked.save(update_fields=["done_at", "done_by", "note"])
        if locked.deadline is not None:
            deadline_close(deadline=locked.deadline, reason="done", at=now, actor=actor)
        _responding(locked_incident, now)
        _bump(locked_incident)
        _record(locked_incident, actor, "incident.task_done", {"task": locked.label, "note": note})
    return locked


def situation_file(
    *, incident: Incident, actor: User, text: str, now: datetime | None = None
) -> SituationReport:
    """File a situation report; the next falls due one interval later."""
    now = now or timezone.now()
    if not is_responder(incident, actor):
        raise NotAllowed(_("Only the command structure files situation reports."))
    text = text_required("text", text)
    with transaction.atomic():
        locked = _running(incident)
        report = SituationReport.objects.create(
            incident=locked, author=actor, text=text, level=locked.level, at=now
        )
        for row in Deadline.objects.filter(
            incident=locked, kind="situation", closed_at__isnull=True
        ):
            deadline_close(deadline=row, reason="filed", at=now, actor=actor)
        situation_clock(locked, locked.plan, now=now)
        _responding(locked, now)
        _bump(locked)
        _record(locked, actor, "incident.situation", {"text": text})
    return report


def upward_file(
    *, report: UpwardReport, actor: User, content: str, now: datetime | None = None
) -> UpwardReport:
    """Record that the incident was reported to the authority, with what was said."""
    now = now or timezone.now()
    incident = report.incident
    if not is_responder(incident, actor):
        raise NotAllowed(_("Only the command structure reports upward."))
    content = text_required("content", content)
    with transaction.atomic():
        locked_incident = _running(incident)
        locked = UpwardReport.objects.select_for_update().get(pk=report.pk)
        if locked.reported_at is not None:
            raise Conflict(
                _("This authority has been reported to already."), field_errors={"content": []}
            )
        locked.content, locked.reported_at, locked.reported_by = content, now, actor
        locked.save(update_fields=["content", "reported_at", "reported_by"])
        if locked.deadline is not None:
            deadline_close(deadline=locked.deadline, reason="reported", at=now, actor=actor)
        _bump(locked_incident)
        _record(
            locked_incident,
            actor,
            "incident.reported_upward",
            {"authority": locked.authority_label, "content": content},
        )
    return locked


def media_log(
    *,
    incident: Incident,
    actor: User,
    outlet: str,
    summary: str,
    person: str = "",
    at: datetime | None = None,
) -> MediaContact:
    """Log a contact with the press. The plan's media trigger raises the level when it is
    more serious than the incident's (in a peak period, the peak's media level)."""
    now = timezone.now()
    at = at or now
    if not is_responder(incident, actor):
        raise NotAllowed(_("Only the command structure logs media contacts."))
    outlet = text_required("outlet", outlet, limit=200)
    summary = text_required("summary", summary)
    if at > now:
        message = _("Cannot be in the future.")
        raise InvalidInput(message, field_errors={"at": [message]})
    from tousu.incidents.triggers import TRIGGER, _level_of

    with transaction.atomic():
        locked = _running(incident)
        contact = MediaContact.objects.create(
            incident=locked,
            outlet=outlet,
            person=(person or "").strip()[:200],
            summary=summary,
            at=at,
            recorded_by=actor,
        )
        _bump(locked)
        _record(locked, actor, "incident.media", {"outlet": outlet, "summary": summary})
        emergency = locked.plan.emergency
        assert emergency is not None
        # The press is involved now: the plan's 舆情 tasks and reports fall due.
        level_work(locked, locked.plan, now=now)
        media = [t for t in emergency.triggers if t.media]
        if media:
            trigger = media[0]
            level = _level_of(emergency, trigger, now)
            if emergency.rank(level) < emergency.rank(locked.level):
                from tousu.incidents.activation import incident_level_set

                incident_level_set(
                    incident=locked,
                    actor=TRIGGER,
                    level=level,
                    reason=trigger.label,
                    now=now,
                    trigger=trigger.key,
                )
    return contact


def statement_draft(
    *, incident: Incident, actor: User, text: str, now: datetime | None = None
) -> Statement:
    """Draft a public statement; the commanders are told it awaits approval."""
    now = now or timezone.now()
    if not is_responder(incident, actor):
        raise NotAllowed(_("Only the command structure drafts statements."))
    text = text_required("text", text, limit=20000)
    with transaction.atomic():
        locked = _running(incident)
        statement = Statement.objects.create(
            incident=locked, text=text, author=actor, created_at=now
        )
        _bump(locked)
        _record(locked, actor, "incident.statement_drafted", {"statement": statement.pk})
        incident_notify(
            users=[u for u in commanders(locked) if u.pk != getattr(actor, "pk", None)],
            key=f"incident:{locked.pk}:statement:{statement.pk}",
            incident=locked,
            event="statement",
            now=now,
        )
    return statement


def statement_approve(
    *, statement: Statement, actor: User, now: datetime | None = None
) -> Statement:
    """Approve a draft: a commander or deputy who is not its author (a deputy approves
    what the commander wrote)."""
    now = now or timezone.now()
    incident = statement.incident
    if not is_commander(incident, actor):
        raise NotAllowed(_("Only the commander or a deputy approves statements."))
    if statement.author_id == getattr(actor, "pk", None):
        raise NotAllowed(
            _("A statement is approved by someone other than its author."),
            field_errors={"approved_by": [_("You wrote this statement.")]},
        )
    with transaction.atomic():
        locked_incident = _running(incident)
        locked = Statement.objects.select_for_update().get(pk=statement.pk)
        if not statement_may_approve(
            status=locked.status, author_id=locked.author_id, user_id=actor.pk, commander=True
        ):
            raise Conflict(_("Only a draft is approved."), field_errors={"status": []})
        locked.status, locked.approved_by, locked.approved_at = (
            StatementStatus.APPROVED,
            actor,
            now,
        )
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        _bump(locked_incident)
        _record(locked_incident, actor, "incident.statement_approved", {"statement": locked.pk})
    return locked


def statement_publish(
    *, statement: Statement, actor: User, now: datetime | None = None
) -> Statement:
    """Publish an approved statement (its text and time are kept as published)."""
    now = now or timezone.now()
    incident = statement.incident
    if not is_responder(incident, actor):
        raise NotAllowed(_("Only the command structure publishes statements."))
    with transaction.atomic():
        locked_incident = _running(incident)
        locked = Statement.objects.select_for_update().get(pk=statement.pk)
        if not statement_may_publish(status=locked.status, responder=True):
            message = (
                _("The statement is published already.")
                if locked.status == StatementStatus.PUBLISHED
                else _("A statement is published only after a second person approves it.")
            )
            raise Conflict(message, field_errors={"status": [message]})
        locked.status, locked.published_at, locked.published_by = (
            StatementStatus.PUBLISHED,
            now,
            actor,
        )
        locked.save(update_fields=["status", "published_at", "published_by"])
        _bump(locked_incident)
        _record(
            locked_incident,
            actor,
            "incident.statement_published",
            {"statement": locked.pk, "text": locked.text},
        )
    return locked


def incident_contain(*, incident: Incident, actor: User, now: datetime | None = None) -> Incident:
    """The commander declares the situation under control (已控制)."""
    now = now or timezone.now()
    if not is_commander(incident, actor):
        raise NotAllowed(_("Only the commander or a deputy changes the incident's status."))
    with transaction.atomic():
        locked = _running(incident)
        if STATUS_ORDER.index(IncidentStatus(locked.status)) >= STATUS_ORDER.index(
            IncidentStatus.CONTAINED
        ):
            raise Conflict(_("The incident is contained already."), field_errors={"status": []})
        Incident.objects.filter(pk=locked.pk).update(
            status=IncidentStatus.CONTAINED, contained_at=now, version=locked.version + 1
        )
        _record(
            locked,
            actor,
            "incident.status",
            {"changes": {"status": [locked.status, IncidentStatus.CONTAINED.value]}},
        )
    incident.refresh_from_db()
    return incident


def incident_close(
    *, incident: Incident, actor: User, outcome: str, now: datetime | None = None
) -> Incident:
    """Close the response with its outcome: its running deadlines close, and the linked
    complaints' deadlines return to the plan's own periods (their own clocks, fines
    included, keep running)."""
    from tousu.complaints.workflow import complaint_emergency_set

    now = now or timezone.now()
    if not is_commander(incident, actor):
        raise NotAllowed(_("Only the commander or a deputy closes the incident."))
    outcome = text_required("outcome", outcome, limit=20000)
    with transaction.atomic():
        locked = _running(incident)
        for row in Deadline.objects.filter(incident=locked, closed_at__isnull=True):
            deadline_close(deadline=row, reason=CLOSED_WITH_INCIDENT, at=now, actor=actor)
        for link in locked.links.select_related("complaint"):
            complaint = link.complaint
            state = (complaint.workflow or {}).get("emergency") or {}
            if state.get("incident") == locked.number:
                complaint_emergency_set(
                    complaint=complaint,
                    incident=locked.number,
                    level="",
                    level_label="",
                    factor=Decimal(1),
                    actor=actor,
                    now=now,
                )
        Incident.objects.filter(pk=locked.pk).update(
            status=IncidentStatus.CLOSED,
            closed_at=now,
            outcome=outcome,
            version=locked.version + 1,
        )
        _record(
            locked,
            actor,
            "incident.closed",
            {"outcome": outcome, "level": level_label(locked.plan, locked.level)},
        )
    incident.refresh_from_db()
    return incident
