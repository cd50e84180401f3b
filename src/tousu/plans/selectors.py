"""Reads of plans and revisions."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, QuerySet

from tousu.core.config import config_cached
from tousu.core.problems import NotFound
from tousu.plans.models import Plan, PlanRevision

if TYPE_CHECKING:  # django-stubs' helper types: not needed at run time
    from django_stubs_ext import WithAnnotations


class PlanCounts(TypedDict):
    revision_count: int


def plans_list() -> QuerySet[WithAnnotations[Plan, PlanCounts]]:
    return (
        Plan.objects.select_related("active_revision")
        .annotate(revision_count=Count("revisions"))
        .order_by("key")
    )


def plan_get(key: str) -> Plan:
    plan = Plan.objects.select_related("active_revision").filter(key=key).first()
    if plan is None:
        raise NotFound(f"no plan {key}")
    return plan


def revision_get(key: str, number: int | None = None) -> PlanRevision:
    plan = plan_get(key)
    if number is None:
        if plan.active_revision is None:
            raise NotFound(f"plan {key} has no active revision")
        return plan.active_revision
    revision = plan.revisions.filter(number=number).first()
    if revision is None:
        raise NotFound(f"plan {key} has no revision {number}")
    return revision


def revision_diff(key: str, a: int, b: int) -> str:
    """A unified diff of two revisions' files."""
    first, second = revision_get(key, a), revision_get(key, b)
    return "".join(
        difflib.unified_diff(
            first.source.splitlines(keepends=True),
            second.source.splitlines(keepends=True),
            fromfile=f"{key} r{a} ({first.effective_date})",
            tofile=f"{key} r{b} ({second.effective_date})",
        )
    )


def revision_cached(pk: int) -> PlanRevision:
    """Revision ``pk`` with its plan and typed plan loaded, kept in this process until the
    configuration changes (revisions are immutable). Shared: callers must not change it."""

    def build() -> PlanRevision:
        revision = PlanRevision.objects.select_related("plan").get(pk=pk)
        revision.plan_model  # noqa: B018 — parsed once, here
        return revision

    return config_cached(f"plans.revision:{pk}", build)
