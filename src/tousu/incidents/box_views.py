"""The emergency box of a complaint's page (loaded into it by htmx): the incidents the
complaint is linked to, as far as the reader may see them, and the form that activates
the plan's emergency response from it (上报/升级)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.complaints.models import Complaint
from tousu.complaints.selectors import complaint_get_visible
from tousu.core.problems import InvalidInput, NotFound
from tousu.incidents import activation, triggers
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus
from tousu.incidents.forms import EscalateForm
from tousu.incidents.labels import level_of
from tousu.incidents.models import Incident
from tousu.incidents.presenters import STATUS_COLOURS
from tousu.incidents.selectors import incident_visible_to, incidents_visible
from tousu.incidents.views import FAILURES


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _complaint_or_404(request: HttpRequest, tracking_no: str) -> Complaint:
    try:
        return complaint_get_visible(user=request.user, tracking_no=tracking_no)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _box_context(
    request: HttpRequest, complaint: Complaint, form: EscalateForm | None = None
) -> dict[str, Any]:
    user = staff(request)
    linked = Incident.objects.filter(links__complaint=complaint)
    visible = list(
        incidents_visible(user)
        .filter(links__complaint=complaint)
        .select_related("plan_revision")
        .order_by("-opened_at", "-pk")
    )
    hidden = linked.count() - len(visible)
    plan = complaint.plan if complaint.plan_revision_id else None
    may = False
    if plan is not None and plan.emergency is not None:
        may = activation.may_activate(plan, user, complaint)
        if may and form is None:
            form = EscalateForm(plan=plan)
    return {
        "complaint": complaint,
        "incidents": [
            {
                "incident": i,
                "level": level_of(i.plan_revision.plan_model, i.level),
                "status_colour": STATUS_COLOURS.get(IncidentStatus(i.status), "secondary"),
            }
            for i in visible
        ],
        "hidden": hidden,
        "form": form,
        "running": any(i.status in OPEN_STATUSES for i in visible),
    }


@login_required
def complaint_box(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The emergency box of the complaint page (loaded into it by htmx): the incidents
    the complaint is linked to, and the form that activates the plan from it."""
    complaint = _complaint_or_404(request, tracking_no)
    return render(request, "incidents/_complaint_box.html", _box_context(request, complaint))


@login_required
@require_POST
def complaint_escalate(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = _complaint_or_404(request, tracking_no)
    plan = complaint.plan if complaint.plan_revision_id else None
    if plan is None or plan.emergency is None:
        raise Http404(_("This complaint's plan has no emergency part."))
    form = EscalateForm(request.POST, plan=plan)
    status = 422
    if form.is_valid():
        try:
            incident = triggers.complaint_escalate_to_incident(
                complaint=complaint,
                actor=staff(request),
                level=form.cleaned_data["level"] or "",
                reason=form.cleaned_data["reason"],
            )
        except FAILURES as exc:
            form.add_service_errors(exc.field_errors)
            if not isinstance(exc, InvalidInput) or not exc.field_errors:
                form.add_error(None, exc.detail)
            status = exc.status
        else:
            messages.success(
                request,
                _("Emergency response %(number)s at level %(level)s.")
                % {
                    "number": incident.number,
                    "level": level_of(incident.plan_revision.plan_model, incident.level)["label"],
                },
            )
            if incident_visible_to(request.user, incident):
                target = reverse("incidents:detail", args=[incident.number])
            else:
                target = reverse("complaints:detail", args=[complaint.tracking_no])
            if _htmx(request):
                return HttpResponse(status=204, headers={"HX-Redirect": target})
            return redirect(target)
    context = _box_context(request, complaint, form=form)
    template = "incidents/_complaint_box.html" if _htmx(request) else "incidents/escalate.html"
    return render(request, template, context, status=status)
