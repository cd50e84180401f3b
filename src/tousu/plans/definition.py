"""Reading a stored plan definition (the validated JSON of a revision) for one complaint:
the typed plan it holds, who plays which plan role, which conditions hold."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tousu.accounts.models import Department, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.core.actors import Actor, ComplainantActor
from tousu.plans.schema import Condition, Plan, Role

if TYPE_CHECKING:
    from tousu.plans.models import Category, PlanRevision

# Validated plans by the SHA-256 of their revision's file: revisions are immutable and
# content-addressed, so an entry never goes stale (not even when a test database reuses
# a primary key). Bounded: a process sees few revisions.
PLAN_CACHE_SIZE = 64
_plans: OrderedDict[str, Plan] = OrderedDict()
_plans_lock = threading.Lock()


class Case(Protocol):
    """What the engine reads of a complaint (the complaint app's model has it all): a
    protocol, so the plans app names no model of the apps above it."""

    @property
    def pk(self) -> int: ...

    @property
    def tracking_no(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def nature(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def category(self) -> Category: ...

    @property
    def category_id(self) -> int: ...

    @property
    def department(self) -> Department: ...

    @property
    def department_id(self) -> int: ...

    @property
    def assignee(self) -> User | None: ...

    @property
    def assignee_id(self) -> int | None: ...

    @property
    def received_by(self) -> User | None: ...

    @property
    def received_by_id(self) -> int | None: ...

    @property
    def complainant_id(self) -> int: ...

    @property
    def confidential(self) -> bool: ...

    @property
    def emergency_marked(self) -> bool: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def workflow(self) -> Any: ...

    @property
    def plan_revision(self) -> PlanRevision | None: ...

    @property
    def plan_revision_id(self) -> int | None: ...


def _cached(sha256: str) -> Plan | None:
    with _plans_lock:
        plan = _plans.get(sha256)
        if plan is not None:
            _plans.move_to_end(sha256)
        return plan


def plan_from(sha256: str, definition: Any) -> Plan:
    """The typed plan of a stored definition whose file has digest ``sha256``."""
    plan = _cached(sha256)
    if plan is None:
        plan = Plan.model_validate(definition)
        with _plans_lock:
            _plans[sha256] = plan
            while len(_plans) > PLAN_CACHE_SIZE:
                _plans.popitem(last=False)
    return plan


def plan_of(revision: PlanRevision) -> Plan:
    """The typed plan of ``revision``, validated once per process and file (its
    ``definition`` is not even read when the plan is cached)."""
    return _cached(revision.sha256) or plan_from(revision.sha256, revision.definition)


def plan_for(complaint: Case) -> Plan:
    """The plan ``complaint`` runs under (callers check ``plan_revision_id`` first; a
    complaint without a plan has none)."""
    revision = complaint.plan_revision
    if revision is None:
        raise ValueError(f"complaint {complaint.tracking_no} runs under no plan")
    return revision.plan_model


def _category_lineage(category: Category | None) -> set[str]:
    keys = set()
    while category is not None:
        keys.add(category.key)
        category = category.parent
    return keys


def condition_holds(condition: Condition | None, complaint: Case) -> bool:
    """True when the complaint matches every list of the condition."""
    if condition is None:
        return True
    if condition.severity is not None and complaint.severity not in condition.severity:
        return False
    if condition.nature is not None and complaint.nature not in condition.nature:
        return False
    if condition.channel is not None and complaint.channel not in condition.channel:
        return False
    if (
        condition.amount_at_least is not None
        and (getattr(complaint, "amount_involved", None) or 0) < condition.amount_at_least
    ):
        return False
    if (
        condition.injured_at_least is not None
        and (getattr(complaint, "people_injured", 0) or 0) < condition.injured_at_least
    ):
        return False
    wanted = condition.category
    return not (wanted is not None and not _category_lineage(complaint.category) & set(wanted))


def _in_department(user: User, department_id: int | None) -> bool:
    if user.department_id is None or department_id is None:
        return False
    subtree = getattr(user, "_department_subtree", None)
    if subtree is None:
        subtree = user._department_subtree = department_subtree_ids(user.department_id)
    return department_id in subtree


def user_plays(user: Actor, role_key: str, complaint: Case, plan: Plan) -> bool:
    """Whether ``user`` acts as plan role ``role_key`` (or built-in person) here."""
    if isinstance(user, ComplainantActor):
        # The complainant plays only the built-in role, and only on their own complaint.
        return role_key == "complainant" and user.complainant_id == complaint.complainant_id
    if role_key == "complainant":
        return False
    if user.pk is None:
        return False  # the system plays no person's part (None would match an empty one)
    if role_key == "assignee":
        return complaint.assignee_id == user.pk
    if role_key == "received_by":
        return complaint.received_by_id == user.pk
    if role_key == "meeting_owner":
        meeting = (complaint.workflow or {}).get("meeting") or {}
        return bool(meeting.get("owner") == user.pk)
    if role_key == "department_head":
        return (
            user.has_role("department_head")
            and isinstance(user, User)
            and _in_department(user, complaint.department_id)
        )
    role = plan.roles.get(role_key)
    if role is None or not user.has_role(role.system_role):
        return False
    if not isinstance(user, User):  # only staff hold roles (the system holds none)
        return False
    if role.department and (
        user.department is None or role.department not in _department_codes_up(user.department)
    ):
        return False
    if role.scope == "complaint_department":
        return _in_department(user, complaint.department_id)
    if role.scope == "own":
        return complaint.assignee_id == user.pk
    return True


def _department_codes_up(department: Department | None) -> set[str]:
    codes = set()
    while department is not None:
        codes.add(department.code)
        department = department.parent
    return codes


def roles_label(plan: Plan, role_keys: list[str]) -> str:
    labels = []
    for key in role_keys:
        role = plan.roles.get(key)
        labels.append(role.label if role else key)
    return "、".join(labels)


def plays_anywhere(user: User, role: Role) -> bool:
    """Whether ``user`` plays plan role ``role`` on any complaint (scope ``any``)."""
    if role.scope != "any" or not user.has_role(role.system_role):
        return False
    return not role.department or (
        user.department is not None and role.department in _department_codes_up(user.department)
    )


def stages_acted_in(user: User, revisions: Iterable[tuple[int, Plan]]) -> dict[int, set[str]]:
    """For each plan revision, the stages where ``user`` has an action to take.

    Staff see a complaint while its plan gives them something to do with it (finance
    paying a refund, the office turning a case malicious), wherever it sits."""
    found: dict[int, set[str]] = {}
    for revision_id, plan in revisions:
        mine = {key for key, role in plan.roles.items() if plays_anywhere(user, role)}
        if not mine:
            continue
        for stage_key, stage in plan.stages.items():
            if any(set(action.by) & mine for action in stage.actions):
                found.setdefault(revision_id, set()).add(stage_key)
    return found
