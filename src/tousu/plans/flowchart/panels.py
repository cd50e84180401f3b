"""The parts below the graph: the complainant, appeal and follow-up notes, the
emergency lane (command, levels in their colours, working groups, triggers, tasks) and
the legend."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tousu.plans import describe
from tousu.plans.flowchart.draw import BOX_STYLE
from tousu.plans.flowchart.stages import PAD, STYLES
from tousu.plans.flowchart.text import esc, text_width, wrap
from tousu.plans.schema import Emergency, Plan

LEVEL_FILL = {
    "red": ("#e03131", "#fff"),
    "orange": ("#f76707", "#fff"),
    "yellow": ("#fcc419", "#212529"),
    "blue": ("#1c7ed6", "#fff"),
    None: ("#adb5bd", "#212529"),
}
FONT_PX = 12
LINE_H = 17
CHIP_INDENT = 90


def _complainant_notes(plan: Plan) -> list[str]:
    policy = plan.complainant
    if policy is None:
        return []
    notes = []
    if policy.withdraw_to in plan.stages:
        notes.append(
            _("In every open stage the complainant may “%(label)s” → %(stage)s.")
            % {"label": policy.withdraw_label, "stage": plan.stages[policy.withdraw_to].label}
        )
    if policy.material:
        notes.append(
            _("In every open stage the complainant may “%(label)s”.")
            % {"label": policy.material_label}
        )
    return notes


def _appeal_note(plan: Plan) -> list[str]:
    if plan.appeal is None:
        return []
    text = _("Appeal: heard by %(roles)s, at most %(rounds)d round(s)") % {
        "roles": describe.roles_text(plan, plan.appeal.heard_by),
        "rounds": plan.appeal.max_rounds,
    }
    if plan.appeal.deadline is not None:
        text += _(", within %(duration)s of the reply") % {
            "duration": describe.duration(plan.appeal.deadline.amount, plan.appeal.deadline.unit)
        }
    return [text + "。"]


def _follow_up_note(plan: Plan) -> list[str]:
    if plan.follow_up is None:
        return []
    text = _("Follow-up visit %(duration)s after closing, by %(roles)s") % {
        "duration": describe.duration(plan.follow_up.after.amount, plan.follow_up.after.unit),
        "roles": describe.roles_text(plan, plan.follow_up.by),
    }
    if plan.follow_up.reopen_on_dissatisfied and plan.follow_up.reopen_to:
        text += _("; dissatisfied → %(stage)s") % {
            "stage": describe.stage_label(plan, plan.follow_up.reopen_to)
        }
    return [text + "。"]


def notes(plan: Plan) -> list[str]:
    """What the complainant may do in every stage, the appeal and the follow-up visit."""
    return [*_complainant_notes(plan), *_appeal_note(plan), *_follow_up_note(plan)]


def panel(
    title: str, items: list[str], left: float, top: float, width: float, fill: str, stroke: str
) -> tuple[str, float]:
    """A framed block of wrapped lines under a title; returns the SVG and its bottom."""
    lines: list[str] = []
    for item in items:
        lines.extend(wrap(item, width - 2 * PAD, FONT_PX, 4))
    height = PAD + 18 + len(lines) * LINE_H + PAD
    out = [
        f'<g class="fc-notes"><rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" rx="6" fill="{fill}" stroke="{stroke}"/>',
        f'<text x="{left + PAD:.1f}" y="{top + PAD + 12:.1f}" font-size="13" font-weight="700" '
        f'fill="#212529">{esc(title)}</text>',
    ]
    y = top + PAD + 18 + 13
    for line in lines:
        out.append(
            f'<text x="{left + PAD:.1f}" y="{y:.1f}" font-size="{FONT_PX}" fill="#343a40">'
            f"{esc(line)}</text>"
        )
        y += LINE_H
    out.append("</g>")
    return "".join(out), top + height


def _chips(
    items: list[tuple[str, str, str]], left: float, top: float, width: float
) -> tuple[list[str], float]:
    """Rounded labels (text, fill, ink) flowing over lines; returns the SVG and the bottom."""
    out: list[str] = []
    x, y = left, top
    for text, fill, ink in items:
        w = min(text_width(text, FONT_PX) + 18, width)
        if x + w > left + width and x > left:
            x, y = left, y + 26
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="21" rx="10" fill="{fill}"/>'
            f'<text x="{x + 9:.1f}" y="{y + 15:.1f}" font-size="{FONT_PX}" fill="{ink}">'
            f"{esc(text)}</text>"
        )
        x += w + 8
    return out, y + 21


def _label_text(text: str, x: float, y: float, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT_PX}"{weight} fill="#343a40">'
        f"{esc(text)}</text>"
    )


class _Lane:
    """The emergency lane's contents, written top-down from ``y``."""

    def __init__(self, left: float, y: float, inner: float) -> None:
        self.left, self.y, self.inner = left, y, inner
        self.out: list[str] = []

    def label(self, text: str, bold: bool = False) -> None:
        self.out.append(_label_text(text, self.left, self.y + 12, bold=bold))

    def chips(self, title: str, items: list[tuple[str, str, str]]) -> None:
        self.label(title)
        chips, self.y = _chips(items, self.left + CHIP_INDENT, self.y - 3, self.inner - CHIP_INDENT)
        self.out.extend(chips)
        self.y += 8

    def wrapped(self, text: str, max_lines: int) -> None:
        for line in wrap(text, self.inner, FONT_PX, max_lines):
            self.label(line)
            self.y += LINE_H


def _tasks_text(plan: Plan, em: Emergency) -> str:
    return _("Tasks on activation: %(tasks)s") % {
        "tasks": "、".join(
            f"{t.label}（{describe.group_label(plan, t.group)}，"
            f"{describe.duration(t.within.amount, t.within.unit)}）"
            for t in em.tasks
        )
    }


def emergency(plan: Plan, left: float, top: float, width: float) -> tuple[str, float]:
    """The emergency lane; returns the SVG and its bottom."""
    em = plan.emergency
    assert em is not None
    lane = _Lane(left + PAD, top + PAD + 24, width - 2 * PAD)
    lane.out.append(
        f'<text x="{left + PAD:.1f}" y="{top + PAD + 13:.1f}" font-size="14" font-weight="700" '
        f'fill="#c92a2a">{esc(_("Emergency response"))}</text>'
    )
    lane.label(
        _("Command: %(group)s") % {"group": describe.group_label(plan, em.command_group)}, bold=True
    )
    lane.y += 22
    lane.chips(_("Response levels"), [(lv.label, *LEVEL_FILL[lv.colour]) for lv in em.levels])
    if em.working_groups:
        groups = [(describe.group_label(plan, g), "#fff0f6", "#a61e4d") for g in em.working_groups]
        lane.chips(_("Working groups"), groups)
    if em.activated_by:
        roles = describe.roles_text(plan, em.activated_by)
        lane.wrapped(_("Activated by: %(roles)s") % {"roles": roles}, 3)
    for trigger in em.triggers:
        text = _("Trigger “%(label)s” → %(level)s") % {
            "label": trigger.label,
            "level": describe.level_label(plan, trigger.level),
        }
        lane.wrapped(text, 2)
    if em.tasks:
        lane.wrapped(_tasks_text(plan, em), 6)
    height = lane.y - top + PAD
    frame = (
        f'<g class="fc-emergency"><rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" rx="6" fill="#fff5f5" stroke="#e03131" stroke-width="1.5"/>'
    )
    return frame + "".join(lane.out) + "</g>", top + height


def legend(left: float, top: float, width: float) -> tuple[str, float]:
    """What the arrows' colours and the boxes' frames mean; returns the SVG and its
    bottom."""
    items = [
        ("normal", _("next step")),
        ("approve", _("approved")),
        ("send_back", _("sent back")),
        ("dissatisfied", _("dissatisfied")),
        ("appeal", _("appeal")),
        ("reopen", _("reopened")),
        ("follow_up", _("follow-up reopens")),
    ]
    out = ['<g class="fc-legend">']
    x, y = left, top + 12
    for style, label in items:
        colour, dash = STYLES[style]
        w = 34 + text_width(label, FONT_PX) + 18
        if x + w > left + width:
            x, y = left, y + 22
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="M{x:.1f},{y:.1f} H{x + 28:.1f}" stroke="{colour}" stroke-width="1.6"'
            f'{dash_attr} marker-end="url(#fc-arrow-{style})"/>'
            f'<text x="{x + 34:.1f}" y="{y + 4:.1f}" font-size="{FONT_PX}" fill="#495057">'
            f"{esc(label)}</text>"
        )
        x += w
    y += 18
    x = left
    for kind, label in [
        ("initial", _("first stage")),
        ("approval", _("approval step")),
        ("terminal", _("end")),
    ]:
        fill, stroke, _band = BOX_STYLE[kind]
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="26" height="14" rx="3" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 32:.1f}" y="{y + 11:.1f}" font-size="{FONT_PX}" '
            f'fill="#495057">{esc(label)}</text>'
        )
        x += 32 + text_width(label, FONT_PX) + 22
    out.append("</g>")
    return "".join(out), y + 16
