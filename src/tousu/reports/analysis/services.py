"""Asking for an analysis report from a page: the request is checked as the command line
checks it (the period, the plan, a department the person may see), then queued as a
``ReportJob`` that the worker makes (``runner``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.reports.analysis.document import file_stem
from tousu.reports.analysis.runner import KIND, analysis_params
from tousu.reports.analysis.scope import Scope
from tousu.reports.jobs import job_queue
from tousu.reports.models import ReportJob
from tousu.reports.periods import period_parse

PERIOD_KINDS = ("month", "quarter", "year", "range")


def analysis_queue(
    *, user: User, kind: str, period: str, plan: str = "", department: str = ""
) -> ReportJob:
    """Queue the analysis report of ``period`` (a ``kind``: month, quarter, year, range)
    for ``user``. Raises ``InvalidInput`` naming the field for a period that does not
    parse or starts in the future, a plan that does not exist, a department the user may
    not see; nothing is queued then."""
    parsed = period_parse(period, kind=kind if kind in PERIOD_KINDS else "")
    Scope.build(user=user, plan_key=plan or None, department=department or None)
    stem = file_stem({"period": {"key": parsed.key}})
    return job_queue(
        kind=KIND,
        title=stem,
        params=analysis_params(
            period=parsed.key, kind=parsed.kind, plan=plan, department=department
        ),
        user=user,
    )


def kind_label(kind: str) -> str:
    return {
        "month": _("Month"),
        "quarter": _("Quarter"),
        "year": _("Year"),
        "range": _("Date range"),
    }[kind]
