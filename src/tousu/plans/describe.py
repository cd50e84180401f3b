"""How a plan's parts read to a person: durations, conditions, roles, stages and
categories by the plan's own labels (never its keys). Shared by the flow chart and the
revision comparison."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.plans.choices import DeadlineUnit
from tousu.plans.schema import Category, Condition, Plan

# The complaint channels a condition may name (the same words as the complaint's own
# choices, which live above this app).
CHANNELS = {
    "phone": gettext_lazy("Phone"),
    "walk_in": gettext_lazy("Walk-in"),
    "letter": gettext_lazy("Letter"),
    "email": gettext_lazy("Email"),
    "web": gettext_lazy("Web"),
    "chat": gettext_lazy("Chat"),
    "api": gettext_lazy("API"),
    "import": gettext_lazy("Import"),
}


def number(value: Decimal | int) -> str:
    """24 → "24", 0.50 → "0.5": a figure as a person writes it."""
    text = format(Decimal(value).normalize(), "f")
    return text


def duration(amount: Decimal | int, unit: str) -> str:
    """ "3 工作日": an amount with its unit's label."""
    labels = dict(DeadlineUnit.choices)
    return _("%(amount)s %(unit)s") % {
        "amount": number(amount),
        "unit": labels.get(unit, _("units")),
    }


def categories_flat(plan: Plan) -> Iterator[tuple[Category, int]]:
    """Every category of the tree with its depth (0 for the top ones), in file order."""

    def walk(nodes: list[Category], depth: int) -> Iterator[tuple[Category, int]]:
        for node in nodes:
            yield node, depth
            yield from walk(node.children, depth + 1)

    return walk(plan.categories, 0)


def category_label(plan: Plan, key: str) -> str:
    return next((c.label for c, _depth in categories_flat(plan) if c.key == key), _("(unknown)"))


def stage_label(plan: Plan, key: str | None) -> str:
    if key is None:
        return "—"
    stage = plan.stages.get(key)
    return stage.label if stage is not None else _("(unknown stage)")


def role_label(plan: Plan, key: str) -> str:
    """A role the plan defines, or one of the engine's relative roles."""
    role = plan.roles.get(key)
    if role is not None:
        return role.label
    relative = {
        "assignee": _("the assignee"),
        "received_by": _("who received it"),
        "complainant": _("the complainant"),
        "department_head": _("the department head"),
    }
    if key in relative:
        return relative[key]
    group = plan.groups.get(key)
    return group.label if group is not None else _("(other role)")


def roles_text(plan: Plan, keys: list[str]) -> str:
    return "、".join(role_label(plan, key) for key in keys) or "—"


def group_label(plan: Plan, key: str | None) -> str:
    if key is None:
        return "—"
    group = plan.groups.get(key)
    return group.label if group is not None else role_label(plan, key)


def level_label(plan: Plan, key: str) -> str:
    level = plan.emergency.level(key) if plan.emergency else None
    return level.label if level is not None else _("(unknown level)")


def condition_text(plan: Plan, condition: Condition | None) -> str:
    """ "级别：重大、紧急；性质：问题型" — empty when the condition holds always."""
    if condition is None:
        return ""
    parts = []
    if condition.severity is not None:
        parts.append(
            _("severity: %(values)s")
            % {
                "values": "、".join(
                    plan.label_of("severities", k) or _("(unknown)") for k in condition.severity
                )
            }
        )
    if condition.nature is not None:
        parts.append(
            _("nature: %(values)s")
            % {
                "values": "、".join(
                    plan.label_of("natures", k) or _("(unknown)") for k in condition.nature
                )
            }
        )
    if condition.category is not None:
        parts.append(
            _("category: %(values)s")
            % {"values": "、".join(category_label(plan, k) for k in condition.category)}
        )
    if condition.channel is not None:
        parts.append(
            _("channel: %(values)s")
            % {"values": "、".join(str(CHANNELS.get(k, _("(unknown)"))) for k in condition.channel)}
        )
    if condition.amount_at_least is not None:
        parts.append(
            _("amount at least %(amount)s yuan") % {"amount": number(condition.amount_at_least)}
        )
    if condition.injured_at_least is not None:
        parts.append(_("at least %(count)d injured") % {"count": condition.injured_at_least})
    return "；".join(parts)
