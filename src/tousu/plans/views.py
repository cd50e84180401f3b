"""Staff pages for plans: the list, a plan with its revisions and history, a revision's
file, the difference between two revisions, and activation by administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.audit.models import AuditEvent
from tousu.core.problems import NotAllowed, NotFound
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
    plan = _or_404(plan_get, key)
    revisions = plan.revisions.select_related("author").order_by("-number")
    history = (
        AuditEvent.objects.filter(object_type="plan", object_id=plan.key)
        .select_related("actor")
        .order_by("-seq")[:50]
    )
    active = plan.active_revision
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "revisions": revisions,
            "history": history,
            "definition": active.plan_model if active else None,
            "can_activate": request.user.has_perm("plans.change_plan"),
        },
    )


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_source(request: HttpRequest, key: str, number: int) -> HttpResponse:
    revision = _or_404(revision_get, key, number)
    return render(request, "plans/source.html", {"revision": revision})


@login_required
@permission_required("plans.view_plan", raise_exception=True)
def revision_compare(request: HttpRequest, key: str, a: int, b: int) -> HttpResponse:
    diff = _or_404(revision_diff, key, a, b)
    return render(request, "plans/diff.html", {"plan": plan_get(key), "a": a, "b": b, "diff": diff})


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
