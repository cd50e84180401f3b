"""The worker's part of the analysis report: a ``ReportJob`` of kind ``analysis`` (queued
by the page, ``views``) made into its Word document and PDF, as the person who asked."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from tousu.reports.analysis.document import analysis_documents
from tousu.reports.analysis.figures import REPORT_LANGUAGE, analysis_figures
from tousu.reports.jobs import Progress, runner
from tousu.reports.models import ReportJob
from tousu.reports.periods import period_parse

KIND = "analysis"
# Steps the progress bar counts: figures, five drawings and writings, done.
STEPS = 8


def analysis_params(*, period: str, kind: str, plan: str = "", department: str = "") -> dict:
    """A job's parameters (JSON values only)."""
    return {"period": period, "kind": kind, "plan": plan, "department": department}


@runner(KIND)
def analysis_run(job: ReportJob, progress: Progress) -> dict[str, Any]:
    """Figures through the asker's gate, then the two documents from one body."""
    params = job.params
    if job.requested_by is None:
        raise ValueError("an analysis job is made for the person who asked")
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done = min(done + 1, STEPS - 1)
        progress(done, STEPS, text)

    with translation.override(REPORT_LANGUAGE):
        progress(0, STEPS, _("Counting the figures"))
    period = period_parse(params["period"], kind=params.get("kind", ""))
    figures = analysis_figures(
        period,
        user=job.requested_by,
        plan_key=params.get("plan") or None,
        department=params.get("department") or None,
    )
    made = analysis_documents(figures, step)
    progress(STEPS, STEPS, "")
    return dict(made)
