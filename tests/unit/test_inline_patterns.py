"""Pattern subgraphs run inline in the operator's "exit" runs, nested whenever watched."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, RetryPolicy

from sales_operator import Deps, build_operator, inline_patterns
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.policy import SpeedToLeadPolicy
from sales_operator.runner import pending_request, thread_config
from sales_operator.state import DealState

CONFIG = thread_config(SEED_DEAL_ID)


def _deps(tmp_path: Path, scorer: Any, name: str, *, speed_to_lead: bool = False) -> Deps:
    made = Deps.offline(tmp_path / name, sample=True)
    made.scorer = scorer
    switch = {"speed_to_lead": SpeedToLeadPolicy(enabled=speed_to_lead)}
    made.policy = made.policy.model_copy(update=switch)
    return made


def _count_inline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each pattern run inline (by the first node it runs)."""
    runs: list[str] = []
    real = inline_patterns._Steps.run

    def counted(self: Any, state: DealState, config: Any, runtime: Any) -> dict[str, Any]:
        runs.append(self.after(START, state))
        return real(self, state, config, runtime)

    monkeypatch.setattr(inline_patterns._Steps, "run", counted)
    return runs


def _lifecycle(graph: Any, *, nested: bool) -> set[str]:
    """Run the seed deal's lifecycle, approving everything; return the namespaces streamed."""
    seen: set[str] = set()

    def run(payload: Any) -> None:
        if not nested:
            graph.invoke(payload, CONFIG)
            return
        for namespace, _ in graph.stream(payload, CONFIG, subgraphs=True):
            seen.update(part.split(":")[0] for part in namespace)

    for event in lifecycle_events():
        run({"event": event})
        for _ in range(3):
            request = pending_request(graph, SEED_DEAL_ID)
            if request is None:
                break
            run(Command(resume=approve_all(request, reviewer="mgr-jordan")))
    return seen


_ELAPSED = {"notified_at", "speed_to_lead_seconds"}  # the event time plus the run's wall time


def _timeless(value: Any, since: datetime) -> Any:
    """Return `value` as plain data with every clock reading taken since `since` as "now"."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return "now" if aware >= since else value
    if isinstance(value, dict):
        return {k: "elapsed" if k in _ELAPSED else _timeless(v, since) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_timeless(v, since) for v in value]
    return value


@pytest.mark.parametrize("speed_to_lead", [False, True])
def test_inline_patterns_leave_the_state_the_nested_subgraphs_leave(
    tmp_path: Path, scorer: Any, monkeypatch: pytest.MonkeyPatch, speed_to_lead: bool
) -> None:
    since = datetime.now(UTC)
    runs = _count_inline(monkeypatch)
    inline_deps = _deps(tmp_path, scorer, "inline", speed_to_lead=speed_to_lead)
    inline = build_operator(inline_deps, checkpointer=inline_deps.checkpointer())
    nested_deps = _deps(tmp_path, scorer, "nested", speed_to_lead=speed_to_lead)
    nested = build_operator(nested_deps, checkpointer=nested_deps.checkpointer())

    assert _lifecycle(inline, nested=False) == set()
    inline_runs = len(runs)
    streamed = _lifecycle(nested, nested=True)
    # the plain runs ran every pattern inline; the subgraph stream ran none inline, and
    # streamed every pattern's own steps under its namespace
    assert inline_runs >= 10 and len(runs) == inline_runs
    assert streamed >= {
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
    }
    mine = DealState(**inline.get_state(CONFIG).values).model_dump()
    theirs = DealState(**nested.get_state(CONFIG).values).model_dump()
    assert _timeless(mine, since) == _timeless(theirs, since)
    assert mine["score"] is not None and mine["assignment"] is not None  # scoring's chain ran


def test_a_traced_run_and_a_sync_run_keep_the_nested_subgraphs(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _count_inline(monkeypatch)
    started: list[str] = []

    class Spans(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            started.append(str(kwargs.get("name")))

    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    graph.invoke({"event": lifecycle_events()[0]}, {**CONFIG, "callbacks": [Spans()]})
    assert runs == []  # traced: nested, each inner node its own span
    assert "score_lead" in started and "route_lead_to_rep" in started

    graph.invoke({"event": _lead("D-other")}, thread_config("D-other"), durability="sync")
    assert runs == []  # per-step checkpoints asked: nested
    (nested,) = saver.conn.execute(
        "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns != ''",
        ("D-other",),
    ).fetchone()
    assert nested > 0  # the patterns checkpointed their own steps, as before

    graph.invoke({"event": _lead("D-third")}, thread_config("D-third"))
    assert runs  # a plain event run: inline


def _lead(deal_id: str) -> dict[str, Any]:
    """Return the seed lead re-keyed for another deal."""
    lead = copy.deepcopy(lifecycle_events()[0])
    lead["payload"]["deal"]["id"] = deal_id
    lead["payload"]["lead"]["id"] = f"L-{deal_id}"
    return lead


def test_a_pattern_the_inline_run_does_not_cover_is_refused() -> None:
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DealState)
    builder.add_node("flaky", lambda state: {}, retry_policy=RetryPolicy(max_attempts=2))
    builder.add_edge(START, "flaky")
    builder.add_edge("flaky", END)
    with pytest.raises(ValueError, match="flaky"):
        inline_patterns.pattern_node(builder.compile(name="p"), builder)

    fan: StateGraph[Any, Any, Any, Any] = StateGraph(DealState)
    fan.add_node("a", lambda state: {})
    fan.add_node("b", lambda state: {})
    fan.add_edge(START, "a")
    fan.add_edge(START, "b")
    fan.add_edge("a", END)
    fan.add_edge("b", END)
    with pytest.raises(ValueError, match="fans out"):
        inline_patterns.pattern_node(fan.compile(name="p"), fan)


def test_the_patterns_stay_subgraphs_of_the_graph(deps: Deps) -> None:
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    assert [name for name, _ in graph.get_subgraphs()] == [
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
    ]
    drawn = set(graph.get_graph(xray=True).nodes)
    assert {"scoring_routing:score_lead", "workflow_copilot:propose_actions"} <= drawn
