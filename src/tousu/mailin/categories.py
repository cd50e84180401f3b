"""The category of a complaint made from a mail, when none is configured."""

from __future__ import annotations

from tousu.complaints.services import plan_revision_current
from tousu.plans.models import Category


def mail_category() -> str:
    """The key of the plan's first category without sub-categories (a mail says nothing
    of its category; staff reclassify it), or of the first active leaf category when the
    organisation runs no plan; "" when there is none."""
    revision = plan_revision_current()
    if revision is not None:
        nodes = revision.plan_model.categories
        while nodes:
            if not nodes[0].children:
                return nodes[0].key
            nodes = nodes[0].children
    leaf = Category.objects.filter(is_active=True, children__isnull=True).order_by("key").first()
    return leaf.key if leaf else ""
