"""Readable notebook displays, drawn without the network.

- `graph_svg(graph)` lays out a compiled graph's `get_graph()` with grandalf (the layout
  `draw_ascii` uses) and writes an SVG: no mermaid.ink, no browser. `build_operator` gives its
  graph an offline `_repr_mimebundle_` with it, so a notebook cell ending in `graph` works
  with no network. `scripts/architecture.py` writes `docs/architecture.svg` the same way.
- `deal_state_html`, `brief_html` and `insights_html` are the `_repr_html_` of `DealState`,
  `AccountBrief` and `MeetingInsights`: short tables instead of a repr thousands of characters
  long. Every value is HTML-escaped (transcripts and web text are data, never markup).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sales_operator.state import AccountBrief, DealState, MeetingInsights

G = TypeVar("G")

_BOX_H = 36.0
_CHAR_W = 7.6
_PAD = 24.0


def _layout(nodes: list[str], edges: list[tuple[str, str, bool]]) -> dict[str, Any]:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout
    from grandalf.routing import route_with_lines

    class _VertexView:
        def __init__(self, label: str) -> None:
            self.w = len(label) * _CHAR_W + 2 * 14
            self.h = _BOX_H
            self.xy: tuple[float, float] = (0.0, 0.0)

    class _EdgeView:
        def __init__(self) -> None:
            self.pts: list[tuple[float, float]] = []

        def setpath(self, pts: list[tuple[float, float]]) -> None:
            self.pts = pts

    vertices = {name: Vertex(name) for name in nodes}
    links = [Edge(vertices[s], vertices[t], data=cond) for s, t, cond in edges]
    graph = Graph(list(vertices.values()), links)
    for vertex in vertices.values():
        vertex.view = _VertexView(vertex.data)
    for link in links:
        link.view = _EdgeView()
    boxes: dict[str, tuple[float, float, float, float]] = {}
    paths: list[tuple[list[tuple[float, float]], bool]] = []
    for component in graph.C:
        layout = SugiyamaLayout(component)
        roots = [v for v in component.sV if not v.e_in()]
        layout.init_all(roots=roots, optimize=True)
        layout.yspace = _BOX_H + 20
        layout.xspace = 30
        layout.route_edge = route_with_lines
        layout.draw()
        for vertex in component.sV:
            x, y = vertex.view.xy
            boxes[vertex.data] = (x, y, vertex.view.w, vertex.view.h)
        for link in component.sE:
            paths.append(([(float(a), float(b)) for a, b in link.view.pts], bool(link.data)))
    return {"boxes": boxes, "paths": paths}


def graph_svg(graph: Any, *, title: str | None = None) -> str:
    """Return an SVG picture of a compiled LangGraph graph, laid out locally.

    Args:
        graph: A compiled graph (anything with `get_graph()`), or a `langchain_core` Graph.
        title: A caption drawn above the picture.

    Solid arrows are fixed edges; dashed arrows are conditional ones (the event router).
    """
    drawable = graph.get_graph() if hasattr(graph, "get_graph") else graph
    nodes = [str(n) for n in drawable.nodes]
    edges = [(str(e.source), str(e.target), bool(e.conditional)) for e in drawable.edges]
    layout = _layout(nodes, edges)
    boxes, paths = layout["boxes"], layout["paths"]
    xs = [x - w / 2 for x, _, w, _ in boxes.values()] + [x + w / 2 for x, _, w, _ in boxes.values()]
    ys = [y - h / 2 for _, y, _, h in boxes.values()] + [y + h / 2 for _, y, _, h in boxes.values()]
    top = 28.0 if title else 0.0
    dx, dy = _PAD - min(xs), _PAD - min(ys) + top
    width, height = max(xs) - min(xs) + 2 * _PAD, max(ys) - min(ys) + 2 * _PAD + top
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="13">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
        "markerHeight='7' orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' "
        "fill='#555'/></marker></defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
    ]
    if title:
        out.append(
            f'<text x="{width / 2:.0f}" y="22" text-anchor="middle" font-size="15" '
            f'font-weight="bold">{escape(title)}</text>'
        )
    for points, conditional in paths:
        if len(points) < 2:
            continue
        d = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for x, y in points)
        dash = ' stroke-dasharray="5,4"' if conditional else ""
        out.append(
            f'<polyline points="{d}" fill="none" stroke="#555" stroke-width="1.2"{dash} '
            'marker-end="url(#arrow)"/>'
        )
    for name, (x, y, w, h) in boxes.items():
        special = name in ("__start__", "__end__")
        fill = "#eeeeee" if special else ("#fde7c8" if name == "approval_gate" else "#dbe9f8")
        rx = h / 2 if special else 6
        out.append(
            f'<rect x="{x - w / 2 + dx:.1f}" y="{y - h / 2 + dy:.1f}" width="{w:.1f}" '
            f'height="{h:.1f}" rx="{rx:.1f}" fill="{fill}" stroke="#333"/>'
        )
        label = name.strip("_") if special else name
        out.append(
            f'<text x="{x + dx:.1f}" y="{y + dy + 4:.1f}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


class GraphPicture:
    """An SVG picture that notebooks display (`_repr_svg_`)."""

    def __init__(self, svg: str) -> None:
        """Wrap SVG text."""
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg


def draw(graph: Any, *, title: str | None = None) -> GraphPicture:
    """Return a picture of `graph` for a notebook cell, drawn without the network."""
    return GraphPicture(graph_svg(graph, title=title))


def with_offline_display(compiled: G) -> G:
    """Give a compiled graph a notebook display that needs no network; return it.

    LangGraph's own `_repr_mimebundle_` asks mermaid.ink for a PNG, which fails offline. The
    graph's class is swapped for a subclass whose display is `graph_svg` (falling back to
    the mermaid text when grandalf is missing); nothing else changes.
    """
    from sales_operator._subclass import with_subclass

    def _repr_mimebundle_(self: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return {"text/plain": repr(self), "image/svg+xml": graph_svg(self)}
        except ImportError:
            return {"text/plain": self.get_graph().draw_mermaid()}

    return with_subclass(compiled, "_offline_display", {"_repr_mimebundle_": _repr_mimebundle_})


# --- model displays ----------------------------------------------------------------------------


def _rows(rows: Iterable[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;vertical-align:top;padding-right:1em'>{escape(k)}</th>"
        f"<td style='text-align:left'>{v}</td></tr>"
        for k, v in rows
        if v not in (None, "", [])
    )
    return f"<table>{cells}</table>"


def _list(items: Iterable[str]) -> str:
    inner = "".join(f"<li>{item}</li>" for item in items)
    return f"<ul style='margin:0'>{inner}</ul>" if inner else ""


def _quoted(text: str, speaker: str | None = None) -> str:
    who = f"{escape(speaker)}: " if speaker else ""
    return f"<i>{who}&ldquo;{escape(text)}&rdquo;</i>"


def brief_html(brief: AccountBrief) -> str:
    """Return an account brief as HTML: headline, sections of claims with citations, sources."""
    sources = {s.id: s for s in brief.sources}
    sections = []
    for section in brief.sections:
        claims = [
            f"{escape(c.text)} "
            + " ".join(
                f'<sup title="{escape(cit.quote)}">[{escape(cit.source)}]</sup>'
                for cit in c.citations
                if cit.source in sources
            )
            for c in section.claims
        ]
        if claims:
            sections.append(f"<b>{escape(section.name.replace('_', ' '))}</b>{_list(claims)}")
    cited = [
        f"[{escape(s.id)}] {escape(s.title)} <small>({escape(s.kind)}, "
        f"{escape(s.location)})</small>"
        for s in brief.sources
    ]
    when = f", {brief.written_at:%Y-%m-%d}" if brief.written_at else ""
    meta = f"{escape(brief.purpose)} brief on {escape(brief.account)} by {escape(brief.engine)}"
    return (
        f"<div><b>{escape(brief.headline)}</b> <small>({meta}{when})</small>"
        f"{''.join(sections)}<small>{_list(cited)}</small></div>"
    )


def insights_html(meeting: MeetingInsights) -> str:
    """Return a call's insights as HTML: summary, talk ratio, pains, objections, commitments."""
    talk = ", ".join(f"{escape(k)} {v:.0%}" for k, v in meeting.talk_ratio.items())
    rows: list[tuple[str, Any]] = [
        ("call", f"{escape(meeting.call_id)} on {meeting.call_date.isoformat()}"),
        ("summary", escape(meeting.summary)),
        ("talk ratio", talk),
        ("competitors", ", ".join(sorted({escape(h.tracker) for h in meeting.competitors}))),
        ("trackers", ", ".join(sorted({escape(h.tracker) for h in meeting.trackers}))),
    ]
    for label, insights in (
        ("pains", meeting.pains),
        ("objections", meeting.objections),
        ("risks", meeting.risks),
    ):
        rows.append(
            (label, _list(f"{escape(i.text)}<br>{_quoted(i.quote.text)}" for i in insights))
        )
    rows.append(
        (
            "commitments",
            _list(
                f"{escape(c.owner)}: {escape(c.text)}"
                + (f" (due {c.due.isoformat()})" if c.due else "")
                for c in meeting.commitments
            ),
        )
    )
    rows.append(("engine", escape(meeting.engine)))
    return _rows(rows)


def deal_state_html(state: DealState) -> str:
    """Return a deal's state as a short HTML summary (the full state: `model_dump_json`)."""
    deal = state.deal
    rows: list[tuple[str, Any]] = [("deal", escape(state.deal_id))]
    if deal is not None:
        amount = f", {deal.amount:,.0f}" if deal.amount is not None else ""
        close = f", closes {deal.close_date.isoformat()}" if deal.close_date else ""
        rows.append(("stage", f"{escape(deal.name)}: <b>{escape(deal.stage)}</b>{amount}{close}"))
    if state.account is not None:
        rows.append(("account", escape(state.account.name)))
    if state.score is not None:
        factors = "; ".join(escape(f.label) for f in state.score.factors)
        rows.append(
            (
                "score",
                f"{state.score.probability:.0%} (band {escape(state.score.band)}, "
                f"{escape(state.score.engine)}) {factors}",
            )
        )
    if state.assignment is not None:
        a = state.assignment
        rows.append(("owner", f"{escape(a.rep_name)} <small>({escape(a.reason)})</small>"))
    if state.risks:
        rows.append(
            ("risks", _list(f"{escape(r.severity)}: {escape(r.message)}" for r in state.risks))
        )
    if state.brief is not None:
        rows.append(("brief", escape(state.brief.headline)))
    if state.meeting is not None:
        rows.append(("last call", escape(state.meeting.summary[:300])))
    rows.append(
        (
            "actions",
            _list(
                f"<code>{escape(a.kind)}</code> {escape(a.status)}: {escape(a.description)}"
                for a in state.proposed_actions
            ),
        )
    )
    rows.append(("events", ", ".join(escape(e.type) for e in state.events)))
    return _rows(rows)
