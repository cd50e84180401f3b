"""What the checks of a plan file share: the error with its path, and the checker that
knows the plan's roles, severities, natures, categories, actions and deadlines."""

from __future__ import annotations

from dataclasses import dataclass

from tousu.plans.schema import Condition, Duration, Plan

# Built-in targets that are not plan roles.
PEOPLE = {
    "assignee",
    "received_by",
    "department_head",
    "meeting_owner",
    "complainant",
    # 被投诉人 and their direct superior, once an action has named the person.
    "complained_person",
    "complained_person_superior",
}


@dataclass(frozen=True)
class PlanError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def category_keys(categories, prefix="categories") -> list[tuple[str, str]]:
    found = []
    for index, category in enumerate(categories):
        path = f"{prefix}.{index}"
        found.append((category.key, path))
        found += category_keys(category.children, f"{path}.children")
    return found


class Checker:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.errors: list[PlanError] = []
        self.roles = set(plan.roles)
        self.severities = [s.key for s in plan.severities]
        self.natures = [n.key for n in plan.natures]
        self.categories = {key for key, _path in category_keys(plan.categories)}
        self.actions = {action.key for stage in plan.stages.values() for action in stage.actions}
        self.deadlines = {rule.key for stage in plan.stages.values() for rule in stage.deadlines}

    def add(self, path: str, message: str) -> None:
        self.errors.append(PlanError(path, message))

    def role(self, path: str, name: str, *, people: bool = False) -> None:
        if name not in self.roles and not (people and name in PEOPLE):
            self.add(path, f"role “{name}” is used but never defined under roles")

    def stage(self, path: str, name: str | None) -> None:
        if name is not None and name not in self.plan.stages:
            self.add(path, f"no stage “{name}”")

    def condition(self, path: str, condition: Condition | None) -> None:
        if condition is None:
            return
        known: dict[str, set[str]] = {
            "severity": set(self.severities),
            "nature": set(self.natures),
            "category": self.categories,
            "channel": set(self.plan.channels),
        }
        for name, allowed in known.items():
            for index, value in enumerate(getattr(condition, name) or []):
                if value not in allowed:
                    self.add(f"{path}.{name}.{index}", f"unknown {name} “{value}”")


def check_duration(c: Checker, path: str, duration: Duration | None) -> None:
    if duration is None:
        return
    if duration.unit in ("days", "working_days") and duration.amount != int(duration.amount):
        c.add(f"{path}.amount", f"must be a whole number of {duration.unit}")
    if duration.unit == "working_hours" and not c.plan.business_hours:
        c.add(f"{path}.unit", "working_hours needs business_hours in the plan")


def check_unique(c: Checker, section: str, keys: list[str], what: str) -> None:
    for index, key in enumerate(keys):
        if keys.index(key) != index:
            c.add(f"{section}.{index}.key", f"{what} “{key}” is listed twice")
