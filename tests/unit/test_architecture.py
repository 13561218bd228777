"""`docs/architecture.svg` shows every node and every edge of the compiled operator."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from sales_operator import Deps, build_operator
from sales_operator.architecture import architecture_svg, graph_parts
from sales_operator.policy import SpeedToLeadPolicy

ROOT = Path(__file__).resolve().parents[2]


def _nodes(svg: str) -> set[str]:
    return {unescape(n) for n in re.findall(r'data-node="([^"]+)"', svg)}


def _edges(svg: str) -> set[str]:
    found = re.findall(r'data-edge="([^"]+)"', svg)
    return {key for keys in found for key in unescape(keys).split()}


def _graph(tmp_path: Path, speed_to_lead: bool = False) -> object:
    deps = Deps.offline(tmp_path)
    deps.policy = deps.policy.model_copy(
        update={"speed_to_lead": SpeedToLeadPolicy(enabled=speed_to_lead)}
    )
    return build_operator(deps)


def test_the_picture_lists_every_node_and_edge_of_the_compiled_graph(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    parts = graph_parts(graph)
    assert any(":" in n for n in parts.nodes)  # xray: the patterns' own nodes
    svg = (ROOT / "docs" / "architecture.svg").read_text()
    assert _nodes(svg) == set(parts.nodes), "docs/architecture.svg is stale: rerun it"
    assert _edges(svg) == {f"{s}->{t}" for s, t, _ in parts.edges}
    for name in parts.patterns:  # grouped by pattern
        assert f'data-group="{name}"' in svg
    # each node is drawn once
    assert len(re.findall(r"<g data-node=", svg)) == len(parts.nodes)


def test_the_picture_follows_the_graph_it_is_given(tmp_path: Path) -> None:
    """Drawn from the graph, not a fixed list: a graph with a node more shows it too."""
    from langgraph.graph import END, START, StateGraph
    from typing_extensions import TypedDict

    class S(TypedDict):
        x: int

    inner = StateGraph(S)
    inner.add_node("inner_step", lambda s: s)
    inner.add_edge(START, "inner_step")
    inner.add_edge("inner_step", END)
    outer = StateGraph(S)
    outer.add_node("ingest_event", lambda s: s)
    outer.add_node("scoring_routing", inner.compile())
    outer.add_node("a_new_node", lambda s: s)
    outer.add_node("approval_gate", lambda s: s)
    outer.add_node("execute_actions", lambda s: s)
    outer.add_edge(START, "ingest_event")
    outer.add_conditional_edges(
        "ingest_event", lambda s: END, ["scoring_routing", "a_new_node", END]
    )
    outer.add_edge("scoring_routing", "approval_gate")
    outer.add_edge("a_new_node", "approval_gate")
    outer.add_edge("approval_gate", "execute_actions")
    outer.add_edge("execute_actions", END)
    graph = outer.compile()
    svg = architecture_svg(graph)
    parts = graph_parts(graph)
    assert "a_new_node" in parts.nodes and "scoring_routing:inner_step" in parts.nodes
    assert _nodes(svg) == set(parts.nodes)
    assert _edges(svg) == {f"{s}->{t}" for s, t, _ in parts.edges}


def test_speed_to_lead_on_draws_the_same_nodes(tmp_path: Path) -> None:
    svg = architecture_svg(_graph(tmp_path, speed_to_lead=True))
    assert {"notify_owner", "continue_event", "approval_gate", "execute_actions"} <= _nodes(svg)
