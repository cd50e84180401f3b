"""What the chart shows of each stage, read from the plan: a box per stage (its label,
whether it approves, its deadlines and what each action does) and the edges between
boxes, styled by what moves the case (approved, sent back, dissatisfied …)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tousu.plans import describe
from tousu.plans.choices import ActionType
from tousu.plans.flowchart.text import wrap
from tousu.plans.schema import Action, Plan, Stage

NODE_W = 236
PAD = 9
TITLE_PX = 13.5
LINE_PX = 11.5
TITLE_LH = 18
LINE_LH = 15
TEXT_W = NODE_W - 2 * PAD

# Edge styles: stroke colour and dash.
STYLES = {
    "normal": ("#495057", ""),
    "approve": ("#2b8a3e", ""),
    "send_back": ("#c92a2a", "6 4"),
    "dissatisfied": ("#e8590c", "6 4"),
    "appeal": ("#1971c2", "6 4"),
    "reopen": ("#7048e8", "6 4"),
    "follow_up": ("#7048e8", "2 4"),
    "close": ("#868e96", ""),
}
# When two actions join the same two stages, the edge takes the first style here.
PRIORITY = [
    "send_back",
    "dissatisfied",
    "follow_up",
    "appeal",
    "reopen",
    "approve",
    "normal",
    "close",
]
# Edges that go back by nature: the flow order does not follow them.
LOOP_STYLES = frozenset({"send_back", "dissatisfied", "reopen", "follow_up"})


@dataclass
class Line:
    text: str
    kind: str  # "title", "tag", "deadline", "action", "self", "alert", "note"


@dataclass
class Box:
    key: str
    label: str
    kind: str  # "initial", "approval", "terminal", "stage"
    lines: list[Line] = field(default_factory=list)
    title_lines: list[str] = field(default_factory=list)
    height: float = 0.0
    self_loop: bool = False


@dataclass
class Edge:
    source: str
    target: str
    style: str
    titles: list[str]


class _Edges:
    """The edges by their two ends, in the order first met; a second action between the
    same stages adds its title and may change the style."""

    def __init__(self) -> None:
        self.by_ends: dict[tuple[str, str], Edge] = {}

    def add(self, source: str, target: str, style: str, title: str) -> None:
        edge = self.by_ends.get((source, target))
        if edge is None:
            self.by_ends[(source, target)] = Edge(source, target, style, [title])
            return
        edge.titles.append(title)
        if PRIORITY.index(style) < PRIORITY.index(edge.style):
            edge.style = style


def _style_of(action: Action, variant: str) -> str:
    if variant == "dissatisfied":
        return "dissatisfied"
    return {
        ActionType.SEND_BACK: "send_back",
        ActionType.APPEAL: "appeal",
        ActionType.REOPEN: "reopen",
        ActionType.APPROVE: "approve",
        ActionType.CLOSE: "close",
    }.get(action.type, "normal")


def _is_approval(plan: Plan, key: str) -> bool:
    stage = plan.stages[key]
    return stage.status == "awaiting_approval" or any(
        a.type in (ActionType.APPROVE, ActionType.SEND_BACK) for a in stage.actions
    )


def _policy_withdraw(plan: Plan, action: Action) -> bool:
    """The complainant policy's withdraw and material actions, written once in the notes
    instead of an edge from every open stage."""
    if plan.complainant is None:
        return False
    if action.type == ActionType.ADD_MATERIAL:
        return True
    return action.type == ActionType.WITHDRAW and action.to == plan.complainant.withdraw_to


def _kind(plan: Plan, key: str, stage: Stage) -> str:
    if key == plan.initial_stage:
        return "initial"
    if stage.terminal:
        return "terminal"
    return "approval" if _is_approval(plan, key) else "stage"


def _deadline_lines(plan: Plan, stage: Stage) -> list[Line]:
    lines = []
    for rule in stage.deadlines:
        text = _("%(label)s: %(duration)s") % {
            "label": rule.label,
            "duration": describe.duration(rule.amount, rule.unit),
        }
        when = describe.condition_text(plan, rule.when)
        if when:
            text = f"[{when}] {text}"
        lines.append(Line(text, "deadline"))
    return lines


def _targets(action: Action) -> list[tuple[str | None, str, str]]:
    """Where an action leads: (stage, variant, suffix); satisfaction leads two ways."""
    if action.type == ActionType.RECORD_SATISFACTION:
        return [
            (action.on_satisfied, "satisfied", _("satisfied")),
            (action.on_dissatisfied, "dissatisfied", _("dissatisfied")),
        ]
    return [(action.to, "to", "")]


def _action_lines(plan: Plan, key: str, box: Box, action: Action, edges: _Edges) -> None:
    """The lines an action writes in its stage's box, and its edges."""
    stage = plan.stages[key]
    when = describe.condition_text(plan, action.when)
    prefix = f"[{when}] " if when else ""
    for target, variant, suffix in _targets(action):
        if target is None or target not in plan.stages:
            if action.type == ActionType.MARK_EMERGENCY:
                box.lines.append(Line(f"⚠ {prefix}{action.label}", "alert"))
            continue
        label = f"{action.label}（{suffix}）" if suffix else action.label
        if target == key:
            box.self_loop = True
            again = _("this stage again")
            box.lines.append(Line(f"{prefix}{label} → {again}", "self"))
            continue
        target_label = plan.stages[target].label
        box.lines.append(Line(f"{prefix}{label} → {target_label}", "action"))
        edges.add(
            key,
            target,
            _style_of(action, variant),
            f"{stage.label} → {target_label}：{prefix}{label}",
        )


def _stage_box(plan: Plan, key: str, stage: Stage, edges: _Edges) -> Box:
    kind = _kind(plan, key, stage)
    box = Box(key=key, label=stage.label, kind=kind)
    box.title_lines = wrap(stage.label, TEXT_W, TITLE_PX, 3)
    if kind == "approval":
        box.lines.append(Line(_("Approval step"), "tag"))
    box.lines.extend(_deadline_lines(plan, stage))
    for action in stage.actions:
        if not _policy_withdraw(plan, action):
            _action_lines(plan, key, box, action, edges)
    return box


def _follow_up(plan: Plan, boxes: dict[str, Box], edges: _Edges) -> None:
    """The follow-up visit that reopens a closed case: a line and an edge from every
    terminal stage."""
    policy = plan.follow_up
    if policy is None or not policy.reopen_on_dissatisfied or policy.reopen_to not in plan.stages:
        return
    target_label = plan.stages[policy.reopen_to].label
    for key, stage in plan.stages.items():
        if not stage.terminal:
            continue
        text = _("Follow-up after %(duration)s, dissatisfied → %(stage)s") % {
            "duration": describe.duration(policy.after.amount, policy.after.unit),
            "stage": target_label,
        }
        boxes[key].lines.append(Line(text, "action"))
        edges.add(key, policy.reopen_to, "follow_up", f"{stage.label}：{text}")


def _measure(box: Box) -> None:
    """Wrap the box's lines to its width and set its height."""
    wrapped = [
        Line(part, line.kind) for line in box.lines for part in wrap(line.text, TEXT_W, LINE_PX, 3)
    ]
    box.lines = wrapped
    box.height = PAD + len(box.title_lines) * TITLE_LH + 4 + len(wrapped) * LINE_LH + PAD


def boxes_and_edges(plan: Plan) -> tuple[dict[str, Box], list[Edge]]:
    """A box per stage (in the file's order) and the edges between them."""
    edges = _Edges()
    boxes = {key: _stage_box(plan, key, stage, edges) for key, stage in plan.stages.items()}
    _follow_up(plan, boxes, edges)
    for box in boxes.values():
        _measure(box)
    return boxes, list(edges.by_ends.values())
