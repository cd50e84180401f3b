"""Staff pages: the supervision board (督办) with reminders and supervision notices, and
the assessment ledger per month with its payroll export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.http import staff
from tousu.assessment.models import PenaltyEntry
from tousu.assessment.penalties import penalty_contest, penalty_waive
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.supervision.reminders import supervision_remind
from tousu.supervision.selectors import penalties_for_period, penalty_as_dict, supervision_board


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if not user.supervises:
        raise PermissionDenied
    return render(request, "supervision/board.html", supervision_board(user=user))


@login_required
@require_POST
def remind(request: HttpRequest, deadline_id: int) -> HttpResponse:
    from tousu.complaints.models import Complaint

    user = staff(request)
    row = Deadline.objects.filter(
        pk=deadline_id, complaint__in=Complaint.objects.visible_to(user).values("pk")
    ).first()
    if row is None:
        raise Http404
    kind = request.POST.get("kind", "reminder")
    try:
        supervision_remind(actor=user, deadline=row, kind=kind, note=request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Sent."))
    return redirect("supervision:board")


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period") or f"{timezone.localdate():%Y-%m}"
    user = staff(request)
    entries = penalties_for_period(period, user=user)
    return render(
        request,
        "supervision/ledger.html",
        {"period": period, "entries": entries, "can_waive": user.has_role("leadership")},
    )


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    if not staff(request).has_role("supervisor", "leadership", "administrator"):
        raise PermissionDenied
    period = request.GET.get("period") or f"{timezone.localdate():%Y-%m}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="penalties-{period}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Period"),
            _("Username"),
            _("Name"),
            _("Department"),
            _("Rule"),
            _("Complaint"),
            _("Amount (yuan)"),
            _("Performance"),
            _("Status"),
        ]
    )
    for entry in penalties_for_period(period, user=staff(request)):
        row = penalty_as_dict(entry)
        writer.writerow(
            [
                row["period"],
                row["person"],
                row["name"],
                row["department"],
                row["rule_label"],
                row["complaint"],
                row["amount"],
                entry.get_performance_display() if entry.performance else "",
                entry.get_status_display(),
            ]
        )
    return response


@login_required
@require_POST
def ledger_decide(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = PenaltyEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    act = penalty_waive if request.POST.get("decision") == "waive" else penalty_contest
    try:
        act(actor=staff(request), entry=entry, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect(f"/supervision/penalties/?period={entry.period}")
