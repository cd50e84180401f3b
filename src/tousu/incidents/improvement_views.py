"""Staff pages of the improvement actions (整改措施): the one list with its filters, an
action's page with its effect, and the form that adds one from a complaint, a finished
drill's evaluation or an analysis report. Thin: ``improvements`` decides, and its errors
go back beside the fields (422) or above them (409, 403); an action the reader may not
see is a 404."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.accounts.models import User
from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.core.inputs import validate_storable
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.incidents import improvements as service
from tousu.incidents.choices import DrillStatus
from tousu.incidents.drills.services import may_drill
from tousu.incidents.forms import NoteForm, ServiceErrors
from tousu.incidents.models import Drill, ImprovementAction, ImprovementStatus
from tousu.incidents.selectors import incident_visible_to
from tousu.plans.models import Category

PAGE_SIZE = 25
FAILURES = (InvalidInput, Conflict, NotAllowed, NotFound)


def _people() -> list[tuple[str, str]]:
    people = User.objects.filter(is_active=True).order_by("username")
    return [(u.username, f"{u.display_name}（{u.username}）") for u in people]


def _categories() -> list[tuple[str, str]]:
    rows = Category.objects.filter(is_active=True).order_by("key")
    return [("", "—"), *((c.key, c.name) for c in rows)]


class ImprovementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *ImprovementStatus.choices],
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        required=False,
        choices=[("", gettext_lazy("All")), *service.SOURCES.items()],
    )
    owner = forms.CharField(label=gettext_lazy("Owner"), required=False, max_length=150)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def clean_owner(self) -> User | None:
        name = self.cleaned_data["owner"].strip()
        if not name:
            return None
        person = User.objects.filter(username=name).first()
        if person is None:
            raise forms.ValidationError(_("No such person."))
        return person


class ImprovementForm(ServiceErrors, forms.Form):
    """A new action: what, who, by when, and the scope its effect is measured on."""

    title = forms.CharField(
        label=gettext_lazy("Improvement"),
        required=False,
        max_length=200,
        validators=[validate_storable],
    )
    owner = forms.ChoiceField(label=gettext_lazy("Owner"), required=False)
    due_on = forms.DateField(
        label=gettext_lazy("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    category_key = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    merchant = forms.CharField(
        label=gettext_lazy("Merchant"),
        required=False,
        max_length=200,
        validators=[validate_storable],
    )
    source_ref = forms.CharField(
        label=gettext_lazy("Analysis report"),
        required=False,
        max_length=200,
        validators=[validate_storable],
        help_text=gettext_lazy("E.g. 客诉分析报告 2026-10."),
    )

    def __init__(self, *args, with_ref: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        owner, category = self.fields["owner"], self.fields["category_key"]
        assert isinstance(owner, forms.ChoiceField) and isinstance(category, forms.ChoiceField)
        owner.choices = [("", "—"), *_people()]
        category.choices = _categories()
        if not with_ref:
            del self.fields["source_ref"]


class ReasonForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why cancelled"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_storable],
    )


# ---------------------------------------------------------------- the list


@login_required
def improvement_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    now = timezone.now()
    form = ImprovementFilterForm(request.GET or None)
    found = service.improvements_visible(user)
    status = 200
    if form.is_bound and form.is_valid():
        found = service.improvements_filter(
            found,
            status=form.cleaned_data["status"],
            source=form.cleaned_data["source"],
            owner=form.cleaned_data["owner"],
            overdue=form.cleaned_data["overdue"],
            now=now,
        )
    elif form.is_bound:
        status = 422
        found = found.none()
    found = found.select_related("incident", "complaint", "owner", "deadline").order_by(
        "due_on", "pk"
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    complaint_ids = {a.complaint_id for a in page.object_list if a.complaint_id is not None}
    seen = set(
        Complaint.objects.visible_to(user).filter(pk__in=complaint_ids).values_list("pk", flat=True)
        if complaint_ids
        else ()
    )
    rows = [
        {
            "action": a,
            "source": service.source_text(a, seen=a.complaint_id is None or a.complaint_id in seen),
            "overdue": service.is_overdue(a, now),
        }
        for a in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "may_add": service.may_manage(user),
    }
    return render(request, "incidents/improvements/list.html", context, status=status)


# ---------------------------------------------------------------- one action


def _visible_or_404(request: HttpRequest, pk: int) -> ImprovementAction:
    try:
        return service.improvement_get_visible(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _detail(
    request: HttpRequest,
    action: ImprovementAction,
    *,
    done_form: NoteForm | None = None,
    cancel_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff(request)
    now = timezone.now()
    category = (
        Category.objects.filter(key=action.category_key).first() if action.category_key else None
    )
    complaint_seen = service.complaint_seen(action, user)
    complaint_shown = action.complaint is not None and complaint_seen
    history = AuditEvent.objects.filter(object_type="improvement", object_id=str(action.pk))
    context: dict[str, Any] = {
        "action": action,
        "source": service.source_text(action, seen=complaint_seen),
        "source_kind": action.source,
        # A complaint's scope (its category, its merchant) is the complaint's, too.
        "scope_shown": complaint_seen,
        "incident_shown": action.incident is not None
        and incident_visible_to(user, action.incident),
        "complaint_shown": complaint_shown,
        "drill_shown": action.drill is not None and may_drill(user),
        "category": category,
        "overdue": service.is_overdue(action, now),
        "effect": service.improvement_effect(action, user=user, now=now),
        "may_complete": service.may_complete(action, user),
        "may_cancel": service.may_cancel(action, user),
        "done_form": done_form or NoteForm(prefix="done"),
        "cancel_form": cancel_form or ReasonForm(prefix="cancel"),
        "history": history.select_related("actor").order_by("at", "pk"),
    }
    return render(request, "incidents/improvements/detail.html", context, status=status)


@login_required
def improvement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_or_404(request, pk))


@login_required
@require_POST
def improvement_complete(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_or_404(request, pk)
    form = NoteForm(request.POST, prefix="done")
    if form.is_valid():
        try:
            service.improvement_complete(
                action=action, actor=staff(request), note=form.cleaned_data["note"]
            )
        except FAILURES as exc:
            form.add_service_errors(exc.field_errors)
            if not isinstance(exc, InvalidInput):
                messages.error(request, exc.detail)
            return _detail(request, action, done_form=form, status=exc.status)
        messages.success(request, _("Improvement action reported done."))
        return redirect("incidents:improvement", pk=action.pk)
    return _detail(request, action, done_form=form, status=422)


@login_required
@require_POST
def improvement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_or_404(request, pk)
    form = ReasonForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            service.improvement_cancel(
                action=action, actor=staff(request), reason=form.cleaned_data["reason"]
            )
        except FAILURES as exc:
            form.add_service_errors(exc.field_errors)
            if not isinstance(exc, InvalidInput):
                messages.error(request, exc.detail)
            return _detail(request, action, cancel_form=form, status=exc.status)
        messages.success(request, _("Improvement action cancelled."))
        return redirect("incidents:improvement", pk=action.pk)
    return _detail(request, action, cancel_form=form, status=422)


# ---------------------------------------------------------------- a new one


def _source(request: HttpRequest, user: User) -> dict[str, Any]:
    """The source named in the query (?complaint=TS-… or ?drill=N; else a report)."""
    params = request.POST if request.method == "POST" else request.GET
    tracking_no = (params.get("complaint") or "").strip()
    drill_id = (params.get("drill") or "").strip()
    if tracking_no:
        complaint = Complaint.objects.visible_to(user).filter(tracking_no=tracking_no).first()
        if complaint is None:
            raise Http404(_("No such complaint."))
        return {"complaint": complaint}
    if drill_id:
        # Digits only, as ASCII (``str.isdigit`` takes "²", which ``int`` refuses).
        drill = (
            Drill.objects.filter(pk=int(drill_id), status=DrillStatus.FINISHED).first()
            if re.fullmatch(r"[0-9]{1,9}", drill_id)
            else None
        )
        if drill is None or not may_drill(user):
            raise Http404(_("No such drill."))
        return {"drill": drill}
    return {}


@login_required
def improvement_new(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if not service.may_manage(user):
        raise PermissionDenied
    source = _source(request, user)
    complaint: Complaint | None = source.get("complaint")
    drill: Drill | None = source.get("drill")
    with_ref = not source
    status = 200
    if request.method == "POST":
        form = ImprovementForm(request.POST, with_ref=with_ref)
        if form.is_valid():
            data = form.cleaned_data
            try:
                action = service.improvement_add(
                    title=data["title"],
                    owner=data["owner"],
                    due_on=data["due_on"],
                    actor=user,
                    source_ref=data.get("source_ref", ""),
                    complaint=complaint,
                    drill=drill,
                    category_key=data["category_key"],
                    merchant=data["merchant"],
                )
            except FAILURES as exc:
                form.add_service_errors(exc.field_errors)
                if not isinstance(exc, InvalidInput) or not exc.field_errors:
                    messages.error(request, exc.detail)
                status = exc.status
            else:
                messages.success(request, _("Improvement action added."))
                return redirect("incidents:improvement", pk=action.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = {}
        if complaint is not None:
            initial = {
                "category_key": complaint.category.key if complaint.category else "",
                "merchant": complaint.merchant,
            }
        form = ImprovementForm(initial=initial, with_ref=with_ref)
    suggestions = service.drill_suggestions(drill) if drill is not None else []
    context = {
        "form": form,
        "complaint": complaint,
        "drill": drill,
        "suggestions": suggestions,
        "people": _people(),
    }
    return render(request, "incidents/improvements/new.html", context, status=status)
