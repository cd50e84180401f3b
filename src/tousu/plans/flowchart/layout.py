"""Where the boxes go (deterministic, no randomness).

A depth-first search from the initial stage in the file's order finds the back edges;
the rest is a DAG layered by longest path; long edges pass through narrow dummy slots;
layers are ordered by barycentres (fewest crossings kept) and placed by isotonic
regression towards the neighbours' centres. Back edges get a lane on a side of the chart
and a track in the gaps between layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tousu.plans.flowchart.stages import LOOP_STYLES, NODE_W, Box, Edge
from tousu.plans.schema import Plan

DUMMY_W = 14
H_GAP = 34
GAP_BASE = 46
TRACK = 9
LANE = 12
MARGIN = 16
TOP = 34  # room for the start marker
# Last sweeps pull each node under its leftmost parent, then over its leftmost child:
# the chart starts at its top left (a phone opens on the first stage, not on blank).
LEFT_SWEEPS = 2

Chain = tuple[Edge, list[str]]


@dataclass
class Layout:
    """The placed graph: centres ``x`` of boxes and dummy slots, each stage's layer, the
    top and height of each layer, the gaps' tops, and the back edges' lanes and tracks."""

    rank: dict[str, int]
    layer: dict[str, int]
    layers: list[list[str]]
    forward: list[Edge]
    backward: list[Edge]
    chains: list[Chain]
    x: dict[str, float] = field(default_factory=dict)
    side_of: dict[tuple[str, str], str] = field(default_factory=dict)
    lane_of: dict[tuple[str, str], int] = field(default_factory=dict)
    lanes_used: dict[str, int] = field(default_factory=dict)
    track_of: dict[tuple[str, str, str], int] = field(default_factory=dict)
    tracks: list[int] = field(default_factory=list)
    layer_top: list[float] = field(default_factory=list)
    layer_h: list[float] = field(default_factory=list)
    gap_top: list[float] = field(default_factory=list)
    left_edge: float = 0.0
    max_x: float = 0.0
    graph_right: float = 0.0
    graph_bottom: float = 0.0

    @property
    def depth(self) -> int:
        return len(self.layers)


def node_width(node: str) -> float:
    return DUMMY_W if node.startswith("~") else NODE_W


def flow_order(plan: Plan, edges: list[Edge]) -> list[str]:
    """The stages in flow order: a topological order of the forward transitions by a
    depth-first search from the initial stage (reverse post-order). Stages reached only
    by a loop (dissatisfied, sent back, reopened, follow-up) come right after the stage
    the loop leaves, so the loop's own way back is what turns backward."""
    forward: dict[str, list[str]] = {key: [] for key in plan.stages}
    loops: dict[str, list[str]] = {key: [] for key in plan.stages}
    for edge in edges:
        (loops if edge.style in LOOP_STYLES else forward)[edge.source].append(edge.target)
    seen: set[str] = set()

    def block(root: str) -> list[str]:
        post: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        seen.add(root)
        while stack:
            node, index = stack[-1]
            if index < len(forward[node]):
                stack[-1] = (node, index + 1)
                nxt = forward[node][index]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, 0))
            else:
                post.append(node)
                stack.pop()
        return post[::-1]

    order = block(plan.initial_stage)
    done = 0
    while True:
        done = _insert_loop_targets(order, done, loops, seen, block)
        rest = [key for key in plan.stages if key not in seen]
        if not rest:
            return order
        order.extend(block(rest[0]))


def _insert_loop_targets(
    order: list[str],
    start: int,
    loops: dict[str, list[str]],
    seen: set[str],
    block: Callable[[str], list[str]],
) -> int:
    """Put each stage reached only by a loop right after the stage the loop leaves, from
    ``order[start]`` on; returns where it stopped."""
    i = start
    while i < len(order):
        at = i + 1
        for target in loops[order[i]]:
            if target not in seen:
                found = block(target)
                order[at:at] = found
                at += len(found)
        i += 1
    return i


def _longest_path_layers(plan: Plan, forward: list[Edge], rank: dict[str, int]) -> dict[str, int]:
    """Each stage's layer: the longest path to it over the forward edges (a DAG once the
    back edges are out)."""
    layer = {key: 0 for key in plan.stages}
    indegree = {key: 0 for key in plan.stages}
    for e in forward:
        indegree[e.target] += 1
    ready = sorted((k for k, d in indegree.items() if d == 0), key=rank.__getitem__)
    while ready:
        node = ready.pop(0)
        for e in forward:
            if e.source != node:
                continue
            layer[e.target] = max(layer[e.target], layer[node] + 1)
            indegree[e.target] -= 1
            if indegree[e.target] == 0:
                ready.append(e.target)
                ready.sort(key=rank.__getitem__)
    return layer


Links = dict[str, list[str]]


def _with_dummies(
    plan: Plan, layout: Layout, depth: int
) -> tuple[list[list[str]], Links, Links, list[Chain]]:
    """The layers with a dummy slot wherever a forward edge spans several, the links
    down and up between neighbours, and each edge's chain of slots."""
    layer, rank = layout.layer, layout.rank
    layers: list[list[str]] = [[] for _ in range(depth)]
    for key in sorted(plan.stages, key=rank.__getitem__):
        layers[layer[key]].append(key)
    down: Links = {}
    up: Links = {}
    chains: list[Chain] = []
    for index, e in enumerate(layout.forward):
        path = [e.source]
        for lv in range(layer[e.source] + 1, layer[e.target]):
            dummy = f"~{index}~{lv}"
            layers[lv].append(dummy)
            path.append(dummy)
        path.append(e.target)
        for a, b in zip(path, path[1:], strict=False):
            down.setdefault(a, []).append(b)
            up.setdefault(b, []).append(a)
        chains.append((e, path))
    return layers, down, up, chains


def _crossings(layers: list[list[str]], down: Links) -> int:
    total = 0
    for upper, lower in zip(layers, layers[1:], strict=False):
        pos = {n: i for i, n in enumerate(lower)}
        pairs = [(i, pos[t]) for i, n in enumerate(upper) for t in down.get(n, []) if t in pos]
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                if (pairs[a][0] - pairs[b][0]) * (pairs[a][1] - pairs[b][1]) < 0:
                    total += 1
    return total


def _by_barycentre(nodes: list[str], ref: list[str], links: Links) -> list[str]:
    pos = {n: j for j, n in enumerate(ref)}

    def bary(item: tuple[int, str]) -> tuple[float, int]:
        j, node = item
        near = [pos[m] for m in links.get(node, []) if m in pos]
        return (sum(near) / len(near) if near else float(j), j)

    return [n for _j, n in sorted(enumerate(nodes), key=bary)]


def _order(layers: list[list[str]], down: Links, up: Links) -> list[list[str]]:
    """The layers reordered by barycentre sweeps, down and up; the order with the fewest
    crossings wins."""
    best = [list(layer) for layer in layers]
    best_count = _crossings(best, down)
    current = [list(layer) for layer in layers]
    for sweep in range(8):
        downward = sweep % 2 == 0
        indices = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        for i in indices:
            ref = current[i - 1] if downward else current[i + 1]
            current[i] = _by_barycentre(current[i], ref, up if downward else down)
        count = _crossings(current, down)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    return best


def _isotonic(desired: list[float], offsets: list[float]) -> list[float]:
    """Positions closest (least squares) to ``desired`` that keep the order and the
    minimum distances ``offsets`` encode (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [total, count, size]
    for d, o in zip(desired, offsets, strict=True):
        blocks.append([d - o, 1, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    out: list[float] = []
    i = 0
    for total, count, size in blocks:
        for _k in range(int(size)):
            out.append(total / count + offsets[i])
            i += 1
    return out


def _packed(nodes: list[str]) -> list[float]:
    """Offsets of a layer's nodes packed from the first: the minimum distances."""
    offsets, at = [], 0.0
    for i, node in enumerate(nodes):
        if i:
            both_dummies = node.startswith("~") and nodes[i - 1].startswith("~")
            at += (node_width(nodes[i - 1]) + node_width(node)) / 2 + (8 if both_dummies else H_GAP)
        offsets.append(at)
    return offsets


def _place_x(layout: Layout, down: Links, up: Links) -> None:
    """Horizontal places: packed, pulled towards the neighbours' centres, then to the
    leftmost neighbour (the main line runs down the left, branches to the right)."""
    x = layout.x
    offsets_of = [_packed(nodes) for nodes in layout.layers]
    for nodes, offsets in zip(layout.layers, offsets_of, strict=True):
        for node, off in zip(nodes, offsets, strict=True):
            x[node] = off - (offsets[-1] if offsets else 0) / 2
    depth = layout.depth
    for sweep in range(10 + LEFT_SWEEPS):
        indices = range(depth) if sweep % 2 == 0 else range(depth - 1, -1, -1)
        links = up if sweep % 2 == 0 else down
        for i in indices:
            desired = []
            for node in layout.layers[i]:
                near = [x[m] for m in links.get(node, [])]
                if sweep >= 8:
                    near = [x[m] for m in up.get(node, []) + down.get(node, [])]
                if sweep >= 10:
                    near = [min(near)] if near else []
                desired.append(sum(near) / len(near) if near else x[node])
            for node, value in zip(
                layout.layers[i], _isotonic(desired, offsets_of[i]), strict=True
            ):
                x[node] = value


def _assign_lanes(plan: Plan, layout: Layout) -> None:
    """Back edges: a lane on the nearer side, shorter loops inside longer ones; loops
    that do not overlap in height share a lane."""
    x, layer, rank = layout.x, layout.layer, layout.rank
    centre = sum(x[k] for k in plan.stages) / len(plan.stages)
    sides: dict[str, list[Edge]] = {"left": [], "right": []}
    for e in layout.backward:
        side = "left" if (x[e.source] + x[e.target]) / 2 < centre - 1 else "right"
        sides[side].append(e)
    for side, items in sides.items():
        items.sort(key=lambda e: (layer[e.source] - layer[e.target], rank[e.source]))
        taken: list[list[tuple[int, int]]] = []
        for e in items:
            span = (layer[e.target], layer[e.source] + 1)
            for n, intervals in enumerate(taken):
                if all(span[1] < lo or span[0] > hi for lo, hi in intervals):
                    intervals.append(span)
                    layout.lane_of[(e.source, e.target)] = n
                    break
            else:
                taken.append([span])
                layout.lane_of[(e.source, e.target)] = len(taken) - 1
            layout.side_of[(e.source, e.target)] = side
        layout.lanes_used[side] = len(taken)


def _assign_tracks(layout: Layout) -> None:
    """Gaps between layers: a track for each back edge's horizontal run, out below its
    source and in above its target."""
    layer, rank = layout.layer, layout.rank
    tracks = [0] * (layout.depth + 1)
    backward = layout.backward
    for e in sorted(backward, key=lambda e: (layer[e.source], rank[e.source], rank[e.target])):
        layout.track_of[(e.source, e.target, "out")] = tracks[layer[e.source] + 1]
        tracks[layer[e.source] + 1] += 1
    for e in sorted(backward, key=lambda e: (layer[e.target], rank[e.target], rank[e.source])):
        layout.track_of[(e.source, e.target, "in")] = tracks[layer[e.target]]
        tracks[layer[e.target]] += 1
    layout.tracks = tracks


def _shift_right_of_lanes(layout: Layout) -> None:
    """Move the graph so that the left lanes and the margin fit before it."""
    x, layers = layout.x, layout.layers
    min_x = min(x[k] - node_width(k) / 2 for nodes in layers for k in nodes)
    max_x = max(x[k] + node_width(k) / 2 for nodes in layers for k in nodes)
    left = layout.lanes_used["left"]
    right = layout.lanes_used["right"]
    layout.left_edge = MARGIN + left * LANE + (14 if left else 0)
    shift = layout.left_edge - min_x
    for k in x:
        x[k] += shift
    layout.max_x = max_x + shift
    layout.graph_right = layout.max_x + (14 + right * LANE if right else 0)


def _place_y(layout: Layout, boxes: dict[str, Box]) -> None:
    """Vertical places: each layer as tall as its tallest box, gaps as wide as their
    tracks need."""
    y: float = TOP
    tracks = layout.tracks
    for i, nodes in enumerate(layout.layers):
        layout.gap_top.append(y)
        y += GAP_BASE + tracks[i] * TRACK if i else 12 + tracks[i] * TRACK
        layout.layer_top.append(y)
        h = max((boxes[n].height for n in nodes if not n.startswith("~")), default=20)
        layout.layer_h.append(h)
        y += h
    layout.gap_top.append(y)
    y += 20 + tracks[layout.depth] * TRACK
    layout.graph_bottom = y


def layout_graph(plan: Plan, boxes: dict[str, Box], edges: list[Edge]) -> Layout:
    """The boxes and edges of ``plan`` placed (a pure function of them)."""
    rank = {key: i for i, key in enumerate(flow_order(plan, edges))}
    back = {(e.source, e.target) for e in edges if rank[e.target] < rank[e.source]}
    layout = Layout(
        rank=rank,
        layer={},
        layers=[],
        forward=[e for e in edges if (e.source, e.target) not in back],
        backward=[e for e in edges if (e.source, e.target) in back],
        chains=[],
    )
    layout.layer = _longest_path_layers(plan, layout.forward, rank)
    depth = max(layout.layer.values()) + 1
    layers, down, up, layout.chains = _with_dummies(plan, layout, depth)
    layout.layers = _order(layers, down, up)
    _place_x(layout, down, up)
    _assign_lanes(plan, layout)
    _assign_tracks(layout)
    _shift_right_of_lanes(layout)
    _place_y(layout, boxes)
    return layout
