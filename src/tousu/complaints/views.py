"""Staff pages for complaints: list, register, detail, assign, evidence, personal data."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.accounts.models import User
from tousu.accounts.selectors import department_subtree_ids
from tousu.complaints import changes as complaint_changes
from tousu.complaints import services
from tousu.complaints.action_forms import ActionForm
from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.awaiting import urgency, work_list
from tousu.complaints.checks import ComplainantData
from tousu.complaints.choices import SEVERITY_COLOURS, STATUS_COLOURS
from tousu.complaints.deliveries import complaint_deliveries
from tousu.complaints.forms import (
    ComplaintAssignForm,
    ComplaintEditForm,
    ComplaintFilterForm,
    ComplaintRegisterForm,
    choice_field,
)
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import (
    deadline_rows,
    masked_complainant,
    plan_label,
    timeline_rows,
)
from tousu.complaints.selectors import (
    ComplaintFilter,
    complaint_get_visible,
    complaint_timeline,
    complaints_count_capped,
    complaints_list,
    count_cap,
)
from tousu.complaints.workflow import (
    complaint_act,
    complaint_confidentiality_set,
    confidentiality_may_set,
)
from tousu.core.masks import mask_name, mask_phone
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.plans.engine import actions_available

PAGE_SIZE = 25
PAGE_MAX = 100_000  # far past any list a person pages through
LIST_TIME = "%Y-%m-%d %H:%M"  # as the template's date:"Y-m-d H:i"
# What the list page does not show, left in the database: long text, the workflow's
# JSON, and personal data that would be decrypted on every row for nothing.
_LIST_UNSHOWN = (
    "description",
    "workflow",
    "complainant__id_number",
    "complainant__address",
    "complainant__email",
)


@dataclass
class ListPage:
    """One page of the complaint list, counted exactly only up to ``COUNT_CAP``: the
    page asks for one row more than it shows to know whether a next page exists, and
    offers page numbers only as far as the count reaches. Quacks like Django's ``Page``
    (it is its own ``paginator``) for the shared pagination template."""

    object_list: list[Complaint]
    number: int
    has_next: bool
    count: int
    count_exact: bool

    @classmethod
    def of(
        cls,
        queryset: QuerySet[Complaint],
        counted: QuerySet[Complaint],
        asked: str | None,
        cap: int | None = None,
    ) -> ListPage:
        """Page ``asked`` of ``queryset``; ``counted``: the same rows, built for counting."""
        try:
            number = max(1, min(int(asked or 1), PAGE_MAX))
        except ValueError:
            number = 1
        count = complaints_count_capped(counted, cap=cap)
        if count.exact:
            # Past the last page shows the last page, as Django's get_page does.
            number = min(number, max(1, math.ceil(count.value / PAGE_SIZE)))
        start = (number - 1) * PAGE_SIZE
        rows = list(queryset[start : start + PAGE_SIZE + 1])
        return cls(
            object_list=rows[:PAGE_SIZE],
            number=number,
            has_next=len(rows) > PAGE_SIZE,
            count=count.value,
            count_exact=count.exact,
        )

    @property
    def paginator(self) -> ListPage:
        return self

    @property
    def num_pages(self) -> int:
        """The pages the count reaches (at least this one and the next, if any)."""
        known = max(1, math.ceil(self.count / PAGE_SIZE))
        return max(known, self.number + (1 if self.has_next else 0))

    @property
    def count_capped(self) -> bool:
        return not self.count_exact

    def has_previous(self) -> bool:
        return self.number > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _visible_or_404(request: HttpRequest, tracking_no: str):
    try:
        return complaint_get_visible(user=request.user, tracking_no=tracking_no)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@functools.cache
def _choice_labels() -> dict[str, dict[str, Any]]:
    """The list's coded columns, value → label (lazy: translated as the page renders)."""
    return {
        name: dict(Complaint._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
        for name in ("severity", "status", "channel")
    }


def _list_rows(complaints: list[Complaint], now: datetime) -> list[dict[str, Any]]:
    """The list's rows as the cells the template shows, worked out here: links, local
    times, labels and joined names are a template tag, filter or attribute walk per cell
    otherwise, 25 rows a page."""
    labels = _choice_labels()
    zone = timezone.get_current_timezone()
    rows = []
    for c in complaints:
        due = c.next_due  # type: ignore[attr-defined]  # the list's annotation
        warn = c.next_warn  # type: ignore[attr-defined]
        person = c.complainant
        rows.append(
            {
                "tracking_no": c.tracking_no,
                "url": reverse("complaints:detail", args=[c.tracking_no]),
                "title": c.title,
                "confidential": c.confidential,
                "category": c.category.name,
                "department": c.department.name if c.department else "",
                "name": mask_name(person.name),
                "phone": mask_phone(person.phone),
                "severity_colour": SEVERITY_COLOURS.get(c.severity, "secondary"),
                "status_colour": STATUS_COLOURS.get(c.status, "secondary"),
                # As get_FOO_display, from one dict a field, not rebuilt on every row.
                **{
                    f"{name}_label": labels[name].get(getattr(c, name), getattr(c, name))
                    for name in labels
                },
                "received": c.received_at.astimezone(zone).strftime(LIST_TIME),
                "due": due.astimezone(zone).strftime(LIST_TIME) if due else "",
                "overdue": bool(due and due <= now),
                "due_soon": bool(due and due > now and warn and warn <= now),
            }
        )
    return rows


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    form = ComplaintFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    values = form.cleaned_data if form.is_bound and valid else {}
    filters = ComplaintFilter(**{k: v for k, v in values.items() if v not in (None, "")})
    # A filter that is not valid shows its error beside the field, and no list that
    # silently ignores it.
    found = (
        complaints_list(user=request.user, filters=filters).defer(*_LIST_UNSHOWN)
        if valid
        else Complaint.objects.none()
    )
    counted = (
        complaints_list(user=request.user, filters=filters, for_counting=True, capped=True)
        if valid
        else Complaint.objects.none()
    )
    page = ListPage.of(found, counted, request.GET.get("page"), count_cap(filters, request.user))
    rows = _list_rows(page.object_list, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "invalid": not valid,
    }
    template = (
        "complaints/_list_results.html"
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results"
        else "complaints/list.html"
    )
    return render(request, template, context)


@login_required
def complaint_register(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("complaints.add_complaint"):
        messages.error(request, _("You may not register complaints."))
        return redirect("complaints:list")
    posted = request.method == "POST"
    form = ComplaintRegisterForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        uploads = [AttachmentUpload.from_file(f.name, f) for f in data["attachments"]]
        try:
            complaint = services.complaint_register(
                actor=staff(request),
                channel=data["channel"],
                title=data["title"],
                description=data["description"],
                category=data["category"],
                severity=data["severity"],
                nature=data["nature"],
                occurred_at=data["occurred_at"],
                occurred_place=data["occurred_place"],
                persons_involved=data["persons_involved"],
                merchant=data["merchant"],
                product=data["product"],
                amount_involved=data["amount_involved"],
                people_injured=data["people_injured"] or 0,
                media_involved=data["media_involved"],
                confidential=data["confidential"],
                department=data["department"],
                complainant=ComplainantData(
                    name=data["complainant_name"],
                    phone=data["complainant_phone"],
                    id_number=data["complainant_id_number"],
                    address=data["complainant_address"],
                    email=data["complainant_email"],
                ),
                attachments=uploads,
            )
        except InvalidInput as exc:
            form.add_service_errors(exc.field_errors)
        else:
            messages.success(
                request,
                _("Complaint %(no)s registered.") % {"no": complaint.tracking_no},
            )
            try:
                complaint_get_visible(user=request.user, tracking_no=complaint.tracking_no)
            except NotFound:
                messages.info(request, _("It is confidential: only the leadership can open it."))
                return redirect("complaints:list")
            return redirect("complaints:detail", tracking_no=complaint.tracking_no)
    return render(request, "complaints/register.html", {"form": form})


def _may_transfer(request, complaint) -> bool:
    """Without a plan anyone who may assign may transfer; under one, only with a transfer
    action of the current stage."""
    if complaint.plan_revision_id is None:
        return True
    return any(
        a.type == "transfer" for a in actions_available(complaint=complaint, user=request.user)
    )


def _assign_form(request, complaint, data=None) -> ComplaintAssignForm:
    subtree = department_subtree_ids(complaint.department_id)
    people = User.objects.filter(is_active=True, department_id__in=subtree).order_by("username")
    form = ComplaintAssignForm(
        data,
        initial={
            "version": complaint.version,
            "department": complaint.department.code,
            "assignee": complaint.assignee.username if complaint.assignee else "",
        },
        assignees=[(u.username, f"{u.display_name}（{u.username}）") for u in people],
    )
    if not _may_transfer(request, complaint):
        # The plan has no transfer here for this person: only an assignment in place.
        department = choice_field(form, "department")
        department.choices = [(complaint.department.code, complaint.department.name)]
    return form


def _action_forms(request, complaint, failed=None) -> list:
    forms = []
    for action in actions_available(complaint=complaint, user=request.user):
        if failed is not None and failed.action.key == action.key:
            forms.append(failed)
        else:
            forms.append(ActionForm(action=action, complaint=complaint))
    return forms


def _detail_context(request, complaint, assign_form=None, failed_action=None) -> dict:
    plan = complaint.plan if complaint.plan_revision_id else None
    stage = plan.stage(complaint.stage) if plan else None
    terminal = bool(stage and stage.terminal)
    return {
        "plan_stage": stage.label if stage else "",
        "read_only": terminal,
        "action_forms": _action_forms(request, complaint, failed_action),
        "deadlines": deadline_rows(complaint),
        "complaint": complaint,
        "complainant": masked_complainant(complaint.complainant),
        "attachments": list(complaint.attachments.all()),
        "deliveries": complaint_deliveries(complaint),
        "timeline": timeline_rows(complaint_timeline(complaint), plan),
        "severity_colour": SEVERITY_COLOURS.get(complaint.severity, "secondary"),
        "status_colour": STATUS_COLOURS.get(complaint.status, "secondary"),
        "can_assign": request.user.has_perm("complaints.assign_complaint") and not terminal,
        "may_transfer": _may_transfer(request, complaint),
        "can_edit": request.user.has_perm("complaints.change_complaint") and not terminal,
        "can_reveal": staff(request).sees_personal_data,
        "assign_form": assign_form or _assign_form(request, complaint),
        "can_set_confidentiality": confidentiality_may_set(
            complaint=complaint, actor=staff(request)
        ),
        "now": timezone.now(),
    }


@login_required
def complaint_detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


@login_required
@require_POST
def complaint_assign(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    form = _assign_form(request, complaint, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            complaint_changes.complaint_assign(
                actor=staff(request),
                complaint=complaint,
                version=data["version"],
                department=data["department"],
                assignee=data["assignee"],
                note=data["note"],
            )
        except (InvalidInput, Conflict) as exc:
            form.add_service_errors(exc.field_errors)
            if isinstance(exc, Conflict):
                messages.error(request, exc.detail)
        except NotAllowed as exc:
            messages.error(request, exc.detail)
            return redirect("complaints:detail", tracking_no=tracking_no)
        else:
            messages.success(request, _("Saved."))
            try:
                complaint_get_visible(user=request.user, tracking_no=tracking_no)
            except NotFound:
                return redirect("complaints:list")
            return redirect("complaints:detail", tracking_no=tracking_no)
    context = _detail_context(request, complaint, assign_form=form)
    return render(request, "complaints/detail.html", context, status=422)


@login_required
def complaint_edit(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    if not request.user.has_perm("complaints.change_complaint"):
        messages.error(request, _("You may not change this complaint."))
        return redirect("complaints:detail", tracking_no=tracking_no)
    posted = request.method == "POST"
    form = ComplaintEditForm.for_complaint(complaint, request.POST if posted else None)
    status = 200
    if posted and form.is_valid():
        changes = dict(form.cleaned_data)
        version = changes.pop("version")
        try:
            complaint_changes.complaint_update(
                actor=staff(request), complaint=complaint, version=version, **changes
            )
        except (InvalidInput, Conflict) as exc:
            form.add_service_errors(exc.field_errors)
            if isinstance(exc, Conflict):
                messages.error(request, exc.detail)
            status = 422
        else:
            messages.success(request, _("Saved."))
            return redirect("complaints:detail", tracking_no=tracking_no)
    return render(
        request, "complaints/edit.html", {"form": form, "complaint": complaint}, status=status
    )


@login_required
@require_POST
def complaint_action(request: HttpRequest, tracking_no: str, action: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    available = {a.key: a for a in actions_available(complaint=complaint, user=staff(request))}
    if action not in available:
        messages.error(request, _("This action is not possible now."))
        return redirect("complaints:detail", tracking_no=tracking_no)
    form = ActionForm(request.POST, action=available[action], complaint=complaint)
    if form.is_valid():
        try:
            complaint_act(
                complaint=complaint,
                actor=staff(request),
                action=action,
                version=form.cleaned_data["version"],
                data=form.data_for_service(),
            )
        except (InvalidInput, Conflict, NotAllowed) as exc:
            form.add_service_errors(exc.field_errors)
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Done: %(label)s.") % {"label": available[action].label})
            try:
                complaint_get_visible(user=request.user, tracking_no=tracking_no)
            except NotFound:
                return redirect("complaints:list")
            return redirect("complaints:detail", tracking_no=tracking_no)
    complaint.refresh_from_db()
    context = _detail_context(request, complaint, failed_action=form)
    return render(request, "complaints/detail.html", context, status=422)


@login_required
@require_POST
def complainant_reveal(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    try:
        person = complaint_changes.complainant_reveal(actor=staff(request), complaint=complaint)
    except NotAllowed as exc:
        return HttpResponse(exc.detail, status=403)
    return render(request, "complaints/_complainant_full.html", {"person": person})


@login_required
def attachment_download(request: HttpRequest, tracking_no: str, pk: int) -> FileResponse:
    complaint = _visible_or_404(request, tracking_no)
    attachment = complaint.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """我的待办: every staff member's home page — what is theirs to do now, soonest
    deadline first, overdue and about-to-breach marked."""
    now = timezone.now()
    page = Paginator(work_list(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    user = staff(request)
    rows = []
    for c in page.object_list:
        plan = c.plan
        rows.append(
            {
                "complaint": c,
                "stage": plan.stage(c.stage).label,
                "actions": [a.label for a in actions_available(complaint=c, user=user)],
                "urgency": urgency(c.next_due, c.next_warn, now),
                "severity": plan_label(plan, "severities", c.severity),
            }
        )
    return render(request, "complaints/work.html", {"page": page, "rows": rows, "now": now})


@login_required
@require_POST
def complaint_confidentiality(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _visible_or_404(request, tracking_no)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        complaint_confidentiality_set(
            complaint=complaint,
            actor=staff(request),
            version=version,
            confidential=request.POST.get("confidential") == "1",
            reason=request.POST.get("reason", ""),
        )
    except (InvalidInput, Conflict, NotAllowed) as exc:
        messages.error(request, exc.detail)
        context = _detail_context(request, complaint)
        context["confidentiality_errors"] = exc.field_errors
        return render(request, "complaints/detail.html", context, status=exc.status)
    messages.success(request, _("Saved."))
    return redirect("complaints:detail", tracking_no=tracking_no)
