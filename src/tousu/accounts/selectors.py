"""Reads for organisation and departments."""

from __future__ import annotations

from django.db.models import QuerySet

from tousu.accounts.models import Department, Organisation


def organisation_current() -> Organisation | None:
    return Organisation.objects.order_by("pk").first()


def department_subtree_ids(department_id: int) -> set[int]:
    """The ids of a department and all departments below it (one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("code")
