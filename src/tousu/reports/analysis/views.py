"""The page where a person asks for an analysis report: a form that queues a job and
sends them to the job's page, where it is followed until the two files can be fetched."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tousu.accounts.http import staff
from tousu.core.problems import InvalidInput
from tousu.reports.analysis.forms import AnalysisForm
from tousu.reports.analysis.services import analysis_queue


@login_required
def analysis_form(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = AnalysisForm(request.POST or None, user=user, initial={"kind": "month"})
    if request.method == "POST" and form.is_valid():
        try:
            job = analysis_queue(user=user, **form.cleaned_data)
        except InvalidInput as exc:
            for field, messages in exc.field_errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("reports:job", job.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "reports/analysis/form.html", {"form": form}, status=status)
