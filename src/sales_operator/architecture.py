"""The architecture picture (`docs/architecture.svg`), drawn from `get_graph(xray=True)`.

`scripts/architecture.py` writes it. Every node of the compiled graph, the pattern
subgraphs' own nodes included, is drawn once, grouped by pattern; the approval gate and the
executor are the two large boxes. The picture keeps the flow readable by drawing the
conditional edges between groups only along the main paths (router to scoring, pattern to
next pattern, every pattern to the gate, the executor back to the router or the end, the
speed-to-lead lane), and lists *every* conditional edge of the graph in a routing table
under it. Each drawn node carries `data-node="<id>"` and each edge, drawn or listed,
`data-edge="<source>-><target>"`, so a test can check the picture against the graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = ["architecture_svg", "graph_parts"]

PATTERN_LABELS = {
    "scoring_routing": "Scoring + Routing",
    "meeting_intelligence": "Meeting Intelligence",
    "generative_research": "Generative Research",
    "workflow_copilot": "Workflow Copilot",
}
"""Display names of the pattern subgraphs, in plan order."""

GATE, EXECUTOR, ROUTER = "approval_gate", "execute_actions", "ingest_event"
SPEED_TO_LEAD = ("notify_owner", "continue_event")
"""The speed-to-lead lane's nodes (used when the policy's `speed_to_lead` is on)."""
START, END = "__start__", "__end__"

_CHAR_W = 7.0
_BOX_H = 30.0
_GAP = 36.0
_FONT = "Helvetica, Arial, sans-serif"


@dataclass
class Parts:
    """The graph read as groups: what `architecture_svg` draws."""

    nodes: list[str]
    """Every node id, as `get_graph(xray=True)` names it."""
    edges: list[tuple[str, str, bool]]
    """Every edge: (source, target, conditional)."""
    patterns: dict[str, list[str]] = field(default_factory=dict)
    """Pattern subgraph name to its node ids (its `:__start__`/`:__end__` included)."""
    top: list[str] = field(default_factory=list)
    """Top-level node ids."""

    def group(self, node: str) -> str:
        """Return the pattern a node belongs to, or the node itself at top level."""
        head, sep, _ = node.partition(":")
        return head if sep else node


def graph_parts(graph: Any) -> Parts:
    """Read a compiled graph's `get_graph(xray=True)` as nodes, edges and pattern groups."""
    drawable = graph.get_graph(xray=True) if hasattr(graph, "get_graph") else graph
    nodes = [str(n) for n in drawable.nodes]
    edges = [(str(e.source), str(e.target), bool(e.conditional)) for e in drawable.edges]
    parts = Parts(nodes, edges)
    for node in nodes:
        head, sep, _ = node.partition(":")
        if sep:
            parts.patterns.setdefault(head, []).append(node)
        else:
            parts.top.append(node)
    order = list(PATTERN_LABELS)
    parts.patterns = dict(
        sorted(parts.patterns.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    )
    return parts


def _w(label: str) -> float:
    return len(label) * _CHAR_W + 24


def _chains(parts: Parts, name: str) -> list[list[str]]:
    """Return a pattern's inner nodes as chains along its fixed edges (drawn one per row)."""
    inner = [n for n in parts.patterns[name] if not n.endswith((f":{START}", f":{END}"))]
    nxt = {s: t for s, t, c in parts.edges if not c and s in inner and t in inner}
    has_in = set(nxt.values())
    chains: list[list[str]] = []
    for node in inner:
        if node in has_in:
            continue
        chain = [node]
        while chain[-1] in nxt and nxt[chain[-1]] not in chain:
            chain.append(nxt[chain[-1]])
        chains.append(chain)
    placed = {n for c in chains for n in c}
    chains += [[n] for n in inner if n not in placed]  # a cycle: each node on its own row
    return chains


class _Canvas:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.box: dict[str, tuple[float, float, float, float]] = {}  # x, y, w, h (top-left)

    def node(
        self,
        node: str,
        x: float,
        y: float,
        label: str,
        *,
        w: float | None = None,
        h: float = _BOX_H,
        fill: str = "#dbe9f8",
        stroke: str = "#33557a",
        note: str = "",
        bold: bool = False,
    ) -> None:
        w = w or _w(label)
        self.box[node] = (x, y, w, h)
        weight = ' font-weight="bold"' if bold else ""
        text_y = y + h / 2 + (4 if not note else -3)
        self.out.append(
            f'<g data-node="{escape(node)}"><title>{escape(node)}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2.2 if bold else 1.2}"/>'
            f'<text x="{x + w / 2:.0f}" y="{text_y:.0f}" text-anchor="middle"{weight}>'
            f"{escape(label)}</text>"
            + (
                f'<text x="{x + w / 2:.0f}" y="{y + h / 2 + 13:.0f}" text-anchor="middle" '
                f'font-size="11" fill="#444">{escape(note)}</text>'
                if note
                else ""
            )
            + "</g>"
        )

    def dot(self, node: str, x: float, y: float, label: str = "") -> None:
        self.box[node] = (x - 6, y - 6, 12, 12)
        text = (
            f'<text x="{x:.0f}" y="{y - 10:.0f}" text-anchor="middle" font-size="10" '
            f'fill="#555">{escape(label)}</text>'
            if label
            else ""
        )
        self.out.append(
            f'<g data-node="{escape(node)}"><title>{escape(node)}</title>'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="#eeeeee" stroke="#333"/>{text}</g>'
        )

    def anchor(self, node: str, side: str) -> tuple[float, float]:
        x, y, w, h = self.box[node]
        return {
            "l": (x, y + h / 2),
            "r": (x + w, y + h / 2),
            "t": (x + w / 2, y),
            "b": (x + w / 2, y + h),
        }[side]

    def arrow(
        self,
        key: str,
        points: list[tuple[float, float]],
        *,
        conditional: bool,
        bold: bool = False,
    ) -> None:
        d = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
        dash = ' stroke-dasharray="5,4"' if conditional else ""
        color = "#8a8a8a" if conditional else "#333"
        self.out.append(
            f'<polyline data-edge="{escape(key)}" points="{d}" fill="none" stroke="{color}" '
            f'stroke-width="{2.2 if bold else 1.3}"{dash} marker-end="url(#arrow)"/>'
        )


def architecture_svg(graph: Any, *, title: str = "") -> str:  # noqa: C901, PLR0915
    """Return the architecture picture of the compiled operator (see the module)."""
    parts = graph_parts(graph)
    c = _Canvas()
    edge_set = {(s, t): cond for s, t, cond in parts.edges}
    drawn: set[tuple[str, str]] = set()

    def link(
        source: str,
        target: str,
        points: list[tuple[float, float]],
        *,
        bold: bool = False,
    ) -> None:
        """Draw the edge (or group edge) source -> target if the graph has it."""
        pairs = [
            (s, t)
            for (s, t) in edge_set
            if parts.group(s) == source and parts.group(t) == target and (s, t) not in drawn
        ]
        if not pairs:
            return
        drawn.update(pairs)
        key = " ".join(f"{s}->{t}" for s, t in pairs)
        c.arrow(key, points, conditional=all(edge_set[p] for p in pairs), bold=bold)

    # --- row 1: start, router, the four patterns ------------------------------------------
    top_y = 96.0
    x = 24.0
    c.dot(START, x + 6, top_y + 52, "start")
    x += 40
    c.node(ROUTER, x, top_y + 37, ROUTER, note="event router", h=40)
    x += c.box[ROUTER][2] + _GAP
    clusters: dict[str, tuple[float, float, float, float]] = {}
    row_h = _BOX_H + 14
    for name, members in parts.patterns.items():
        chains = _chains(parts, name)
        widths = [sum(_w(n.split(":", 1)[1]) for n in ch) + 28 * (len(ch) - 1) for ch in chains]
        cw = max([*widths, _w(PATTERN_LABELS.get(name, name)) + 10]) + 40
        ch_ = 44 + row_h * max(1, len(chains)) + 6
        cy = top_y
        clusters[name] = (x, cy, cw, ch_)
        c.out.append(
            f'<g data-group="{escape(name)}"><rect x="{x:.0f}" y="{cy:.0f}" width="{cw:.0f}" '
            f'height="{ch_:.0f}" rx="10" fill="#f4f8fc" stroke="#7a9cc2"/>'
            f'<text x="{x + 12:.0f}" y="{cy + 18:.0f}" font-weight="bold">'
            f"{escape(PATTERN_LABELS.get(name, name))}</text>"
            f'<text x="{x + 12:.0f}" y="{cy + 32:.0f}" font-size="10" fill="#555">'
            f"{escape(name)}</text></g>"
        )
        entry, leave = f"{name}:{START}", f"{name}:{END}"
        if entry in members:
            c.dot(entry, x, cy + ch_ / 2)
        if leave in members:
            c.dot(leave, x + cw, cy + ch_ / 2)
        for i, chain in enumerate(chains):
            nx = x + 20
            ny = cy + 44 + i * row_h
            for node in chain:
                c.node(node, nx, ny, node.split(":", 1)[1])
                nx += c.box[node][2] + 28
            for a, b in zip(chain, chain[1:], strict=False):
                c.arrow(f"{a}->{b}", [c.anchor(a, "r"), c.anchor(b, "l")], conditional=False)
                drawn.add((a, b))
            first, last = chain[0], chain[-1]
            for s, t in ((entry, first), (last, leave)):
                if (s, t) in edge_set and s in c.box:
                    side_s, side_t = ("r", "l")
                    c.arrow(
                        f"{s}->{t}",
                        [c.anchor(s, side_s), c.anchor(t, side_t)],
                        conditional=edge_set[s, t],
                    )
                    drawn.add((s, t))
        x += cw + _GAP
    width = x - _GAP + 24

    # --- row 2: speed-to-lead lane, the gate, the executor, the end -----------------------
    low_y = top_y + max(h for *_, h in clusters.values()) + 120
    lane = [n for n in SPEED_TO_LEAD if n in parts.top]
    lx = 64.0
    if lane:
        lw = sum(_w(n) for n in lane) + 28 * (len(lane) - 1) + 40
        c.out.append(
            f'<g data-group="speed_to_lead"><rect x="{lx:.0f}" y="{low_y - 34:.0f}" '
            f'width="{lw:.0f}" height="{_BOX_H + 56:.0f}" rx="10" fill="#fbfbf4" '
            'stroke="#b9b07a" stroke-dasharray="4,3"/>'
            f'<text x="{lx + 12:.0f}" y="{low_y - 16:.0f}" font-size="11" fill="#6b6330">'
            "speed_to_lead (policy switch): the lead's first request</text></g>"
        )
        nx = lx + 20
        for node in lane:
            c.node(node, nx, low_y, node, fill="#f7f3d9", stroke="#8d8345")
            nx += c.box[node][2] + 28
    gx = max(width * 0.42, lx + 380)
    c.node(
        GATE,
        gx,
        low_y - 8,
        GATE,
        w=220,
        h=54,
        fill="#fde7c8",
        stroke="#b06a00",
        note="human approval: one interrupt",
        bold=True,
    )
    ex = gx + 220 + 70
    c.node(
        EXECUTOR,
        ex,
        low_y - 8,
        EXECUTOR,
        w=230,
        h=54,
        fill="#f9d3cf",
        stroke="#a23b2e",
        note="the only writer: idempotent, audited",
        bold=True,
    )
    c.dot(END, ex + 230 + 60, low_y + 19, "end")
    others = [
        n
        for n in parts.top
        if n not in {START, END, ROUTER, GATE, EXECUTOR, *SPEED_TO_LEAD} and n not in clusters
    ]
    ox = gx
    for node in others:  # a node this picture has no place for yet: still drawn
        c.node(node, ox, low_y + 80, node)
        ox += c.box[node][2] + 20

    # --- group edges along the main paths ---------------------------------------------------
    def cl(name: str, side: str) -> tuple[float, float]:
        x0, y0, w0, h0 = clusters[name]
        return {"l": (x0, y0 + h0 / 2), "r": (x0 + w0, y0 + h0 / 2), "b": (x0 + w0 / 2, y0 + h0)}[
            side
        ]

    names = list(clusters)
    link(START, ROUTER, [c.anchor(START, "r"), c.anchor(ROUTER, "l")])
    if names:
        out_of_router = c.anchor(ROUTER, "r")
        link(ROUTER, names[0], [out_of_router, (cl(names[0], "l")[0], out_of_router[1])])
    for left, right in zip(names, names[1:], strict=False):
        y = clusters[left][1] + 24
        link(left, right, [(cl(left, "r")[0], y), (cl(right, "l")[0], y)])
    gate_top = c.anchor(GATE, "t")
    for i, name in enumerate(names):
        bx, by = cl(name, "b")
        target = (gate_top[0] - 60 + 40 * i, gate_top[1])
        link(name, GATE, [(bx, by), (bx, by + 30), target])
    link(GATE, EXECUTOR, [c.anchor(GATE, "r"), c.anchor(EXECUTOR, "l")], bold=True)
    link(EXECUTOR, END, [c.anchor(EXECUTOR, "r"), c.anchor(END, "l")])
    if lane:
        rb = c.anchor(ROUTER, "b")
        first = lane[0]
        link(ROUTER, first, [rb, (rb[0], c.anchor(first, "t")[1] - 20), c.anchor(first, "t")])
        if names:
            bx, by = cl(names[0], "b")
            link(names[0], first, [(bx - 40, by), (bx - 40, by + 14), c.anchor(first, "t")])
        for a, b in zip(lane, lane[1:], strict=False):
            link(a, b, [c.anchor(a, "r"), c.anchor(b, "l")])
        link(
            first,
            GATE,
            [
                c.anchor(first, "b"),
                (c.anchor(first, "b")[0], low_y + 70),
                (c.anchor(GATE, "b")[0] - 30, low_y + 70),
                (c.anchor(GATE, "b")[0] - 30, c.anchor(GATE, "b")[1]),
            ],
        )
        last = lane[-1]
        ex_b = c.anchor(EXECUTOR, "b")
        lb = c.anchor(last, "b")
        link(EXECUTOR, last, [ex_b, (ex_b[0], low_y + 84), (lb[0], low_y + 84), lb])

    # --- the routing table: every conditional edge, drawn or not ----------------------------
    table_y = low_y + 130
    by_source: dict[str, list[str]] = defaultdict(list)
    for s, t, cond in parts.edges:
        if cond:
            by_source[s].append(t)
    lines = [
        (s, ts) for s, ts in sorted(by_source.items(), key=lambda kv: parts.nodes.index(kv[0]))
    ]
    c.out.append(
        f'<text x="24" y="{table_y:.0f}" font-weight="bold">Routing (every conditional edge; '
        "dashed arrows above draw them between groups): each step goes to the next step of "
        "the event's plan</text>"
    )
    y = table_y + 20
    for s, targets in lines:
        cells = " · ".join(escape(t) for t in targets)
        keys = " ".join(escape(f"{s}->{t}") for t in targets)
        c.out.append(
            f'<text data-edge="{keys}" x="36" y="{y:.0f}" font-size="11" '
            f'font-family="Menlo, Consolas, monospace"><tspan font-weight="bold">'
            f"{escape(s)}</tspan> ⇢ {cells}</text>"
        )
        y += 17
    fixed = [f"{s}->{t}" for s, t, cond in parts.edges if not cond and (s, t) not in drawn]
    if fixed:  # fixed edges with no place above (none today): listed, never dropped
        c.out.append(
            f'<text data-edge="{escape(" ".join(fixed))}" x="36" y="{y:.0f}" font-size="11">'
            f"fixed: {escape(', '.join(fixed))}</text>"
        )
        y += 17
    height = y + 14
    width = max(width, ex + 230 + 90, 980.0)
    legend = (
        "solid: fixed edge · dashed: conditional (the plan router) · "
        "orange: the approval interrupt · red: the only node that writes"
    )
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}" font-size="13">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
        "markerHeight='7' orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' "
        "fill='#555'/></marker></defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<text x="24" y="30" font-size="17" font-weight="bold">{escape(title)}</text>',
        f'<text x="24" y="52" font-size="12" fill="#444">{escape(legend)}</text>',
        '<text x="24" y="70" font-size="12" fill="#444">drawn from '
        "build_operator(...).get_graph(xray=True) by scripts/architecture.py</text>",
    ]
    return "\n".join([*head, *c.out, "</svg>"])
