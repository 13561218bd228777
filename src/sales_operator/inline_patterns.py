"""Pattern subgraphs run inline: the same nodes, in one step of the operator, unless watched.

Each pattern (Scoring + Routing, Meeting Intelligence, Generative Research, Workflow
Copilot) is a compiled LangGraph subgraph. Run as a node of the operator, a subgraph is a
whole nested run: its own loop, config and callbacks, a checkpoint read for its namespace,
channels built from the state and copied at each of its steps. The pattern nodes themselves
are one or two plain functions (a dispatch from START, then one node; Scoring's lead chain is
two), so that nesting cost about 1.2 ms of CPU per pattern run, some 15-20 ms per deal of the
seed lifecycle: a tenth of the graph's overhead over the node work.

`pattern_node(subgraph, builder)` returns the node the operator adds for a pattern instead. It
runs the builder's nodes as the subgraph would (the same dispatch and edges, each node given
the state as LangGraph gives it, `DealState(**values)`, with the run's config and runtime:
context, store and stream writer), one after the other within the operator's step, and returns
the keys they changed as the step's update. The state carries no reducers, so that is the
update the subgraph's output made (every key it returns, unchanged ones included, writes the
same values).

The subgraph stays the node's subgraph (`get_graph(xray=True)`, Studio's drawing,
`get_subgraphs`), and it still runs as a nested graph whenever its inside is kept or watched:

- a run under any durability but `"exit"` (`"sync"`: a recovery that runs deferred patterns;
  `"async"`, LangGraph's default, asked for explicitly): the pattern checkpoints each of its
  steps under its namespace, as before;
- a run streamed with `subgraphs=True` (progress of the patterns' long steps, Studio): the
  pattern's steps and their updates stream under its namespace, as before;
- a run with callback handlers (LangSmith tracing, a callback passed in `config`): each inner
  node keeps its own span.

So only the operator's own `"exit"` runs (an event's pattern work, a lead's first answer)
run the patterns inline. Under `"exit"` a nested pattern wrote nothing unless one of its
nodes failed; inline, a failure inside a pattern leaves the operator's exit checkpoint,
whose next node is the pattern (a cut-off run that `recover_deal` or the event's repeat
finishes), and no checkpoint under the pattern's namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START
from langgraph.runtime import Runtime

from sales_operator.context import Context
from sales_operator.state import DealState

_STREAM_KEY = "__pregel_stream"  # LangGraph's CONFIG_KEY_STREAM: set when subgraphs stream
_DURABILITY_KEY = "__pregel_durability"  # LangGraph's CONFIG_KEY_DURABILITY: the run's

NodeFn = Callable[..., Any]


def _params(func: NodeFn) -> tuple[bool, bool]:
    """Return whether a node function takes `config` and `runtime` (LangGraph's keywords)."""
    import inspect

    names = set(inspect.signature(func).parameters)
    return "config" in names, "runtime" in names


class _Steps:
    """The uncompiled builder's nodes, edges and dispatch, for running them one by one."""

    def __init__(self, builder: Any) -> None:
        self.funcs: dict[str, tuple[NodeFn, bool, bool]] = {}
        for name, spec in builder.nodes.items():
            func = getattr(spec.runnable, "func", None)
            if func is None or spec.retry_policy or spec.cache_policy or spec.defer:
                raise ValueError(f"pattern node {name!r} cannot run inline")
            self.funcs[name] = (func, *_params(func))
        self.edges: dict[str, str] = {}
        for source, target in builder.edges:
            if source in self.edges:
                raise ValueError(f"pattern node {source!r} fans out; it cannot run inline")
            self.edges[source] = target
        self.branches: dict[str, Any] = {}
        for source, branches in builder.branches.items():
            if len(branches) != 1 or source in self.edges:
                raise ValueError(f"pattern node {source!r} fans out; it cannot run inline")
            self.branches[source] = next(iter(branches.values()))
        if builder.waiting_edges:
            raise ValueError("a pattern with joined edges cannot run inline")

    def after(self, node: str, state: DealState) -> str:
        """Return the node after `node` for `state` (END when none)."""
        if node in self.edges:
            return self.edges[node]
        branch = self.branches.get(node)
        if branch is None:
            return END
        route = getattr(branch.path, "func", None) or branch.path
        target = route(state)
        if isinstance(target, list | tuple):
            raise ValueError(f"the dispatch after {node!r} chose several nodes: {target!r}")
        return str(branch.ends[target] if branch.ends else target)

    def run(
        self, state: DealState, config: RunnableConfig, runtime: Runtime[Context]
    ) -> dict[str, Any]:
        """Run the nodes from START on `state`; return the keys they changed."""
        changed: dict[str, Any] = {}
        node = self.after(START, state)
        while node != END:
            func, wants_config, wants_runtime = self.funcs[node]
            kwargs: dict[str, Any] = {}
            if wants_config:
                kwargs["config"] = config
            if wants_runtime:
                kwargs["runtime"] = runtime
            update = func(state, **kwargs)
            if update:
                if not isinstance(update, Mapping):
                    raise TypeError(f"pattern node {node!r} returned {type(update).__name__}")
                changed.update(update)
                if self.edges.get(node) == END:
                    break  # the last node: no one reads the state it leaves
                values = {k: getattr(state, k) for k in DealState.model_fields}
                state = DealState(**{**values, **update})
            node = self.after(node, state)
        return changed


def _watched(config: RunnableConfig) -> bool:
    """Whether the run checkpoints each step, streams subgraphs or has callback handlers."""
    configurable = config.get("configurable") or {}
    if configurable.get(_DURABILITY_KEY) != "exit":
        return True
    if configurable.get(_STREAM_KEY) is not None:
        return True
    callbacks = config.get("callbacks")
    handlers = getattr(callbacks, "handlers", callbacks)
    return bool(handlers)


def pattern_node(subgraph: Any, builder: Any) -> NodeFn:
    """Return the operator's node for a pattern: its nodes inline, or `subgraph` when watched.

    Args:
        subgraph: The pattern's compiled subgraph (`builder.compile(name=...)`).
        builder: The uncompiled `StateGraph` it was compiled from.

    Raises:
        ValueError: the builder has a node or an edge the inline run does not cover (a
            retry or cache policy, a deferred node, a fan-out, joined edges).
    """
    steps = _Steps(builder)

    def run_pattern(
        state: DealState, config: RunnableConfig, runtime: Runtime[Context]
    ) -> dict[str, Any]:
        if _watched(config):
            output: dict[str, Any] = subgraph.invoke(state, config)
            return output
        return steps.run(state, config, runtime)

    run_pattern.__name__ = getattr(subgraph, "name", "pattern")
    return run_pattern
