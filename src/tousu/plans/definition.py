"""Reading a stored plan definition (the validated JSON of a revision) for one complaint:
who plays which plan role, which conditions hold, which rules apply."""

from __future__ import annotations

from tousu.accounts.selectors import department_subtree_ids
from tousu.core.actors import ComplainantActor


def stage_of(definition: dict, key: str) -> dict:
    return definition["stages"][key]


def action_of(definition: dict, stage_key: str, action_key: str) -> dict | None:
    for action in stage_of(definition, stage_key).get("actions", []):
        if action["key"] == action_key:
            return action
    return None


def _category_lineage(category) -> set[str]:
    keys = set()
    while category is not None:
        keys.add(category.key)
        category = category.parent
    return keys


def condition_holds(condition: dict | None, complaint) -> bool:
    """True when the complaint matches every list of the condition."""
    if not condition:
        return True
    checks = {
        "severity": {complaint.severity},
        "nature": {complaint.nature},
        "channel": {complaint.channel},
    }
    for name, values in checks.items():
        wanted = condition.get(name)
        if wanted is not None and not values & set(wanted):
            return False
    wanted = condition.get("category")
    return not (wanted is not None and not _category_lineage(complaint.category) & set(wanted))


def _in_department(user, department_id: int | None) -> bool:
    if user.department_id is None or department_id is None:
        return False
    subtree = getattr(user, "_department_subtree", None)
    if subtree is None:
        subtree = user._department_subtree = department_subtree_ids(user.department_id)
    return department_id in subtree


def user_plays(user, role_key: str, complaint, definition: dict) -> bool:
    """Whether ``user`` acts as plan role ``role_key`` (or built-in person) here."""
    if isinstance(user, ComplainantActor):
        # The complainant plays only the built-in role, and only on their own complaint.
        return role_key == "complainant" and user.complainant_id == complaint.complainant_id
    if role_key == "complainant":
        return False
    if role_key == "assignee":
        return complaint.assignee_id == user.pk
    if role_key == "received_by":
        return complaint.received_by_id == user.pk
    if role_key == "meeting_owner":
        meeting = (complaint.workflow or {}).get("meeting") or {}
        return meeting.get("owner") == user.pk
    if role_key == "department_head":
        return user.has_role("department_head") and _in_department(user, complaint.department_id)
    role = definition["roles"].get(role_key)
    if role is None or not user.has_role(role["system_role"]):
        return False
    if role.get("department") and (
        user.department is None or role["department"] not in _department_codes_up(user.department)
    ):
        return False
    scope = role.get("scope", "any")
    if scope == "complaint_department":
        return _in_department(user, complaint.department_id)
    if scope == "own":
        return complaint.assignee_id == user.pk
    return True


def _department_codes_up(department) -> set[str]:
    codes = set()
    while department is not None:
        codes.add(department.code)
        department = department.parent
    return codes


def roles_label(definition: dict, role_keys: list[str]) -> str:
    labels = []
    for key in role_keys:
        role = definition["roles"].get(key)
        labels.append(role["label"] if role else key)
    return "、".join(labels)


def plays_anywhere(user, role: dict) -> bool:
    """Whether ``user`` plays plan role ``role`` on any complaint (scope ``any``)."""
    if role.get("scope", "any") != "any" or not user.has_role(role["system_role"]):
        return False
    return not role.get("department") or (
        user.department is not None and role["department"] in _department_codes_up(user.department)
    )


def stages_acted_in(user, revisions) -> dict[int, set[str]]:
    """For each plan revision, the stages where ``user`` has an action to take.

    Staff see a complaint while its plan gives them something to do with it (finance
    paying a refund, the office turning a case malicious), wherever it sits."""
    found: dict[int, set[str]] = {}
    for revision_id, definition in revisions:
        roles = definition["roles"]
        mine = {key for key, role in roles.items() if plays_anywhere(user, role)}
        if not mine:
            continue
        for stage_key, stage in definition["stages"].items():
            if any(set(action["by"]) & mine for action in stage.get("actions", [])):
                found.setdefault(revision_id, set()).add(stage_key)
    return found
