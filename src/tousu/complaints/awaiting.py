"""What is each person's to do now: the complaints on which the plan gives them an action
in the stage they are in — the 我的待办 page and the list's 待我办理 filter.

The plan's actions are turned into one query condition (stage, the action's ``when``,
and who plays its roles), so a work list is one query, not a check per complaint; a
test holds it equal to ``engine.actions_available`` over the demo organisation.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from tousu.accounts.selectors import department_subtree_ids
from tousu.complaints.models import Complaint
from tousu.complaints.revisions import plan_revisions
from tousu.deadlines.models import Deadline
from tousu.plans.schema import Condition, Plan

ALWAYS = Q(pk__isnull=False)


def _subtree(user) -> list[int]:
    if user.department_id is None:
        return []
    subtree = getattr(user, "_department_subtree", None)
    if subtree is None:
        subtree = user._department_subtree = department_subtree_ids(user.department_id)
    return sorted(subtree)


def _codes_up(department) -> set[str]:
    codes = set()
    while department is not None:
        codes.add(department.code)
        department = department.parent
    return codes


def role_condition(user, role_key: str, plan: Plan) -> Q | None:
    """Where ``user`` plays plan role ``role_key`` (None: nowhere) — the query form of
    ``plans.definition.user_plays``."""
    if role_key == "assignee":
        return Q(assignee=user)
    if role_key == "received_by":
        return Q(received_by=user)
    if role_key == "meeting_owner":
        return Q(workflow__meeting__owner=user.pk)
    if role_key == "department_head":
        subtree = _subtree(user)
        return (
            Q(department_id__in=subtree) if user.has_role("department_head") and subtree else None
        )
    role = plan.roles.get(role_key)
    if role is None or not user.has_role(role.system_role):
        return None
    if role.department and (
        user.department is None or role.department not in _codes_up(user.department)
    ):
        return None
    if role.scope == "complaint_department":
        subtree = _subtree(user)
        return Q(department_id__in=subtree) if subtree else None
    if role.scope == "own":
        return Q(assignee=user)
    return ALWAYS


def _when_condition(when: Condition | None) -> Q:
    if when is None:
        return ALWAYS
    condition = ALWAYS
    for name, wanted in (
        ("severity", when.severity),
        ("nature", when.nature),
        ("channel", when.channel),
    ):
        if wanted is not None:
            condition &= Q(**{f"{name}__in": wanted})
    if when.category is not None:
        keys = when.category
        condition &= (
            Q(category__key__in=keys)
            | Q(category__parent__key__in=keys)
            | Q(category__parent__parent__key__in=keys)
        )
    return condition


def awaiting_condition(user, revisions) -> Q | None:
    """The complaints (under the given plan revisions) on which ``user`` has an action
    now; None when there are none anywhere."""
    found: Q | None = None
    for revision_id, plan in revisions:
        roles: dict[str, Q | None] = {}
        for stage_key, stage in plan.stages.items():
            for action in stage.actions:
                who: Q | None = None
                for role_key in action.by:
                    if role_key not in roles:
                        roles[role_key] = role_condition(user, role_key, plan)
                    plays = roles[role_key]
                    if plays is not None:
                        who = plays if who is None else who | plays
                if who is None:
                    continue
                here = Q(plan_revision_id=revision_id, stage=stage_key)
                here &= _when_condition(action.when) & who
                found = here if found is None else found | here
    return found


def complaints_awaiting(user, queryset: QuerySet | None = None) -> QuerySet:
    """Visible complaints where ``user`` has something to do now, soonest deadline
    first (cases without a running deadline last)."""
    base = Complaint.objects.visible_to(user) if queryset is None else queryset
    condition = awaiting_condition(user, plan_revisions(user))
    if condition is None:
        return base.none()
    return base.filter(condition)


def with_next_deadline(queryset: QuerySet) -> QuerySet:
    """Each complaint annotated with its earliest running deadline and that deadline's
    warning point (correlated subqueries: computed only for the rows read, and left out
    of a count)."""
    running = Deadline.objects.filter(
        complaint=OuterRef("pk"), closed_at__isnull=True, paused_at__isnull=True
    ).order_by("due_at", "pk")
    return queryset.annotate(
        next_due=Subquery(running.values("due_at")[:1]),
        next_warn=Subquery(running.values("warn_at")[:1]),
    )


def work_list(user) -> QuerySet:
    """The 我的待办 list: what ``user`` must do now, in deadline order."""
    return (
        with_next_deadline(complaints_awaiting(user))
        .select_related("category", "department", "assignee", "plan_revision")
        .order_by(F("next_due").asc(nulls_last=True), "received_at", "pk")
    )


def urgency(next_due: datetime | None, next_warn: datetime | None, now: datetime) -> str:
    """overdue / due_soon (past its warning point) / "" for a row of a work list."""
    if next_due is None:
        return ""
    if next_due <= now:
        return "overdue"
    if next_warn is not None and next_warn <= now:
        return "due_soon"
    return ""
