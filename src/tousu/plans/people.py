"""Who a plan's role names mean for one complaint."""

from __future__ import annotations

from collections.abc import Sequence

from tousu.accounts.choices import Role
from tousu.accounts.models import Department, User
from tousu.core.config import config_cached
from tousu.plans.definition import Case, user_plays
from tousu.plans.schema import Plan


def staff_with_role(system_role: str) -> list[User]:
    """The active staff holding ``system_role``, with their departments, roles and
    notification channels. Inside a ``config_scope`` (a request, a worker's chunk) kept in
    this process until the configuration changes (users, their roles, departments and
    channels are watched), so an action's hand-off reads nobody. Shared: callers must
    not change the list or the people."""

    def build() -> list[User]:
        return list(
            User.objects.filter(is_active=True, groups__name=system_role)
            .select_related("department__parent")
            .prefetch_related("groups", "notification_channels")
            .order_by("username")
        )

    return config_cached(f"plans.staff:{system_role}", build)


def department_heads(complaint: Case) -> list[User]:
    """The heads of the complaint's department, or of the nearest department above it."""
    return _heads_from(complaint.department)


def _heads_from(department: Department | None, *, besides: int | None = None) -> list[User]:
    while department is not None:
        heads = list(
            User.objects.filter(
                is_active=True, department=department, groups__name=Role.DEPARTMENT_HEAD
            ).prefetch_related("groups", "notification_channels")
        )
        heads = [h for h in heads if h.pk != besides]
        if heads:
            return heads
        department = department.parent
    return []


def _complained_person(complaint: Case) -> User | None:
    """被投诉人, once an action has named them (workflow ``complained_person``)."""
    pk = (complaint.workflow or {}).get("complained_person")
    if not pk:
        return None
    return User.objects.select_related("department__parent").filter(pk=pk).first()


def direct_superiors(person: User) -> list[User]:
    """The person's direct superior: the head of their department, or — for a head —
    the head of the department above."""
    return _heads_from(person.department, besides=person.pk)


def people_for(complaint: Case, role_keys: list[str], plan: Plan) -> list[User]:
    """Active staff who play any of ``role_keys`` for ``complaint`` (the staff of each
    system role as ``staff_with_role`` keeps them)."""
    found: dict[int, User] = {}
    people: Sequence[User | None]
    for key in role_keys:
        if key == "assignee":
            people = [complaint.assignee] if complaint.assignee_id else [complaint.received_by]
        elif key == "received_by":
            people = [complaint.received_by]
        elif key == "department_head":
            people = department_heads(complaint)
        elif key == "meeting_owner":
            owner = ((complaint.workflow or {}).get("meeting") or {}).get("owner")
            people = list(User.objects.filter(pk=owner)) if owner else []
        elif key in ("complained_person", "complained_person_superior"):
            person = _complained_person(complaint)
            if person is None:
                people = []
            elif key == "complained_person":
                people = [person]
            else:
                people = direct_superiors(person)
        else:
            role = plan.roles.get(key)
            if role is None:
                continue
            candidates = staff_with_role(role.system_role)
            people = [u for u in candidates if user_plays(u, key, complaint, plan)]
        for person in people:
            if person is not None and person.is_active:
                found[person.pk] = person
    return sorted(found.values(), key=lambda u: u.username)
