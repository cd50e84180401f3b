"""Staff pages for plans: the list, a plan with its revisions and history, a revision's
file, the difference between two revisions, and activation by administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.accounts.models import Department
from tousu.audit.models import AuditEvent
from tousu.core.problems import NotAllowed, NotFound
from tousu.plans.compare import plan_compare
from tousu.plans.flowchart import flowchart
from tousu.plans.selectors import plan_get, plans_list, revision_diff, revision_get
from tousu.plans.services import plan_activate


def _or_404(call, *args):
    try:
        return call(*args)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/list.html", {"plans": plans_list()})


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def plan_detail(request: HttpRequest, key: str) -> HttpResponse:
    """A plan: the flow chart and stages of the selected revision (``?r=N``, the active
    one by default), its revisions and the history of changes."""
    plan = _or_404(plan_get, key)
    revisions = plan.revisions.select_related("author").order_by("-number")
    history = (
        AuditEvent.objects.filter(object_type="plan", object_id=plan.key)
        .select_related("actor")
        .order_by("-seq")[:50]
    )
    selected = plan.active_revision
    wanted = request.GET.get("r")
    if wanted:
        if not wanted.isdigit():
            raise Http404(_("There is no such revision."))
        selected = _or_404(revision_get, key, int(wanted))
    chart = flowchart(selected.plan_model) if selected else None
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "revisions": revisions,
            "history": history,
            "selected": selected,
            "definition": selected.plan_model if selected else None,
            # The chart's SVG is built by ``flowchart`` with every text escaped.
            "chart_svg": mark_safe(chart.svg) if chart else "",  # noqa: S308
            "can_activate": request.user.has_perm("plans.change_plan"),
        },
    )


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_flowchart(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """The flow chart of one revision as an SVG image (to save, print or embed)."""
    revision = _or_404(revision_get, key, number)
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + flowchart(revision.plan_model).svg,
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{revision.plan.key}-r{number}.svg"'
    return response


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_source(request: HttpRequest, key: str, number: int) -> HttpResponse:
    revision = _or_404(revision_get, key, number)
    return render(request, "plans/source.html", {"revision": revision})


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_compare(request: HttpRequest, key: str, a: int, b: int) -> HttpResponse:
    """What changed from revision ``a`` to ``b``, in the plan's words, with the files'
    line diff folded below for experts."""
    first = _or_404(revision_get, key, a)
    second = _or_404(revision_get, key, b)
    departments = dict(Department.objects.values_list("code", "name"))
    sections = plan_compare(first.plan_model, second.plan_model, departments) if a != b else []
    raw = revision_diff(key, a, b) if a != b else ""
    return render(
        request,
        "plans/diff.html",
        {
            "plan": first.plan,
            "a": a,
            "b": b,
            "first": first,
            "second": second,
            "same": a == b,
            "sections": sections,
            "raw_lines": [(line[:1], line) for line in raw.splitlines()],
            "revisions": first.plan.revisions.order_by("-number"),
        },
    )


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_compare_pick(request: HttpRequest, key: str) -> HttpResponse:
    """The form on the plan page: two revision numbers → their comparison."""
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    if not (a.isdigit() and b.isdigit()):
        messages.error(request, _("Choose two revisions to compare."))
        return redirect("plans:detail", key=key)
    return redirect("plans:diff", key=key, a=int(a), b=int(b))


@login_required
@require_POST
def revision_activate(request: HttpRequest, key: str, number: int) -> HttpResponse:
    revision = _or_404(revision_get, key, number)
    try:
        plan_activate(revision=revision, actor=staff(request))
    except NotAllowed as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, _("Revision %(number)d is now active.") % {"number": revision.number}
        )
    return redirect("plans:detail", key=key)
