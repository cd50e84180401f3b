"""Reading a plan file: size, encoding, YAML, shape, then every cross-reference.

``plan_parse`` never raises on a bad file: it returns every problem it found, each with
its path in the file (``stages.investigation.deadlines.0.amount``), so an author can fix
them all in one pass.
"""

from __future__ import annotations

import re
import string
from collections import deque
from dataclasses import dataclass, field

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tousu.core.yamlload import yaml_safe_load
from tousu.plans.checker import Checker, PlanError, category_keys
from tousu.plans.choices import MESSAGE_PLACEHOLDERS, ActionType
from tousu.plans.schema import KEY, Plan
from tousu.plans.section_checks import check_emergency, check_kpi

MAX_BYTES = 1024 * 1024
ANCHORS = {"received", "registered", "stage_entered"}
# Fields any action may require: a note, the person complained about (被投诉人), and how
# many items of the complaint were upheld (每件投诉每项内容), a fine within a rule's range.
ANY_REQUIRES = {"note", "complained_person", "items", "fine"}
# Fields an action may require, by type (beyond ANY_REQUIRES).
REQUIRES = {
    ActionType.TRANSFER: {"department", "slip"},
    ActionType.ASSIGN: {"assignee"},
    ActionType.CLASSIFY: {"category", "severity", "nature"},
    ActionType.INVESTIGATE: {"findings", "evidence"},
    ActionType.REPORT: {"report"},
    ActionType.PROPOSE: {"opinion"},
    ActionType.CONVENE_MEETING: {"owner", "due_at", "agenda"},
    ActionType.EXECUTE: {"measure", "amount", "result"},
    ActionType.REPLY: {"reply"},
    ActionType.RECORD_SATISFACTION: {"satisfaction"},
    ActionType.APPEAL: {"reason"},
    ActionType.RECORD_FOLLOW_UP: {"reached", "satisfaction", "remarks"},
    ActionType.REFUSE: {"reason"},
    ActionType.WAIT: {"reason"},
    ActionType.EXTEND: {"reason"},
    ActionType.ADD_MATERIAL: {"material"},
    ActionType.WITHDRAW: {"reason"},
}
# Types that must name the stage they lead to.
MOVING = {
    ActionType.ACCEPT,
    ActionType.REFUSE,
    ActionType.PROPOSE,
    ActionType.APPROVE,
    ActionType.SEND_BACK,
    ActionType.REPLY,
    ActionType.APPEAL,
    ActionType.REOPEN,
    ActionType.CLOSE,
    ActionType.ARCHIVE,
    ActionType.TRANSFER,
    ActionType.WITHDRAW,
}

_PYDANTIC_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field (check its spelling)",
    "greater_than": "must be a positive number",
    "greater_than_equal": "must not be negative",
    "decimal_parsing": "must be a number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "too_short": "must not be empty",
    "string_pattern_mismatch": "must be a key: lower-case letters, digits and _",
}


@dataclass
class ParseResult:
    plan: Plan | None = None
    data: dict | None = None
    errors: list[PlanError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.errors


def _dotted(loc) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind == "less_than_equal":
        return f"must be at most {error['ctx']['le']}"
    if kind == "less_than":
        return f"must be less than {error['ctx']['lt']}"
    return _PYDANTIC_MESSAGES.get(kind, error["msg"])


def plan_parse(raw: bytes | str) -> ParseResult:
    """Parse and validate a plan file's bytes; see the module docstring."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        size = len(raw) // 1024
        return ParseResult(errors=[PlanError("", f"the file is {size} KB; at most 1024 KB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParseResult(
            errors=[PlanError("", f"the file is not UTF-8 (bad byte at offset {exc.start})")]
        )
    try:
        data = yaml_safe_load(text, aliases=False)  # no "billion laughs"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return ParseResult(errors=[PlanError("", f"not valid YAML: {problem}{where}")])
    if not isinstance(data, dict):
        return ParseResult(errors=[PlanError("", "the file must hold a mapping (key: value)")])
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        errors = [PlanError(_dotted(e["loc"]), _message(e)) for e in exc.errors()]
        return ParseResult(data=data, errors=errors)
    errors = _cross_check(plan)
    return ParseResult(plan=plan if not errors else None, data=data, errors=errors)


def _cross_check(plan: Plan) -> list[PlanError]:  # noqa: C901 - one pass per section
    c = Checker(plan)
    for name in plan.roles:
        if not re.match(KEY, name):
            c.add(f"roles.{name}", "role keys are lower-case letters, digits and _")
    for name, group in plan.groups.items():
        if group.lead:
            c.role(f"groups.{name}.lead", group.lead)
        for index, deputy in enumerate(group.deputies):
            path = f"groups.{name}.deputies.{index}"
            c.role(path, deputy)
            if deputy == group.lead:
                c.add(path, f"“{deputy}” is the group's lead")
            elif group.deputies.index(deputy) != index:
                c.add(path, f"“{deputy}” is listed twice")
        for index, member in enumerate(group.members):
            c.role(f"groups.{name}.members.{index}", member)
    seen: dict[str, str] = {}
    for key, path in category_keys(plan.categories):
        if key in seen:
            c.add(f"{path}.key", f"category “{key}” is already defined at {seen[key]}")
        seen[key] = path
    for section, keys in (("severities", c.severities), ("natures", c.natures)):
        for index, key in enumerate(keys):
            if keys.index(key) != index:
                c.add(f"{section}.{index}.key", f"“{key}” is listed twice")
    c.stage("initial_stage", plan.initial_stage)

    deadline_paths: dict[str, str] = {}
    for stage_key, stage in plan.stages.items():
        base = f"stages.{stage_key}"
        if not re.match(KEY, stage_key):
            c.add(base, "stage keys are lower-case letters, digits and _")
        if stage.terminal and stage.status not in ("closed", "archived"):
            c.add(f"{base}.status", "a terminal stage has status closed or archived")
        if stage.terminal and stage.deadlines:
            c.add(f"{base}.deadlines", "a terminal stage has no deadlines")
        action_keys: list[str] = []
        for index, action in enumerate(stage.actions):
            path = f"{base}.actions.{index}"
            if action.key in action_keys:
                c.add(f"{path}.key", f"action “{action.key}” is listed twice in this stage")
            action_keys.append(action.key)
            for i, role in enumerate(action.by):
                c.role(f"{path}.by.{i}", role, people=True)
            c.stage(f"{path}.to", action.to)
            c.condition(f"{path}.when", action.when)
            _check_action(c, path, action)
        for index, rule in enumerate(stage.deadlines):
            path = f"{base}.deadlines.{index}"
            if rule.key in deadline_paths:
                c.add(
                    f"{path}.key",
                    f"deadline “{rule.key}” is already defined at {deadline_paths[rule.key]}",
                )
            deadline_paths.setdefault(rule.key, path)
            if rule.start not in ANCHORS and rule.start not in c.actions:
                c.add(
                    f"{path}.from",
                    f"“{rule.start}” is neither an event "
                    f"({', '.join(sorted(ANCHORS))}) nor an action of this plan",
                )
            for i, action_key in enumerate(rule.closes_on or []):
                if action_key not in c.actions:
                    c.add(f"{path}.closes_on.{i}", f"no action “{action_key}”")
            c.condition(f"{path}.when", rule.when)
            if rule.ceiling is not None:
                if rule.ceiling.unit != rule.unit:
                    c.add(f"{path}.ceiling.unit", "must use the deadline's own unit")
                elif rule.amount > rule.ceiling.amount:
                    c.add(
                        f"{path}.amount",
                        f"exceeds the statutory ceiling of "
                        f"{rule.ceiling.amount} {rule.unit} ({rule.ceiling.basis})",
                    )
            if rule.unit == "working_hours" and not plan.business_hours:
                c.add(f"{path}.unit", "working_hours needs business_hours in the plan")
            if rule.warn and rule.warn.fraction is None and rule.warn.before is None:
                c.add(f"{path}.warn", "give fraction or before")
            if rule.warn and rule.warn.before and rule.warn.before.unit not in ("hours", "days"):
                c.add(f"{path}.warn.before.unit", "a warning lead is in hours or days")
    _check_graph(c)
    _check_policies(c)
    return c.errors


def _check_action(c: Checker, path: str, action) -> None:
    kind = ActionType(action.type)
    allowed = REQUIRES.get(kind, set()) | ANY_REQUIRES
    for i, name in enumerate(action.requires):
        if name not in allowed:
            c.add(f"{path}.requires.{i}", f"a {kind.value} action cannot require “{name}”")
    if kind == ActionType.RECORD_SATISFACTION:
        for side in ("on_satisfied", "on_dissatisfied"):
            target = getattr(action, side)
            if target is None:
                c.add(f"{path}.{side}", "is required for record_satisfaction")
            c.stage(f"{path}.{side}", target)
    elif kind in MOVING and action.to is None:
        c.add(f"{path}.to", f"is required for an action of type {kind.value}")
    if action.measures and kind != ActionType.EXECUTE:
        c.add(f"{path}.measures", "only execute actions take measures")
    if action.pauses is not None:
        if kind != ActionType.WAIT:
            c.add(f"{path}.pauses", "only wait_for_complainant actions pause deadlines")
        for i, key in enumerate(action.pauses):
            if key not in c.deadlines:
                c.add(f"{path}.pauses.{i}", f"no deadline “{key}”")
    if kind == ActionType.EXTEND:
        if action.extends is None:
            c.add(f"{path}.extends", "is required for an action of type extend")
        elif action.extends.deadline not in c.deadlines:
            c.add(f"{path}.extends.deadline", f"no deadline “{action.extends.deadline}”")
    elif action.extends is not None:
        c.add(f"{path}.extends", "only extend actions extend a deadline")


def _targets(stage) -> set[str]:
    found = set()
    for action in stage.actions:
        found |= {t for t in (action.to, action.on_satisfied, action.on_dissatisfied) if t}
    return found


def _check_graph(c: Checker) -> None:
    stages = c.plan.stages
    if c.plan.initial_stage not in stages:
        return
    edges = {key: _targets(stage) & set(stages) for key, stage in stages.items()}
    if c.plan.follow_up and c.plan.follow_up.reopen_to in stages:
        for key, stage in stages.items():
            if stage.terminal:
                edges[key] = edges[key] | {c.plan.follow_up.reopen_to}
    reachable, queue = {c.plan.initial_stage}, deque([c.plan.initial_stage])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in reachable:
                reachable.add(nxt)
                queue.append(nxt)
    terminals = {key for key, stage in stages.items() if stage.terminal}
    if not terminals:
        c.add("stages", "no stage is terminal: a complaint could never be closed")
        return
    closable = set(terminals)
    changed = True
    while changed:
        changed = False
        for key, targets in edges.items():
            if key not in closable and targets & closable:
                closable.add(key)
                changed = True
    for key in stages:
        if key not in reachable:
            c.add(f"stages.{key}", "no action leads to this stage")
        elif key not in closable:
            c.add(
                f"stages.{key}",
                "a complaint here can never reach a terminal stage (a cycle with no way to close)",
            )


def _check_policies(c: Checker) -> None:  # noqa: C901 - a flat list of checks
    plan = c.plan
    for index, rule in enumerate(plan.escalations):
        path = f"escalations.{index}"
        if rule.deadline != "*" and rule.deadline not in c.deadlines:
            c.add(f"{path}.deadline", f"no deadline “{rule.deadline}”")
        for i, role in enumerate(rule.notify):
            c.role(f"{path}.notify.{i}", role, people=True)
        if rule.reassign_to:
            c.role(f"{path}.reassign_to", rule.reassign_to)
        if rule.hand_to_group and rule.hand_to_group not in plan.groups:
            c.add(f"{path}.hand_to_group", f"no group “{rule.hand_to_group}”")
        c.stage(f"{path}.to", rule.to)
        if rule.to in plan.stages and plan.stages[rule.to].terminal:
            c.add(f"{path}.to", "an escalation never closes a case: name a working stage")
        c.condition(f"{path}.when", rule.when)
    for part in ("roles", "by"):
        for i, role in enumerate(getattr(plan.confidentiality, part)):
            c.role(f"confidentiality.{part}.{i}", role, people=True)
    for i, nature in enumerate(plan.confidentiality.natures):
        if nature not in c.natures:
            c.add(f"confidentiality.natures.{i}", f"unknown nature “{nature}”")
    if plan.appeal:
        for i, role in enumerate(plan.appeal.heard_by):
            c.role(f"appeal.heard_by.{i}", role)
    if plan.complainant and plan.complainant.withdraw_to:
        target = plan.complainant.withdraw_to
        c.stage("complainant.withdraw_to", target)
        if target in plan.stages and not plan.stages[target].terminal:
            c.add("complainant.withdraw_to", "a withdrawn complaint ends: name a terminal stage")
    for key in plan.scripts:
        if key != "*" and key not in c.categories:
            c.add(f"scripts.{key}", f"unknown category “{key}”")
    if plan.follow_up:
        for i, role in enumerate(plan.follow_up.by):
            c.role(f"follow_up.by.{i}", role)
        recorded = any(
            action.type == "record_follow_up"
            for stage in plan.stages.values()
            if stage.terminal
            for action in stage.actions
        )
        if not recorded:
            c.add(
                "follow_up", "no terminal stage has a record_follow_up action to record the visit"
            )
        c.stage("follow_up.reopen_to", plan.follow_up.reopen_to)
        if plan.follow_up.reopen_on_dissatisfied and not plan.follow_up.reopen_to:
            c.add("follow_up.reopen_to", "is required when reopen_on_dissatisfied is true")
    for index, penalty in enumerate(plan.penalties.rules):
        path = f"penalties.rules.{index}"
        cause = penalty.trigger
        if cause.breach and cause.breach not in c.deadlines:
            c.add(f"{path}.cause.breach", f"no deadline “{cause.breach}”")
        if cause.action and cause.action not in c.actions:
            c.add(f"{path}.cause.action", f"no action “{cause.action}”")
        if sum(bool(t) for t in (cause.breach, cause.repeat_complaint, cause.action)) != 1:
            c.add(f"{path}.trigger", "give one of breach, repeat_complaint or action")
        wanted = {"fine"} if penalty.max_amount is not None else set()
        wanted |= {"items"} if penalty.per_item else set()
        if wanted and not cause.action:
            c.add(path, "a range or a per-item amount needs an action trigger to give it")
        for name in sorted(wanted) if cause.action else []:
            for stage_key, stage in plan.stages.items():
                for i, action in enumerate(stage.actions):
                    if action.key == cause.action and name not in action.requires:
                        c.add(
                            f"stages.{stage_key}.actions.{i}.requires",
                            f"must require “{name}” (penalty rule {penalty.key})",
                        )
        if penalty.max_amount is not None and penalty.max_amount < penalty.amount:
            c.add(f"{path}.max_amount", "must not be below amount")
        c.role(f"{path}.target", penalty.target, people=True)
        c.condition(f"{path}.when", penalty.when)
        if penalty.amount and penalty.amount < plan.penalties.minimum_per_item:
            c.add(
                f"{path}.amount",
                f"below the plan's minimum of {plan.penalties.minimum_per_item} yuan per item",
            )
    if plan.emergency:
        check_emergency(c, plan.emergency)
    if plan.kpi:
        check_kpi(c, plan.kpi)
    for key, text in plan.messages.items():
        try:
            names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
        except ValueError as exc:
            c.add(f"messages.{key}", f"bad template: {exc}")
            continue
        for name in sorted(names - MESSAGE_PLACEHOLDERS):
            c.add(f"messages.{key}", f"unknown placeholder {{{name}}}")


# What an incident carries that a condition can test (no nature, no channel).
