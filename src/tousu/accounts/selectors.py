"""Reads for organisation and departments."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from tousu.accounts.models import Department, Organisation
from tousu.core.config import (
    config_cached,
    config_scope,
    config_scoped,
    config_token_handover,
)


def organisation_current() -> Organisation | None:
    """The organisation; inside a ``config_scope`` (a registration) the one kept in this
    process until the configuration changes — shared then: callers must not change it."""
    if not config_scoped():
        return Organisation.objects.order_by("pk").first()
    return config_cached(
        "accounts.organisation", lambda: Organisation.objects.order_by("pk").first()
    )


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


def user_permissions_prime(user: Any) -> None:
    """Give ``user`` (an active staff member just authenticated) the permission set it
    had last time, kept in this process until the configuration changes
    (``core.config``: groups, grants and users are watched): ``has_perm`` then asks the
    database nothing. A superuser needs no set."""
    if not getattr(user, "is_active", False) or user.is_superuser:
        return

    def build() -> frozenset[str]:
        return frozenset(ModelBackend().get_all_permissions(user))

    outer = config_scoped()  # a request that changes nothing holds one scope throughout
    with config_scope():
        # The model backend's own per-instance cache, filled as it would fill it itself.
        user._perm_cache = set(config_cached(f"accounts.perms:{user.pk}", build))
        if not outer:
            # Read once for the request: a registration it makes uses the same token.
            config_token_handover()


def departments_cached() -> dict[str, dict[Any, Department]]:
    """Active departments by ``code`` and by ``id``, kept in this process until the
    configuration changes. Shared: callers must not change them."""

    def build() -> dict[str, dict[Any, Department]]:
        rows = list(Department.objects.filter(is_active=True))
        return {"code": {d.code: d for d in rows}, "id": {d.pk: d for d in rows}}

    return config_cached("accounts.departments", build)
