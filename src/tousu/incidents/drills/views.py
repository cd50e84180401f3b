"""The drills page: the drills with their status and figures, a form to start one with a
shipped scenario (it runs in the background), each report as HTML and PDF, and the
proposed plan revision stored as a draft. For the leadership and administrators."""

from __future__ import annotations

import base64
import hashlib
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.core.problems import ServiceError
from tousu.incidents.choices import DrillStatus
from tousu.incidents.drills import services
from tousu.incidents.drills.forms import DrillStartForm
from tousu.incidents.drills.scenario import shipped_source
from tousu.incidents.drills.selectors import drills_list
from tousu.incidents.models import Drill

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def _allowed(request: HttpRequest):
    user = staff(request)
    if not services.may_drill(user):
        raise PermissionDenied
    return user


def _drill(pk: int) -> Drill:
    drill = Drill.objects.select_related("plan", "plan_revision").filter(pk=pk).first()
    if drill is None:
        raise Http404(_("No such drill."))
    return drill


@login_required
def drill_list(request: HttpRequest, form: DrillStartForm | None = None) -> HttpResponse:
    _allowed(request)
    drills = list(drills_list()[:100])
    return render(
        request,
        "incidents/drills/list.html",
        {
            "drills": drills,
            # While one runs, the list follows it (htmx polls and swaps the table).
            "any_running": any(d.status == DrillStatus.RUNNING for d in drills),
            "form": form or DrillStartForm(),
            "running": DrillStatus.RUNNING,
            "finished": DrillStatus.FINISHED,
        },
    )


@login_required
@require_POST
def drill_start_view(request: HttpRequest) -> HttpResponse:
    user = _allowed(request)
    form = DrillStartForm(request.POST)
    if not form.is_valid():
        return drill_list(request, form)
    name = form.cleaned_data["scenario"]
    try:
        drill = services.drill_start(
            plan_key=form.cleaned_data["plan"],
            source=shipped_source(name),
            scenario_name=name,
            actor=user,
            speed=form.cleaned_data["speed"],
        )
    except ServiceError as exc:
        form.add_error(None, exc.detail)
        for field, problems in exc.field_errors.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, f"{field}: {problem}")
        return drill_list(request, form)
    services.drill_spawn(drill)
    messages.success(
        request,
        _("Drill %(number)s of %(plan)s started; it runs in the background.")
        % {"number": drill.pk, "plan": drill.plan.name},
    )
    return redirect("drills:list")


@login_required
def drill_report(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    drill = _drill(pk)
    if not drill.report_html:
        raise Http404(_("This drill has no report."))
    response = HttpResponse(drill.report_html)
    # The report is a document of its own: its one style block, nothing else.
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _STYLE.findall(drill.report_html)
    )
    styles = hashes or "'none'"
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {styles}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response


@login_required
def drill_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    drill = _drill(pk)
    pdf = bytes(drill.report_pdf or b"")
    if not pdf:
        raise Http404(_("This drill has no report."))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="drill-{drill.pk}-{drill.plan.key}.pdf"'
    return response


@login_required
@require_POST
def drill_revision(request: HttpRequest, pk: int) -> HttpResponse:
    user = _allowed(request)
    drill = _drill(pk)
    try:
        revision = services.drill_revision_propose(drill=drill, actor=user)
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return redirect("drills:list")
    messages.success(
        request,
        _("Revision %(number)s of %(plan)s is stored as a draft for the administrator.")
        % {"number": revision.number, "plan": drill.plan.name},
    )
    return redirect("plans:detail", key=drill.plan.key)
