"""The placed graph as SVG: arrow markers, the stage boxes with their lines, forward
edges as curves through their slots, back edges as rounded loops around the side, and
the start marker."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tousu.plans.flowchart.layout import LANE, TRACK, Chain, Layout
from tousu.plans.flowchart.stages import (
    LINE_LH,
    LINE_PX,
    NODE_W,
    PAD,
    STYLES,
    TITLE_LH,
    TITLE_PX,
    Box,
    Edge,
)
from tousu.plans.flowchart.text import esc

BOX_STYLE = {
    "initial": ("#e7f5ff", "#1c7ed6", "#d0ebff"),
    "stage": ("#ffffff", "#495057", "#e9ecef"),
    "approval": ("#fff9db", "#e67700", "#ffec99"),
    "terminal": ("#f1f3f5", "#343a40", "#dee2e6"),
}
LINE_COLOUR = {
    "tag": "#b35c00",
    "deadline": "#a61e4d",
    "action": "#212529",
    "self": "#5f3dc4",
    "alert": "#c92a2a",
    "note": "#495057",
}

Ports = dict[tuple[str, str, str], float]


def defs() -> str:
    """An arrow head per edge style (and the start marker's)."""
    markers = []
    for name, (colour, _dash) in [*STYLES.items(), ("start", ("#212529", ""))]:
        markers.append(
            f'<marker id="fc-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    return f"<defs>{''.join(markers)}</defs>"


def _path(d: str, e: Edge) -> str:
    colour, dash = STYLES[e.style]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    title = esc("\n".join(e.titles))
    return (
        f'<path class="fc-edge fc-{e.style}" d="{d}" fill="none" stroke="{colour}" '
        f'stroke-width="1.6"{dash_attr} marker-end="url(#fc-arrow-{e.style})">'
        f"<title>{title}</title></path>"
    )


def _toward(px: float, py: float, qx: float, qy: float, dist: float) -> tuple[float, float]:
    length = max(abs(qx - px) + abs(qy - py), 1e-9)
    return px + (qx - px) / length * dist, py + (qy - py) / length * dist


def orthogonal(points: list[tuple[float, float]], radius: float = 7.0) -> str:
    """A path through ``points`` with rounded corners."""
    d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = points[i - 1], points[i], points[i + 1]
        r1 = min(radius, abs(bx - ax) / 2 + abs(by - ay) / 2)
        r2 = min(radius, abs(cx - bx) / 2 + abs(cy - by) / 2)
        r = min(r1, r2)
        p1 = _toward(bx, by, ax, ay, r)
        p2 = _toward(bx, by, cx, cy, r)
        d.append(f"L{p1[0]:.1f},{p1[1]:.1f} Q{bx:.1f},{by:.1f} {p2[0]:.1f},{p2[1]:.1f}")
    d.append(f"L{points[-1][0]:.1f},{points[-1][1]:.1f}")
    return " ".join(d)


def box(item: Box, left: float, top: float) -> str:
    """A stage's box: title band, lines, and the small self-loop when an action stays."""
    fill, stroke, band = BOX_STYLE[item.kind]
    head_h = PAD + len(item.title_lines) * TITLE_LH - 2
    out = [
        f'<g class="fc-stage fc-{item.kind}" data-stage="{esc(item.label)}">',
        f"<title>{esc(item.label)}</title>",
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{NODE_W}" height="{item.height:.1f}" '
        f'rx="{12 if item.kind == "terminal" else 6}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{2 if item.kind in ("approval", "initial") else 1.3}"/>',
        f'<path d="M{left + 1:.1f},{top + head_h + 3:.1f} H{left + NODE_W - 1:.1f}" '
        f'stroke="{band}" stroke-width="1"/>',
    ]
    y = top + PAD + TITLE_PX
    for text in item.title_lines:
        out.append(
            f'<text x="{left + PAD:.1f}" y="{y:.1f}" font-size="{TITLE_PX}" '
            f'font-weight="700" fill="#212529">{esc(text)}</text>'
        )
        y += TITLE_LH
    y += 4 - TITLE_LH + LINE_LH
    for line in item.lines:
        weight = ' font-weight="600"' if line.kind == "tag" else ""
        out.append(
            f'<text x="{left + PAD:.1f}" y="{y:.1f}" font-size="{LINE_PX}"{weight} '
            f'fill="{LINE_COLOUR[line.kind]}">{esc(line.text)}</text>'
        )
        y += LINE_LH
    if item.self_loop:
        out.append(_self_loop(left + NODE_W, top))
    out.append("</g>")
    return "".join(out)


def _self_loop(right: float, top: float) -> str:
    y1, y2 = top + 8, top + 24
    return (
        f'<path class="fc-edge fc-self" d="M{right:.1f},{y1:.1f} C{right + 22:.1f},{y1 - 6:.1f} '
        f'{right + 22:.1f},{y2 + 6:.1f} {right + 1:.1f},{y2:.1f}" fill="none" stroke="#5f3dc4" '
        f'stroke-width="1.4" marker-end="url(#fc-arrow-reopen)"/>'
    )


def ports(layout: Layout, stages: list[str]) -> Ports:
    """Where each edge leaves and enters a box: spread over the box's bottom and top in
    the order of the other ends (loops at the side they go round)."""
    x = layout.x
    out_ports: dict[str, list[tuple[float, str, str]]] = {k: [] for k in stages}
    in_ports: dict[str, list[tuple[float, str, str]]] = {k: [] for k in stages}
    for e, path in layout.chains:
        out_ports[e.source].append((x[path[1]], e.source, e.target))
        in_ports[e.target].append((x[path[-2]], e.source, e.target))
    for e in layout.backward:
        far = -1e9 if layout.side_of[(e.source, e.target)] == "left" else 1e9
        out_ports[e.source].append((far, e.source, e.target))
        in_ports[e.target].append((far, e.source, e.target))
    port: Ports = {}
    for k in stages:
        for bucket, tag in ((out_ports[k], "out"), (in_ports[k], "in")):
            bucket.sort()
            n = len(bucket)
            for i, (_at, s, t) in enumerate(bucket):
                port[(s, t, tag)] = x[k] - NODE_W / 2 + 16 + (NODE_W - 32) * (i + 1) / (n + 1)
    return port


def _bottom(layout: Layout, boxes: dict[str, Box], node: str) -> float:
    return layout.layer_top[layout.layer[node]] + boxes[node].height


def forward_edge(layout: Layout, boxes: dict[str, Box], port: Ports, chain: Chain) -> str:
    """A forward edge: down from its source, through its slots, into its target."""
    e, path = chain
    x, layer_top, layer_h = layout.x, layout.layer_top, layout.layer_h
    sx = port[(e.source, e.target, "out")]
    tx = port[(e.source, e.target, "in")]
    d = [f"M{sx:.1f},{_bottom(layout, boxes, e.source):.1f}"]
    lv = layout.layer[e.source]
    cur_x, cur_y = sx, layer_top[lv] + layer_h[lv]
    d.append(f"L{cur_x:.1f},{cur_y:.1f}")
    for node in path[1:]:
        lv += 1
        nx = tx if node == e.target else x[node]
        ny = layer_top[lv]
        mid = (cur_y + ny) / 2
        d.append(f"C{cur_x:.1f},{mid:.1f} {nx:.1f},{mid:.1f} {nx:.1f},{ny:.1f}")
        cur_x, cur_y = nx, ny
        if node != e.target:
            cur_y = layer_top[lv] + layer_h[lv]
            d.append(f"L{cur_x:.1f},{cur_y:.1f}")
    return _path(" ".join(d), e)


def back_edge(layout: Layout, boxes: dict[str, Box], port: Ports, e: Edge) -> str:
    """A loop back: out below its source, along its track to its lane at the side, up,
    and in above its target."""
    pair = (e.source, e.target)
    lane = layout.lane_of[pair]
    if layout.side_of[pair] == "right":
        cx = layout.max_x + 14 + lane * LANE
    else:
        cx = layout.left_edge - 14 - lane * LANE
    sx = port[(e.source, e.target, "out")]
    tx = port[(e.source, e.target, "in")]
    source_layer, target_top = layout.layer[e.source], layout.layer_top[layout.layer[e.target]]
    y_out = layout.gap_top[source_layer + 1] + 8 + layout.track_of[(*pair, "out")] * TRACK
    y_in = target_top - 8 - layout.track_of[(*pair, "in")] * TRACK
    route = orthogonal(
        [
            (sx, _bottom(layout, boxes, e.source)),
            (sx, y_out),
            (cx, y_out),
            (cx, y_in),
            (tx, y_in),
            (tx, target_top),
        ]
    )
    return _path(route, e)


def start_marker(layout: Layout, first: str) -> str:
    """The “Start” pill above the first stage, with its arrow."""
    x = layout.x[first]
    return (
        f'<g class="fc-start"><rect x="{x - 30:.1f}" y="4" width="60" height="20" rx="10" '
        f'fill="#212529"/><text x="{x:.1f}" y="18" text-anchor="middle" fill="#fff" '
        f'font-size="12">{esc(_("Start"))}</text>'
        f'<path d="M{x:.1f},24 L{x:.1f},{layout.layer_top[0]:.1f}" stroke="#212529" '
        f'fill="none" marker-end="url(#fc-arrow-start)"/></g>'
    )


def graph(layout: Layout, boxes: dict[str, Box], first: str) -> list[str]:
    """The start marker, the edges, then the boxes over them."""
    stages = list(boxes)
    port = ports(layout, stages)
    parts = [start_marker(layout, first)]
    parts.extend(forward_edge(layout, boxes, port, chain) for chain in layout.chains)
    parts.extend(back_edge(layout, boxes, port, e) for e in layout.backward)
    for k in stages:
        parts.append(box(boxes[k], layout.x[k] - NODE_W / 2, layout.layer_top[layout.layer[k]]))
    return parts
