"""The whole chart: the graph, then the notes, the emergency lane and the legend below,
in one SVG."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tousu.plans.flowchart import draw, panels
from tousu.plans.flowchart.layout import MARGIN, Layout, layout_graph
from tousu.plans.flowchart.stages import boxes_and_edges
from tousu.plans.flowchart.text import FONT, esc
from tousu.plans.schema import Plan

MIN_WIDTH = 760.0


@dataclass
class Chart:
    """The drawn chart: the SVG text and what it holds (for tests and the page)."""

    svg: str
    width: float
    height: float
    stages: list[str]
    back_edges: list[tuple[str, str]]
    edges: list[tuple[str, str]]


def _below(plan: Plan, layout: Layout, total_w: float) -> tuple[list[str], float]:
    """The notes, the emergency lane and the legend under the graph; returns their SVG
    and the bottom."""
    parts: list[str] = []
    width = total_w - 2 * MARGIN
    y = layout.graph_bottom + 8
    notes = panels.notes(plan)
    if notes:
        title = _("Complainant, appeal and follow-up")
        block, y = panels.panel(title, notes, MARGIN, y, width, "#f8f9fa", "#ced4da")
        parts.append(block)
    if plan.emergency is not None:
        block, y = panels.emergency(plan, MARGIN, y + 10, width)
        parts.append(block)
    block, y = panels.legend(MARGIN, y + 10, width)
    parts.append(block)
    return parts, y


def _svg(plan: Plan, parts: list[str], width: float, height: float) -> str:
    title = _("Flow chart: %(name)s") % {"name": plan.metadata.name}
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart-svg" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="{FONT}" data-plan="{esc(plan.metadata.name)}">'
        f"<title>{esc(title)}</title>"
        f"{draw.defs()}"
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f"{''.join(parts)}</svg>"
    )


def flowchart(plan: Plan) -> Chart:
    """The flow chart of ``plan`` (a pure function of it)."""
    boxes, edges = boxes_and_edges(plan)
    layout = layout_graph(plan, boxes, edges)
    parts = draw.graph(layout, boxes, plan.initial_stage)
    total_w = max(layout.graph_right + MARGIN, MIN_WIDTH)
    below, bottom = _below(plan, layout, total_w)
    height = bottom + MARGIN
    return Chart(
        svg=_svg(plan, [*parts, *below], total_w, height),
        width=total_w,
        height=height,
        stages=list(plan.stages),
        back_edges=[(e.source, e.target) for e in layout.backward],
        edges=[(e.source, e.target) for e in edges],
    )
