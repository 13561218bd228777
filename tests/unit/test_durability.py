"""Durability per phase: one checkpoint for an event's pattern work, one per step at the gate."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.durability import durability_for
from sales_operator.runner import pending_request, thread_config
from tests.policies import one_request

CONFIG = thread_config(SEED_DEAL_ID)


def _checkpoints(saver: Any) -> dict[str, int]:
    """Return checkpoint rows per namespace kind ("root" or "subgraph")."""
    rows = saver.conn.execute(
        "SELECT checkpoint_ns = '', COUNT(*) FROM checkpoints GROUP BY checkpoint_ns = ''"
    ).fetchall()
    return {("root" if root else "subgraph"): n for root, n in rows}


def test_durability_follows_the_input() -> None:
    assert durability_for({"event": {}}) == "exit"
    assert durability_for(Command(resume={"decisions": []})) == "sync"
    assert durability_for(None) == "sync"


def test_event_run_writes_one_checkpoint_and_resume_one_per_step(deps: Deps) -> None:
    # one request per lead (speed_to_lead off), so its answer is a plain "sync" decision run;
    # a lead's first answer under speed_to_lead ("exit") is tested in test_decision_saver
    saver = deps.checkpointer()
    graph = build_operator(one_request(deps), checkpointer=saver)
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    # pattern work: ingest, three patterns, the gate's interrupt -- saved once, at the interrupt
    assert _checkpoints(saver) == {"root": 1}
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["action_requests"]

    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
    # decision work: the gate's step, then the executor's, each saved before the next runs
    counts = _checkpoints(saver)
    assert counts.get("subgraph", 0) == 0
    assert counts["root"] >= 3
    assert graph.get_state(CONFIG).next == ()


def test_an_explicit_durability_wins(deps: Deps) -> None:
    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG, durability="async")
    counts = _checkpoints(saver)
    assert counts["root"] > 3  # a checkpoint per step of the root graph
    assert counts["subgraph"] > 0  # and per step inside the pattern subgraphs


def test_ainvoke_gets_the_same_per_phase_durability(deps: Deps) -> None:
    import asyncio

    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    graph = build_operator(deps, checkpointer=saver)
    asyncio.run(graph.ainvoke({"event": lifecycle_events()[0]}, CONFIG))
    stored = saver.storage[SEED_DEAL_ID]
    assert {ns: len(cps) for ns, cps in stored.items() if cps} == {"": 1}
    assert pending_request(graph, SEED_DEAL_ID) is not None
