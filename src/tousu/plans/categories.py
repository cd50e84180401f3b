"""The category tree follows the organisation's plan."""

from __future__ import annotations

from django.db import transaction

from tousu.plans import schema
from tousu.plans.models import Category


def categories_sync(*, plan: schema.Plan) -> None:
    """Make the category table match a plan's category tree (keys are stable; categories
    the plan no longer lists are deactivated, never deleted, so old complaints keep them)."""
    keep: set[str] = set()

    def walk(nodes: list[schema.Category], parent: Category | None) -> None:
        for node in nodes:
            category, _created = Category.objects.update_or_create(
                key=node.key,
                defaults={"name": node.label, "parent": parent, "is_active": True},
            )
            keep.add(node.key)
            walk(node.children, category)

    with transaction.atomic():
        walk(plan.categories, None)
        Category.objects.exclude(key__in=keep).update(is_active=False)
