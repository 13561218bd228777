"""The operator: one compiled LangGraph graph, four pattern subgraphs, one approval gate.

```text
event ─► ingest_event ─┬─► scoring_routing ──────┐
                       ├─► meeting_intelligence ─┤  (the patterns the event needs, in order)
                       ├─► generative_research ──┤
                       └─► workflow_copilot ─────┴─► prepare_request ─► approval_gate
                                                       ─► execute_actions ─► END
```

One thread per deal (`thread_id` = the deal id); each business event is one `invoke`. Each
pattern is a compiled subgraph (drawn by `get_graph(xray=True)`); in the operator's own
"exit" runs its nodes run inline, within the operator's step (`inline_patterns`).
`prepare_request` builds, checks and indexes the request; `approval_gate` asks it (one
interrupt) and records the answer. LangGraph runs an interrupted node again on resume, so
the split keeps that second run to reading the stored request back and checking the answer.

Speed-to-lead (policy `speed_to_lead.enabled`): a new lead asks twice. `ingest_event` plans
only Scoring + Routing and defers research and drafting (`DealState.deferred`), so the first
request holds only what `notify_owner` proposes (assign the owner, tell the rep):

```text
lead ─► ingest_event ─► scoring_routing ─► notify_owner ─► (prepare_request ─►) approval_gate
     ─► execute_actions ─► continue_event ─► generative_research ─► workflow_copilot
     ─► (prepare_request ─►) approval_gate ─► execute_actions ─► END
```

Each stop at the gate is its own request (`<event id>:first`, then the event id), decided
and executed on its own; a rejected first request still lets research and drafting run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import RetryPolicy

from sales_operator.approval import (
    GateState,
    make_executor,
    make_gate,
    make_prepare,
    pending_actions,
)
from sales_operator.context import Context
from sales_operator.deps import Deps
from sales_operator.durability import with_phase_durability
from sales_operator.errors import TransientAdapterError
from sales_operator.events import (
    CONTINUE_NODE,
    FIRST_REQUEST_NODE,
    FIRST_REQUEST_PLANS,
    RawState,
    make_ingest,
)
from sales_operator.inline_patterns import pattern_node
from sales_operator.leases import attach_deps
from sales_operator.patterns import copilot, meetings, research, scoring
from sales_operator.serde import register_models
from sales_operator.state import PATTERN_ORDER, DealState, DealUpdate, InputState, PatternName

DEFAULT_WORKDIR = Path(".sales-operator") / "default"
"""Where `build_operator()` with no deps keeps its embedded stores."""

PATTERN_BUILDERS = {
    "scoring_routing": scoring.build,
    "meeting_intelligence": meetings.build,
    "generative_research": research.build,
    "workflow_copilot": copilot.build,
}
"""Pattern name to its subgraph builder (`build(PatternDeps) -> StateGraph`)."""

PREPARE_NODE = "prepare_request"
"""Builds, checks and indexes the request before `approval_gate` interrupts to ask it."""


def _next_after(position: int) -> Callable[[DealState], str]:
    """Return a router to the next planned pattern after `PATTERN_ORDER[position - 1]`."""

    def route(state: DealState) -> str:
        for name in PATTERN_ORDER[position:]:
            if name in state.plan:
                return name
        if state.deferred:  # the first request (speed-to-lead): the routing actions only
            return FIRST_REQUEST_NODE
        return PREPARE_NODE if pending_actions(state) else END

    route.__name__ = (
        "route_after_ingest_event"
        if position == 0
        else f"route_after_{PATTERN_ORDER[position - 1]}"
    )
    return route


def _after_first_request(state: DealState) -> str:
    return PREPARE_NODE if pending_actions(state) else CONTINUE_NODE


def _after_execute(state: DealState) -> str:
    """Go on to the deferred patterns once the first request's actions all have final receipts.

    An action left `retryable` (a transient failure) stops the run here, so the thread shows
    a recovery for the first request (`runner.recover_deal` retries it, then goes on).
    """
    if not state.deferred:
        return END
    unfinished = any(
        a.status == "retryable" and a.event_id == state.event_id for a in state.proposed_actions
    )
    return END if unfinished else CONTINUE_NODE


def continue_event(state: DealState) -> DealUpdate:
    """Release the event's deferred patterns: its first request is decided and executed."""
    return {"plan": list(state.deferred), "deferred": []}


def operator_builder(deps: Deps) -> StateGraph[Any, Any, Any, Any]:
    """Return the operator's uncompiled `StateGraph` (compile it with your checkpointer)."""
    pattern_deps = deps.for_patterns()
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        DealState, context_schema=Context, input_schema=InputState
    )
    # LangGraph's node overloads (which differ between its releases) cover neither a node that
    # reads the raw, unvalidated state, nor a (state, config, runtime) closure, nor a node
    # typed on the pydantic state; all three are supported at run time, so they go in as Any.
    ingest: Any = make_ingest(
        pattern_deps.crm,
        limits=deps.policy.limits,
        blobs=deps.blobs,
        speed_to_lead=deps.policy.speed_to_lead.enabled,
    )
    prepare: Any = make_prepare(deps.policy, deps.crm)
    gate: Any = make_gate(deps.policy, deps.crm, deps.authorizer())
    executor: Any = make_executor(deps)
    notify_owner: Any = copilot.make_first_request(pattern_deps)
    builder.add_node("ingest_event", ingest, input_schema=RawState)
    for name in PATTERN_ORDER:
        pattern = PATTERN_BUILDERS[name](pattern_deps)
        # the subgraph's nodes run inline, unless its inside is watched (`inline_patterns`)
        builder.add_node(name, pattern_node(pattern.compile(name=name), pattern))
    builder.add_node(FIRST_REQUEST_NODE, notify_owner)
    builder.add_node(CONTINUE_NODE, continue_event)
    builder.add_node(PREPARE_NODE, prepare)
    builder.add_node("approval_gate", gate, input_schema=GateState)
    builder.add_node(
        "execute_actions",
        executor,
        retry_policy=RetryPolicy(max_attempts=3, retry_on=TransientAdapterError),
    )
    destinations = [*PATTERN_ORDER, PREPARE_NODE, END]
    # the first request follows the patterns an event runs before it (or a repeated event)
    first = {name for plan in FIRST_REQUEST_PLANS.values() for name in plan}
    builder.add_edge(START, "ingest_event")
    builder.add_conditional_edges(
        "ingest_event", _next_after(0), [*destinations, FIRST_REQUEST_NODE]
    )
    for i, name in enumerate(PATTERN_ORDER, start=1):
        extra = [FIRST_REQUEST_NODE] if name in first else []
        builder.add_conditional_edges(name, _next_after(i), [*destinations[i:], *extra])
    builder.add_conditional_edges(
        FIRST_REQUEST_NODE, _after_first_request, [PREPARE_NODE, CONTINUE_NODE]
    )
    builder.add_conditional_edges(CONTINUE_NODE, _next_after(0), destinations)
    # The request is built and indexed once; the gate asks it (and reads it back on resume).
    builder.add_edge(PREPARE_NODE, "approval_gate")
    # Always on to the executor: it alone writes, so it also persists rejections to the audit log.
    builder.add_edge("approval_gate", "execute_actions")
    builder.add_conditional_edges("execute_actions", _after_execute, [CONTINUE_NODE, END])
    return builder


def build_operator(
    deps: Deps | None = None, *, checkpointer: Any = None, store: Any = None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the AI Sales Operator: one compiled graph for the whole deal lifecycle.

    Args:
        deps: Live adapters and models; when None, `Deps.offline(".sales-operator/default")`
            (an empty CRM: build `Deps.from_workspace(...)` for your own data, or
            `Deps.offline(workdir, sample=True)` for the demo's).
        checkpointer: A LangGraph checkpointer; needed to pause at the approval gate and to
            carry a deal's state from event to event. `deps.checkpointer()` gives the
            embedded SQLite one. Leave it None under `langgraph dev`, which brings its own.
        store: An optional LangGraph store for cross-thread memory.

    Returns:
        The compiled graph. Invoke it once per business event on the deal's thread:
        `graph.invoke({"event": {...}}, {"configurable": {"thread_id": deal_id}})`.
    """
    from sales_operator.display import with_offline_display

    deps = deps or Deps.offline(DEFAULT_WORKDIR)
    compiled = operator_builder(deps).compile(
        checkpointer=register_models(checkpointer), store=store, name="sales_operator"
    )
    attach_deps(compiled, deps)
    # "exit" for pattern work, "sync" at the gate (and "exit" for a lead's first request)
    with_phase_durability(compiled, first_requests=deps.policy.speed_to_lead.enabled)
    from sales_operator.waiting import with_event_guard

    # a new event never hides a recovery, a cut-off event run is finished by its repeat, and
    # (speed-to-lead) a new event waits for a lead's first request: one read of the thread
    with_event_guard(
        compiled, limits=deps.policy.limits, first_requests=deps.policy.speed_to_lead.enabled
    )
    return with_offline_display(compiled)  # a notebook cell `graph` draws with no network


def build_pattern(
    name: PatternName, deps: Deps | None = None, *, checkpointer: Any = None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile one pattern on its own (for Studio or tests)."""
    deps = deps or Deps.offline(DEFAULT_WORKDIR)
    builder = PATTERN_BUILDERS[name](deps.for_patterns())
    return builder.compile(checkpointer=register_models(checkpointer), name=name)
