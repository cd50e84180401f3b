"""Incident endpoints of /api/v1/ (the war room as data), thin over the services; every
read goes through the gate (``incidents_visible``, ``linked_complaints``)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tousu.accounts.models import User
from tousu.complaints.schemas import Problem
from tousu.complaints.selectors import complaint_get_visible
from tousu.complaints.services import plan_revision_current
from tousu.core.problems import InvalidInput, NotFound
from tousu.incidents import activation, response, review, triggers
from tousu.incidents.choices import OPEN_STATUSES, IncidentSource, IncidentStatus, ResponderPart
from tousu.incidents.labels import group_label, level_of, trigger_label
from tousu.incidents.models import Incident
from tousu.incidents.presenters import WarRoom, war_room
from tousu.incidents.schemas import (
    ActivateIn,
    CloseIn,
    EmergencyIn,
    EventReportIn,
    IncidentOut,
    IncidentPage,
    IncidentReceipt,
    LevelIn,
    MediaIn,
    NoteIn,
    ReviewIn,
    SituationIn,
    StatementIn,
    UpwardIn,
)
from tousu.incidents.selectors import incident_get_visible, incident_visible_to, incidents_visible

router = Router(tags=["incidents"])
ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


class IncidentFilterIn(Schema):
    state: str = Field("open", pattern="^(open|closed|all)$", description="open, closed or all")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=100)


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


def _person(user: User | None) -> dict | None:
    return {"username": user.username, "name": user.display_name} if user else None


def _labelled(value: str, choices: Any) -> dict:
    return {"key": value, "label": str(choices(value).label) if value in choices.values else ""}


def _list_item(incident: Incident, linked: int) -> dict:
    plan = incident.plan_revision.plan_model
    return {
        "number": incident.number,
        "title": incident.title,
        "level": level_of(plan, incident.level),
        "status": _labelled(incident.status, IncidentStatus),
        "source": _labelled(incident.source, IncidentSource),
        "trigger": trigger_label(plan, incident.trigger),
        "opened_at": _local(incident.opened_at),
        "activated_at": _local(incident.activated_at),
        "closed_at": _local(incident.closed_at),
        "linked_complaints": linked,
        "version": incident.version,
    }


def _detail(room: WarRoom) -> dict:
    incident, plan = room.incident, room.plan
    linked = len(room.complaints) + room.complaints_hidden
    review_row = room.review
    return {
        **_list_item(incident, linked),
        "description": incident.description,
        "plan": plan.metadata.name,
        "category": incident.category.name if incident.category else None,
        "severity": (plan.label_of("severities", incident.severity) or "")
        if incident.severity
        else "",
        "amount_involved": incident.amount_involved,
        "people_injured": incident.people_injured,
        "contained_at": _local(incident.contained_at),
        "reviewed_at": _local(incident.reviewed_at),
        "outcome": incident.outcome,
        "elapsed": room.elapsed,
        "next_situation_due": _local(room.next_situation.due_at) if room.next_situation else None,
        "responders": [
            {
                "person": _person(person["user"]),
                "group": {"key": group["key"], "label": group["label"]},
                "part": _labelled(person["part"], ResponderPart),
            }
            for group in room.structure
            for person in group["people"]
        ],
        "tasks": [
            {
                "id": row["task"].pk,
                "label": row["task"].label,
                "group": {"key": row["task"].group, "label": group_label(plan, row["task"].group)},
                "owner": _person(row["task"].owner),
                "due_at": _local(row["due_at"]),
                "overdue": row["overdue"],
                "done_at": _local(row["task"].done_at),
                "done_by": _person(row["task"].done_by),
                "note": row["task"].note,
            }
            for group in room.task_groups
            for row in group["tasks"]
        ],
        "situation_reports": [
            {
                "id": s["report"].pk,
                "author": _person(s["report"].author),
                "text": s["report"].text,
                "level": s["level"],
                "at": _local(s["report"].at),
            }
            for s in room.situations
        ],
        "upward": [
            {
                "id": u["report"].pk,
                "authority": u["report"].authority_label,
                "due_at": _local(u["due_at"]),
                "overdue": u["overdue"],
                "reported_at": _local(u["report"].reported_at),
                "reported_by": _person(u["report"].reported_by),
                "content": u["report"].content,
            }
            for u in room.upward
        ],
        "media": [
            {
                "id": m.pk,
                "outlet": m.outlet,
                "person": m.person,
                "summary": m.summary,
                "at": _local(m.at),
                "recorded_by": _person(m.recorded_by),
            }
            for m in room.media
        ],
        "statements": [
            {
                "id": s["statement"].pk,
                "text": s["statement"].text,
                "status": {"key": s["statement"].status, "label": str(s["status_label"])},
                "author": _person(s["statement"].author),
                "created_at": _local(s["statement"].created_at),
                "approved_by": _person(s["statement"].approved_by),
                "approved_at": _local(s["statement"].approved_at),
                "published_by": _person(s["statement"].published_by),
                "published_at": _local(s["statement"].published_at),
            }
            for s in room.statements
        ],
        "complaints": [c.tracking_no for c in room.complaints],
        "complaints_hidden": room.complaints_hidden,
        "review": {
            "causes": review_row.causes,
            "lessons": review_row.lessons,
            "figures": review_row.figures,
            "author": _person(review_row.author),
            "created_at": _local(review_row.created_at),
            "proposed_revision": review_row.proposed_revision.number
            if review_row.proposed_revision
            else None,
            "improvements": [
                {
                    "id": row["action"].pk,
                    "title": row["action"].title,
                    "owner": _person(row["action"].owner),
                    "due_on": row["action"].due_on,
                    "done_at": _local(row["action"].done_at),
                    "note": row["action"].note,
                }
                for row in room.improvements
            ],
        }
        if review_row is not None
        else None,
    }


def _read(request, number: str) -> Incident:
    return incident_get_visible(user=request.user, number=number)


def _room(request, incident: Incident) -> dict:
    fresh = incident_get_visible(user=request.user, number=incident.number)
    return _detail(war_room(fresh, request.user, timeline=False))


def _receipt(request, incident: Incident) -> dict:
    plan = incident.plan_revision.plan_model
    return {
        "number": incident.number,
        "title": incident.title,
        "level": level_of(plan, incident.level),
        "status": _labelled(incident.status, IncidentStatus),
        "visible": incident_visible_to(request.user, incident),
    }


@router.get("/incidents", response={200: IncidentPage, **ERRORS})
def incident_list(request, filters: Query[IncidentFilterIn]):
    """The incidents you may see, newest first."""
    found = (
        incidents_visible(request.user)
        .select_related("plan_revision")
        .annotate(linked=Count("links", distinct=True))
        .order_by("-opened_at", "-pk")
    )
    if filters.state == "open":
        found = found.filter(status__in=OPEN_STATUSES)
    elif filters.state == "closed":
        found = found.exclude(status__in=OPEN_STATUSES)
    count = found.count()
    page, size = filters.page, filters.page_size
    return {
        "count": count,
        "page": page,
        "page_size": size,
        "pages": max(1, math.ceil(count / size)),
        "results": [_list_item(i, i.linked) for i in found[(page - 1) * size : page * size]],
    }


@router.post("/incidents", response={201: IncidentReceipt, **ERRORS})
def incident_report(request, payload: EventReportIn):
    """Report an event without a complaint under the organisation's plan (事件报告)."""
    revision = plan_revision_current()
    if revision is None:
        message = _("The organisation runs no plan with an emergency part.")
        raise InvalidInput(message, field_errors={"category": [message]})
    incident = triggers.event_report(revision=revision, actor=request.user, **payload.dict())
    return Status(201, _receipt(request, incident))


@router.get("/incidents/{number}", response={200: IncidentOut, **ERRORS})
def incident_read(request, number: str):
    """The war room: level, status, command structure, tasks, reports, statements."""
    return _detail(war_room(_read(request, number), request.user, timeline=False))


@router.post("/incidents/{number}/activate", response={200: IncidentOut, **ERRORS})
def incident_activate(request, number: str, payload: ActivateIn):
    incident = _read(request, number)
    activation.incident_activate(incident=incident, actor=request.user, level=payload.level)
    return _room(request, incident)


@router.post("/incidents/{number}/level", response={200: IncidentOut, **ERRORS})
def incident_level(request, number: str, payload: LevelIn):
    """Raise or lower the response level (lowering needs a reason)."""
    incident = _read(request, number)
    activation.incident_level_set(incident=incident, actor=request.user, **payload.dict())
    return _room(request, incident)


@router.post("/incidents/{number}/tasks/{task_id}/done", response={200: IncidentOut, **ERRORS})
def task_done(request, number: str, task_id: int, payload: NoteIn):
    incident = _read(request, number)
    task = incident.tasks.select_related("incident", "deadline").filter(pk=task_id).first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    response.task_done(task=task, actor=request.user, note=payload.note)
    return _room(request, incident)


@router.post("/incidents/{number}/situations", response={200: IncidentOut, **ERRORS})
def situation_file(request, number: str, payload: SituationIn):
    incident = _read(request, number)
    response.situation_file(incident=incident, actor=request.user, text=payload.text)
    return _room(request, incident)


@router.post("/incidents/{number}/upward/{report_id}", response={200: IncidentOut, **ERRORS})
def upward_file(request, number: str, report_id: int, payload: UpwardIn):
    incident = _read(request, number)
    report = incident.upward.select_related("incident", "deadline").filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"no report upward {report_id}")
    response.upward_file(report=report, actor=request.user, content=payload.content)
    return _room(request, incident)


@router.post("/incidents/{number}/media", response={200: IncidentOut, **ERRORS})
def media_log(request, number: str, payload: MediaIn):
    incident = _read(request, number)
    at = payload.at
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    response.media_log(
        incident=incident,
        actor=request.user,
        outlet=payload.outlet,
        summary=payload.summary,
        person=payload.person,
        at=at,
    )
    return _room(request, incident)


@router.post("/incidents/{number}/statements", response={200: IncidentOut, **ERRORS})
def statement_draft(request, number: str, payload: StatementIn):
    incident = _read(request, number)
    response.statement_draft(incident=incident, actor=request.user, text=payload.text)
    return _room(request, incident)


def _statement(incident: Incident, statement_id: int):
    statement = incident.statements.select_related("incident").filter(pk=statement_id).first()
    if statement is None:
        raise NotFound(f"no statement {statement_id}")
    return statement


@router.post(
    "/incidents/{number}/statements/{statement_id}/approve",
    response={200: IncidentOut, **ERRORS},
)
def statement_approve(request, number: str, statement_id: int):
    """Approve a draft: a commander or deputy who did not write it."""
    incident = _read(request, number)
    response.statement_approve(statement=_statement(incident, statement_id), actor=request.user)
    return _room(request, incident)


@router.post(
    "/incidents/{number}/statements/{statement_id}/publish",
    response={200: IncidentOut, **ERRORS},
)
def statement_publish(request, number: str, statement_id: int):
    """Publish an approved statement; a draft gets 409."""
    incident = _read(request, number)
    response.statement_publish(statement=_statement(incident, statement_id), actor=request.user)
    return _room(request, incident)


@router.post("/incidents/{number}/contain", response={200: IncidentOut, **ERRORS})
def incident_contain(request, number: str):
    """The situation is under control (已控制)."""
    incident = _read(request, number)
    response.incident_contain(incident=incident, actor=request.user)
    return _room(request, incident)


@router.post("/incidents/{number}/close", response={200: IncidentOut, **ERRORS})
def incident_close(request, number: str, payload: CloseIn):
    incident = _read(request, number)
    response.incident_close(incident=incident, actor=request.user, outcome=payload.outcome)
    return _room(request, incident)


@router.post("/incidents/{number}/review", response={200: IncidentOut, **ERRORS})
def review_file(request, number: str, payload: ReviewIn):
    """File the review of a closed incident, with improvement actions and accountability."""
    incident = _read(request, number)
    names = {i.owner for i in payload.improvements} | {a.person for a in payload.accountability}
    users = {u.username: u for u in User.objects.filter(is_active=True, username__in=names)}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(payload.improvements):
        if item.owner not in users:
            errors[f"improvements.{index}.owner"] = [_("No such person.")]
    for index, entry in enumerate(payload.accountability):
        if entry.person not in users:
            errors[f"accountability.{index}.person"] = [_("No such person.")]
    if errors:
        raise InvalidInput(_("The review has errors."), field_errors=errors)
    review.review_file(
        incident=incident,
        actor=request.user,
        causes=payload.causes,
        lessons=payload.lessons,
        improvements=[
            review.Improvement(title=i.title, owner=users[i.owner], due_on=i.due_on)
            for i in payload.improvements
        ],
        accountability=[
            review.Accountability(
                person=users[a.person],
                reason=a.reason,
                amount=a.amount,
                performance=a.performance,
            )
            for a in payload.accountability
        ],
        revision_source=payload.revision_source,
    )
    return _room(request, incident)


@router.post(
    "/incidents/{number}/improvements/{action_id}/done", response={200: IncidentOut, **ERRORS}
)
def improvement_done(request, number: str, action_id: int, payload: NoteIn):
    """Report an improvement action done (its owner or a commander)."""
    incident = _read(request, number)
    action = incident.improvements.select_related("incident", "deadline")
    found = action.filter(pk=action_id).first()
    if found is None:
        raise NotFound(f"no improvement action {action_id}")
    review.improvement_done(action=found, actor=request.user, note=payload.note)
    return _room(request, incident)


@router.post(
    "/complaints/{tracking_no}/emergency",
    response={200: IncidentReceipt, **ERRORS},
    tags=["incidents", "complaints"],
)
def complaint_emergency(request, tracking_no: str, payload: EmergencyIn):
    """Activate the plan from a complaint (its command group; a supervisor escalates),
    or raise the level of the response it is already linked to."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    incident = triggers.complaint_escalate_to_incident(
        complaint=complaint, actor=request.user, level=payload.level, reason=payload.reason
    )
    return _receipt(request, incident)
