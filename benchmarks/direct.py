"""Run the operator's node functions directly, without LangGraph: the overhead baseline.

`DirectOperator` walks the same uncompiled builders the graph compiles (the same node
functions, the same routers) with plain Python calls: no channels, no checkpoints, no
interrupts (approvals are given inline). Timing it beside the compiled graph in the same
process gives the graph's overhead as a ratio.
"""

from __future__ import annotations

import inspect
from typing import Any

from langgraph.graph import END, START
from langgraph.runtime import Runtime

from sales_operator.approval import (
    approve_all,
    build_request,
    decide,
    make_executor,
    pending_actions,
    present,
    validate_decisions,
)
from sales_operator.context import Context
from sales_operator.deps import Deps
from sales_operator.events import make_ingest
from sales_operator.graph import PATTERN_BUILDERS, continue_event
from sales_operator.patterns.copilot import make_first_request
from sales_operator.state import PATTERN_ORDER, DealState


def _call(func: Any, state: Any, config: dict[str, Any], runtime: Runtime[Context]) -> Any:
    params = list(inspect.signature(func).parameters.values())
    args: list[Any] = [state]
    for p in params[1:]:
        if p.name == "runtime":
            args.append(runtime)
        elif p.name == "config":
            args.append(config)
    return func(*args)


def _merge(state: DealState, update: dict[str, Any] | None) -> DealState:
    if not update:
        return state
    return state.model_copy(update=update)


class _Walker:
    """Interpret one uncompiled StateGraph builder with direct function calls."""

    def __init__(self, builder: Any) -> None:
        self.nodes = {name: spec.runnable for name, spec in builder.nodes.items()}
        self.funcs = {name: getattr(r, "func", None) or r for name, r in self.nodes.items()}
        self.edges: dict[str, str] = {a: b for a, b in builder.edges}
        self.branches = {src: list(b.values()) for src, b in builder.branches.items()}

    def _next(self, node: str, state: DealState) -> str:
        if node in self.edges:
            return self.edges[node]
        for branch in self.branches.get(node, []):
            func = getattr(branch.path, "func", None) or branch.path
            target = func(state)
            return branch.ends[target] if branch.ends else target
        return END

    def run(self, state: DealState, config: dict[str, Any], runtime: Runtime[Context]) -> DealState:
        node = self._next(START, state)
        while node != END:
            state = _merge(state, _call(self.funcs[node], state, config, runtime))
            node = self._next(node, state)
        return state


class DirectOperator:
    """The operator's work for one event, as plain function calls on a `DealState`."""

    def __init__(self, deps: Deps) -> None:
        """Build the walkers over the same builders `build_operator` compiles."""
        pattern_deps = deps.for_patterns()
        self.policy = deps.policy
        self.ingest = make_ingest(pattern_deps.crm, speed_to_lead=deps.policy.speed_to_lead.enabled)
        self.notify_owner = make_first_request(pattern_deps)
        self.patterns = {
            name: _Walker(PATTERN_BUILDERS[name](pattern_deps)) for name in PATTERN_ORDER
        }
        self.execute = make_executor(deps)
        self.crm = deps.crm
        self.authorize = deps.authorizer()
        self.runtime: Runtime[Context] = Runtime(context=Context(reviewer="bench"))
        self.states: dict[str, DealState] = {}

    def handle(self, deal_id: str, event: dict[str, Any]) -> DealState:
        """Run one event on a deal, approving every proposed action."""
        config = {"configurable": {"thread_id": deal_id}}
        state = self.states.get(deal_id, DealState())
        raw = {**state.__dict__, "event": event}
        state = _merge(state, self.ingest(raw, config))  # type: ignore[arg-type]
        state = self._patterns(state, config)
        if state.deferred:  # speed-to-lead: the routing actions' own request first
            state = _merge(state, self.notify_owner(state))
            state = self._decide(state)
            state = _merge(state, continue_event(state))
            state = self._patterns(state, config)
        state = self._decide(state)
        self.states[deal_id] = state
        return state

    def _patterns(self, state: DealState, config: dict[str, Any]) -> DealState:
        for name in PATTERN_ORDER:
            if name in state.plan:
                state = self.patterns[name].run(state, config, self.runtime)
        return state

    def _decide(self, state: DealState) -> DealState:
        """Ask about the pending actions, approve them all, execute them (the gate's work)."""
        if pending_actions(state):
            # What the gate node does before its interrupt: the reps for the request, the
            # inbox-index write, the reviewer's view of the request.
            request = build_request(state, self.policy, self.crm.list_reps())
            index_request = getattr(self.crm, "index_request", None)
            if callable(index_request):
                index_request(state.deal_id, str(request.get("request_id", state.event_id)))
            present(request, self.policy)
            decisions = validate_decisions(
                request,
                approve_all(request, reviewer="mgr-jordan"),
                policy=self.policy,
                authorize=self.authorize,
            )
            state = _merge(state, decide(state, request, decisions, self.crm))
            state = _merge(state, self.execute(state))
        return state
