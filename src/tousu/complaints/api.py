"""Complaint endpoints of /api/v1/, thin over the services and selectors."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from tousu.accounts.selectors import departments_active
from tousu.complaints import changes as complaint_changes
from tousu.complaints import services
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.checks import ComplainantData
from tousu.complaints.cursors import complaint_cursor, complaints_after
from tousu.complaints.evidence import attachment_add
from tousu.complaints.models import Attachment, Category, Complaint
from tousu.complaints.presenters import masked_complainant
from tousu.complaints.schemas import (
    ActionIn,
    ActionsOut,
    AssignIn,
    AttachmentOut,
    ComplainantOut,
    ComplaintFilterIn,
    ComplaintIn,
    ComplaintOut,
    ComplaintPage,
    ComplaintPatch,
    ConfidentialityIn,
    DepartmentRef,
    Problem,
    Ref,
    TimelineEntry,
)
from tousu.complaints.selectors import (
    ComplaintFilter,
    complaint_filter_problems,
    complaint_get_visible,
    complaint_timeline,
    complaints_count_capped,
    complaints_list,
    count_cap,
)
from tousu.complaints.workflow import complaint_act, complaint_confidentiality_set
from tousu.core.jsonrender import json_response
from tousu.core.problems import InvalidInput, NotFound
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import deadlines_open
from tousu.plans.engine import actions_available

router = Router(tags=["complaints"])
ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _local(value: datetime | None) -> datetime | None:
    """Times in the API are given in business time (Asia/Shanghai, +08:00)."""
    return timezone.localtime(value) if value is not None else None


def _attachment_url(tracking_no: str, pk: int) -> str:
    return reverse("api:attachment_download", args=[tracking_no, pk])


def _list_item(c: Complaint) -> dict:
    return {
        "tracking_no": c.tracking_no,
        "title": c.title,
        "category": {"key": c.category.key, "name": c.category.name},
        "severity": c.severity,
        "nature": c.nature,
        "channel": c.channel,
        "status": c.status,
        "confidential": c.confidential,
        "department": {"code": c.department.code, "name": c.department.name},
        "assignee": c.assignee.username if c.assignee else None,
        "complainant": masked_complainant(c.complainant),
        "received_at": _local(c.received_at),
        "next_due": _local(getattr(c, "next_due", None)),
        "stage": c.stage,
        "version": c.version,
    }


def _plan(c: Complaint) -> dict | None:
    revision = c.plan_revision
    if revision is None:
        return None
    return {
        "key": revision.plan.key,
        "name": revision.plan.name,
        "revision": revision.number,
    }


def _detail(c: Complaint, *, registered: bool = False) -> dict:
    """The complaint as the API shows it. ``registered``: ``c`` was just registered and
    carries the deadlines registration opened; it has no attachments yet. Nothing is
    read back then."""
    plan = c.plan if c.plan_revision else None
    if registered:
        opened = (row for row in c.deadlines_opened if row.closed_at is None)  # type: ignore[attr-defined]
        deadlines: Iterable[Deadline] = sorted(opened, key=lambda row: (row.due_at, row.pk))
        attachments: Iterable[Attachment] = ()
    else:
        deadlines, attachments = deadlines_open(c), c.attachments.all()
    return {
        **_list_item(c),
        "plan": _plan(c),
        "stage": c.stage,
        "stage_label": plan.stage(c.stage).label if plan else "",
        "satisfaction": c.satisfaction,
        "emergency_marked": c.emergency_marked,
        "deadlines": [
            {
                "key": d.kind,
                "stage": d.stage,
                "due_at": _local(d.due_at),
                "warn_at": _local(d.warn_at),
                "provisional": d.provisional,
            }
            for d in deadlines
        ],
        "description": c.description,
        "occurred_at": _local(c.occurred_at),
        "occurred_place": c.occurred_place,
        "persons_involved": c.persons_involved,
        "merchant": c.merchant,
        "product": c.product,
        "amount_involved": c.amount_involved,
        "people_injured": c.people_injured,
        "media_involved": c.media_involved,
        "received_by": c.received_by.username if c.received_by else "",
        "registered_at": _local(c.registered_at),
        "updated_at": _local(c.updated_at),
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": _attachment_url(c.tracking_no, a.pk),
            }
            for a in attachments
        ],
    }


@router.get("/categories", response=list[Ref], tags=["reference"])
def categories(request):
    return list(Category.objects.filter(is_active=True).values("key", "name"))


@router.get("/departments", response=list[DepartmentRef], tags=["reference"])
def departments(request):
    return list(departments_active().values("code", "name"))


@router.post("/complaints", response={201: ComplaintOut, **ERRORS})
def complaint_create(request, payload: ComplaintIn):
    data = payload.dict()
    complainant = ComplainantData(**data.pop("complainant"))
    data["occurred_at"] = _aware(data["occurred_at"])
    data["received_at"] = _aware(data["received_at"])
    complaint = services.complaint_register(actor=request.user, complainant=complainant, **data)
    # The answer shows what registration wrote, without reading it back. ``_detail`` has
    # the schema's fields and types (``test_register_queries``: the same body as the
    # schema makes), so it is rendered as it is: ninja's second validation of it was a
    # twentieth of a registration's CPU.
    return json_response(_detail(complaint, registered=True), status=201)


@router.get("/complaints", response={200: ComplaintPage, 400: Problem, **ERRORS})
def complaint_list(request, filters: Query[ComplaintFilterIn]):
    params = filters.dict()
    page, page_size, cursor = params.pop("page"), params.pop("page_size"), params.pop("cursor")
    for flag in ("open", "due_soon", "repeat"):
        params[flag] = params[flag] == "1"
    wanted = ComplaintFilter(**params)
    problems = complaint_filter_problems(wanted)
    if problems:
        raise InvalidInput(next(iter(problems.values()))[0], field_errors=problems)
    qs = complaints_list(user=request.user, filters=wanted)
    if cursor:
        rows = list(complaints_after(qs, sort=wanted.sort, cursor=cursor)[: page_size + 1])
    else:
        rows = list(qs[(page - 1) * page_size : page * page_size + 1])
    count = complaints_count_capped(
        complaints_list(user=request.user, filters=wanted, for_counting=True, capped=True),
        cap=count_cap(wanted, request.user),
    )
    following = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        following = complaint_cursor(rows[-1], sort=wanted.sort)
    return {
        "count": count.value,
        "count_exact": count.exact,
        "page": None if cursor else page,
        "page_size": page_size,
        "pages": max(1, math.ceil(count.value / page_size)),
        "next_cursor": following,
        "next": _next_address(request, following),
        "results": [_list_item(c) for c in rows],
    }


def _next_address(request, cursor: str | None) -> str | None:
    """This request's address with ``cursor`` in place of its page or cursor."""
    if cursor is None:
        return None
    query = request.GET.copy()
    query.pop("page", None)
    query["cursor"] = cursor
    return f"{request.path}?{query.urlencode()}"


@router.get("/complaints/{tracking_no}", response={200: ComplaintOut, **ERRORS})
def complaint_read(request, tracking_no: str):
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    return _detail(complaint)


@router.patch("/complaints/{tracking_no}", response={200: ComplaintOut, **ERRORS})
def complaint_patch(request, tracking_no: str, payload: ComplaintPatch):
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if "occurred_at" in changes:
        changes["occurred_at"] = _aware(changes["occurred_at"])
    complaint = complaint_changes.complaint_update(
        actor=request.user, complaint=complaint, version=version, **changes
    )
    return _detail(complaint)


@router.post("/complaints/{tracking_no}/assignment", response={200: ComplaintOut, **ERRORS})
def complaint_assign(request, tracking_no: str, payload: AssignIn):
    """Assign to a person, or transfer to another department (with a note)."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    complaint = complaint_changes.complaint_assign(
        actor=request.user, complaint=complaint, **payload.dict()
    )
    return _detail(complaint)


@router.post("/complaints/{tracking_no}/confidentiality", response={200: ComplaintOut, **ERRORS})
def confidentiality_set(request, tracking_no: str, payload: ConfidentialityIn):
    """Set or clear the confidential flag, with a reason (leadership and the plan's roles)."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    complaint = complaint_confidentiality_set(
        complaint=complaint, actor=request.user, **payload.dict()
    )
    return _detail(complaint)


@router.get("/complaints/{tracking_no}/actions", response={200: ActionsOut, **ERRORS})
def actions_list(request, tracking_no: str):
    """What the caller may do with the complaint now, and the data each action needs."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    plan = complaint.plan if complaint.plan_revision else None
    return {
        "stage": complaint.stage,
        "stage_label": plan.stage(complaint.stage).label if plan else "",
        "version": complaint.version,
        "actions": [a.__dict__ for a in actions_available(complaint=complaint, user=request.user)],
    }


@router.post("/complaints/{tracking_no}/actions/{action}", response={200: ComplaintOut, **ERRORS})
def action_perform(request, tracking_no: str, action: str, payload: ActionIn):
    """Perform a plan action. 409 when it is not possible now, 403 for another role."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    data = payload.dict(exclude_none=True)
    version = data.pop("version")
    if "due_at" in data:
        data["due_at"] = _aware(data["due_at"])
    complaint = complaint_act(
        complaint=complaint, actor=request.user, action=action, version=version, data=data
    )
    return _detail(complaint)


@router.get("/complaints/{tracking_no}/complainant", response={200: ComplainantOut, **ERRORS})
def complainant_read(request, tracking_no: str, purpose: str = ""):
    """The complainant's full personal data; every call is recorded in the audit log."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    person = complaint_changes.complainant_reveal(
        actor=request.user, complaint=complaint, purpose=purpose
    )
    return {
        "name": person.name,
        "phone": person.phone,
        "id_number": person.id_number,
        "address": person.address,
        "email": person.email,
    }


@router.get("/complaints/{tracking_no}/timeline", response={200: list[TimelineEntry], **ERRORS})
def timeline(request, tracking_no: str):
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    return [
        {
            "seq": e.seq,
            "at": _local(e.at),
            "actor": e.actor.username if e.actor else None,
            "action": e.action,
            "data": e.data,
        }
        for e in complaint_timeline(complaint)
    ]


@router.post("/complaints/{tracking_no}/attachments", response={201: AttachmentOut, **ERRORS})
def attachment_upload(request, tracking_no: str, file: File[UploadedFile]):
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    upload = AttachmentUpload.from_file(file.name or "", file)
    a = attachment_add(actor=request.user, complaint=complaint, upload=upload)
    return Status(
        201,
        {
            "id": a.pk,
            "name": a.original_name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "url": _attachment_url(tracking_no, a.pk),
        },
    )


@router.get("/complaints/{tracking_no}/attachments/{attachment_id}", response={**ERRORS})
def attachment_download(request, tracking_no: str, attachment_id: int):
    """The evidence file itself."""
    complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    attachment = complaint.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
