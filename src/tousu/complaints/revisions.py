"""The organisation's plan revisions as the readers of one request need them."""

from __future__ import annotations

from tousu.accounts.models import Organisation
from tousu.plans.models import PlanRevision


def plan_revisions(user) -> list[tuple[int, dict]]:
    """The revisions of the organisation's plan, (pk, definition), read once per request
    (cached on the user object)."""
    cached = getattr(user, "_plan_revisions", None)
    if cached is None:
        plan_id = Organisation.objects.values_list("plan_id", flat=True).first()
        cached = (
            list(PlanRevision.objects.filter(plan_id=plan_id).values_list("pk", "definition"))
            if plan_id
            else []
        )
        user._plan_revisions = cached
    return cached
