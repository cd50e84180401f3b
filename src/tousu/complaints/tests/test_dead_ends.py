"""No dead ends: walking every shipped template's reachable states — every stage, for
every severity, nature, category and the confidential flag — someone in the demo
organisation can see the complaint and take an action, until a terminal stage.

The walk is over complaints held in memory, judged by the gate's rules
(``complaint_visible_by_rules``) and the engine's ``actions_available``: no query per
state, so all nine templates walk in seconds. The gate's rules are held equal to the
gate's query over the demo data.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import pytest
from django.db import connection

from tousu.accounts.models import Department, User
from tousu.complaints.models import Category, Complaint, Participant
from tousu.complaints.selectors import complaint_visible_by_rules
from tousu.demo.loader import demo_load, demo_organisation_create
from tousu.plans.choices import ActionType
from tousu.plans.engine import actions_available
from tousu.plans.models import Plan
from tousu.plans.services import TEMPLATE_KEYS

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class State:
    stage: str
    severity: str
    nature: str
    category: str
    confidential: bool
    department: int
    assignee: int | None
    meeting_owner: int | None


def _conditions(value) -> list[dict]:
    """Every ``when`` condition anywhere in a plan definition."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("when"), dict):
            found.append(value["when"])
        for item in value.values():
            found += _conditions(item)
    elif isinstance(value, list):
        for item in value:
            found += _conditions(item)
    return found


def _lineage(category: Category) -> set[str]:
    keys = set()
    while category is not None:
        keys.add(category.key)
        category = category.parent
    return keys


def _representatives(categories: dict[str, Category], definition: dict) -> list[Category]:
    """One category for each set of the plan's category conditions it meets: the plan
    cannot tell the others apart, so walking them again finds nothing new."""
    wanted = [frozenset(c["category"]) for c in _conditions(definition) if c.get("category")]
    chosen: dict[tuple, Category] = {}
    for category in sorted(categories.values(), key=lambda c: c.key):
        lineage = _lineage(category)
        chosen.setdefault(tuple(bool(lineage & keys) for keys in wanted), category)
    return list(chosen.values())


def walk(template: str) -> tuple[int, list[str]]:
    users = demo_organisation_create(template)
    people = list(
        User.objects.filter(is_active=True)
        .select_related("department__parent__parent")
        .prefetch_related("groups")
    )
    revision = Plan.objects.get(key=template).active_revision
    definition = revision.definition
    categories = {
        c.key: c for c in Category.objects.filter(is_active=True).select_related("parent__parent")
    }
    departments = {d.pk: d for d in Department.objects.filter(is_active=True)}
    by_pk = {u.pk: u for u in people}
    clerk = users["clerk"]
    stages = definition["stages"]

    def staff_of(department: int) -> list[int]:
        """One person per set of roles in the department: two people with the same roles
        in the same place are the same to the plan."""
        chosen: dict[frozenset, int] = {}
        for u in people:
            if u.department_id == department:
                chosen.setdefault(u.role_codes(), u.pk)
        return list(chosen.values())

    def complaint_of(state: State) -> Complaint:
        return Complaint(
            pk=1,
            stage=state.stage,
            severity=state.severity,
            nature=state.nature,
            channel=definition["channels"][0],
            category=categories[state.category],
            confidential=state.confidential,
            department=departments[state.department],
            assignee=by_pk.get(state.assignee) if state.assignee else None,
            received_by=clerk,
            plan_revision=revision,
            workflow={"meeting": {"owner": state.meeting_owner}} if state.meeting_owner else {},
        )

    def moves(state: State, action, actor) -> list[State]:
        targets = [action.to or state.stage]
        if action.type == ActionType.RECORD_SATISFACTION:
            spec = next(a for a in stages[state.stage]["actions"] if a["key"] == action.key)
            targets = [spec["on_satisfied"], spec["on_dissatisfied"]]
        if action.type == ActionType.RECORD_FOLLOW_UP and (definition.get("follow_up") or {}).get(
            "reopen_to"
        ):
            targets.append(definition["follow_up"]["reopen_to"])
        found = []
        for target in targets:
            base = {**state.__dict__, "stage": target}
            if action.type == ActionType.TRANSFER:
                for pk in departments:
                    for assignee in [None, *staff_of(pk)]:
                        found.append(State(**{**base, "department": pk, "assignee": assignee}))
            elif action.type == ActionType.ASSIGN:
                for assignee in staff_of(state.department):
                    found.append(State(**{**base, "assignee": assignee}))
            elif action.type == ActionType.CLASSIFY:
                for severity in definition["severities"]:
                    for nature in definition["natures"]:
                        confidential = state.confidential or nature["key"] in (
                            definition.get("confidentiality") or {}
                        ).get("natures", [])
                        found.append(
                            State(
                                **{
                                    **base,
                                    "severity": severity["key"],
                                    "nature": nature["key"],
                                    "confidential": confidential,
                                }
                            )
                        )
            elif action.type == ActionType.CONVENE_MEETING:
                found.append(State(**{**base, "meeting_owner": actor.pk}))
            else:
                found.append(State(**base))
        if action.type in (ActionType.TRANSFER, ActionType.ASSIGN):
            # The engine refuses a hand-off that nobody could take on (as the actor, who
            # acted, keeps sight of it, they count).
            found = [f for f in found if stages[f.stage].get("terminal") or offers(f, {actor.pk})]
        return found

    def offers(state: State, participants: set[int]) -> list:
        complaint = complaint_of(state)
        return [
            (person, action)
            for person in people
            if complaint_visible_by_rules(person, complaint, participants)
            for action in actions_available(complaint=complaint, user=person)
        ]

    start = [
        State(
            stage=definition["initial_stage"],
            severity=s["key"],
            nature=n["key"],
            category=category.key,
            confidential=confidential,
            department=clerk.department_id,
            assignee=None,
            meeting_owner=None,
        )
        for s in definition["severities"]
        for n in definition["natures"]
        for category in _representatives(categories, definition)
        for confidential in (False, True)
    ]
    seen = set(start)
    queue = deque(start)
    dead: list[str] = []
    while queue:
        state = queue.popleft()
        offered = offers(state, set())
        if not offered:
            if not stages[state.stage].get("terminal"):
                dead.append(
                    f"{template}: stage {state.stage}, severity {state.severity}, nature "
                    f"{state.nature}, category {state.category}, confidential "
                    f"{state.confidential}, department {departments[state.department].code}, "
                    f"assignee {by_pk[state.assignee].username if state.assignee else None}"
                )
            continue
        for person, action in offered:
            for following in moves(state, action, person):
                if following not in seen:
                    seen.add(following)
                    queue.append(following)
    return len(seen), dead


@pytest.mark.parametrize("template", TEMPLATE_KEYS)
def test_no_reachable_state_is_a_dead_end(template):
    if connection.vendor != "sqlite":
        pytest.skip("the walk is pure (no query per state): the SQLite leg runs it")
    states, dead = walk(template)
    assert states > 10
    assert not dead, f"{len(dead)} dead ends, e.g.\\n" + "\\n".join(dead[:15])


@pytest.mark.parametrize("template", ["market", "enterprise", "petition"])
def test_the_gate_rules_equal_the_gate_query(template):
    demo_load(plan=template, complaints=20, seed=11)
    participants: dict[int, set[int]] = {}
    for complaint_id, user_id in Participant.objects.values_list("complaint_id", "user_id"):
        participants.setdefault(complaint_id, set()).add(user_id)
    complaints = list(Complaint.objects.select_related("category__parent", "plan_revision"))
    for user in User.objects.filter(is_active=True):
        by_query = set(Complaint.objects.visible_to(user).values_list("pk", flat=True))
        by_rules = {
            c.pk
            for c in complaints
            if complaint_visible_by_rules(user, c, participants.get(c.pk, set()))
        }
        assert by_rules == by_query, (template, user.username, by_rules ^ by_query)
