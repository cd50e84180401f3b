"""The organisation's plan revisions as the readers of one request need them."""

from __future__ import annotations

from tousu.accounts.models import Organisation
from tousu.plans.definition import plan_from
from tousu.plans.models import PlanRevision
from tousu.plans.schema import Plan


def plan_revisions(user) -> list[tuple[int, Plan]]:
    """The revisions of the organisation's plan, (pk, typed plan), read once per request
    (cached on the user object)."""
    cached = getattr(user, "_plan_revisions", None)
    if cached is None:
        plan_id = Organisation.objects.values_list("plan_id", flat=True).first()
        rows = (
            PlanRevision.objects.filter(plan_id=plan_id).values_list("pk", "sha256", "definition")
            if plan_id
            else []
        )
        cached = [(pk, plan_from(sha256, definition)) for pk, sha256, definition in rows]
        user._plan_revisions = cached
    return cached
