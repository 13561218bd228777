"""Checkpoint durability per phase: "exit" for pattern work, "sync" at the gate and executor.

LangGraph's `durability` is chosen per run (`invoke`/`stream` keyword, default "async"); it
cannot change between the nodes of one run. The operator's runs fall into two phases, and
each is one run, so the choice is made per run from what the run is:

- **Pattern work** (a new event: `{"event": ...}` in, from `ingest_event` through the
  patterns to the approval gate's interrupt) runs with `"exit"`: one checkpoint when the run
  stops, at the interrupt (or at the end, or at an error), instead of one per step. Nothing
  in this phase writes to the world, so a crash mid-run loses only work that is redone: the
  thread is still as it was before the event, the sender was never told the event was
  handled, and sending it again runs it whole (with per-step checkpoints a crash could
  leave the event in `state.events` with its patterns half run, and the resend would be
  taken for a repeat).
- **Decision and execution** (a resume, `Command(resume=...)`, or a recovery, `None` in)
  runs with `"sync"`: the checkpoint after the gate is written before `execute_actions`
  starts, and each step's checkpoint before the next. The writes themselves are made safe
  by the CRM, not by the checkpoint: the gate records each decision in the append-only
  audit when it is made, and the executor runs only decisions on record, each under its
  idempotency key with a receipt (`approval.make_executor`), so a crash anywhere is
  finished by `recover_deal` without running anything twice.

The pattern subgraphs keep LangGraph's default (they checkpoint under the parent's
checkpointer) whenever they run nested; they stay visible in `get_graph(xray=True)` either
way. In the operator's own "exit" runs they run inline, their nodes one after the other in
one step of the operator (`sales_operator.inline_patterns`), unless the run streams
subgraphs or has callback handlers; under "sync" and "async" they run nested and checkpoint
each of their steps, as before.

A lead's first request (policy `speed_to_lead`) is the exception among resumes: answering it
decides and executes the routing actions and then runs the deferred research and drafting up
to the second request, so that run is mostly pattern work, and it runs with `"exit"` too (one
checkpoint, at the second request). Its decisions and receipts are records in the CRM, so a
crash in it leaves the thread at the first request with its decisions on record:
`recover_deal` applies them as recorded and the executor runs each action at most once. The
graph reads the thread's last checkpoint to tell (`DealState.deferred`), only when built with
`speed_to_lead` on and only for a sync `stream`/`invoke`; an async run keeps `"sync"`.

An explicit `durability=` (or `checkpoint_during=`) on a call wins, and so does
`configurable["__pregel_durability"]`, which LangGraph itself sets for nested runs.

Under "exit" and "sync" a run waits for each checkpoint write before it goes on, so those
runs make their writes in the calling thread instead of a new thread per run
(`sales_operator.inline_writes`); a run with `durability="async"` keeps LangGraph's thread.

On the embedded SQLite checkpointer (`serde.sqlite_checkpointer`) the runs the graph
chooses for write through a second connection that does not flush each commit to the disk
(`serde.DECISION_SYNC`, "NORMAL"); a killed process loses none of it. A decision run is not
flushed on its own: the CRM, which flushes every commit, is the record a machine crash would
fall back on. A run under "exit" (an event, a lead's first answer) is flushed once when it
ends, however it ends (returned, raised, or its stream closed or dropped early), before
`invoke` returns: its checkpoint is the only record that the event was handled, and its
checkpoint and interrupt commits cost one disk sync instead of two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, TypeVar

from langgraph.types import Command

from sales_operator._subclass import with_subclass

Durability = Literal["sync", "async", "exit"]
"""LangGraph's durability modes."""

PATTERN_DURABILITY: Durability = "exit"
"""Durability of a run that handles a new event (pattern work up to the gate)."""

DECISION_DURABILITY: Durability = "sync"
"""Durability of a run that resumes at the gate or recovers the executor."""

FIRST_REQUEST_DURABILITY: Durability = "exit"
"""Durability of a run that answers a lead's first request (`speed_to_lead`)."""

_CONFIG_KEY = "__pregel_durability"  # LangGraph's CONFIG_KEY_DURABILITY (nested runs)
_CHECKPOINTER_KEY = "__pregel_checkpointer"  # LangGraph's CONFIG_KEY_CHECKPOINTER (server)

G = TypeVar("G")


def durability_for(input: Any) -> Durability:
    """Return the durability for a run of the operator given its input.

    Args:
        input: What is passed to `invoke`/`stream`: a `Command` (resume) or None
            (recovery) is decision work; anything else (an event) is pattern work.
    """
    if input is None or isinstance(input, Command):
        return DECISION_DURABILITY
    return PATTERN_DURABILITY


def _choose(
    graph: Any, input: Any, config: Any, kwargs: dict[str, Any], *, first_requests: bool = False
) -> dict[str, Any]:
    if kwargs.get("durability") is not None or kwargs.get("checkpoint_during") is not None:
        return kwargs
    configurable = (config or {}).get("configurable") or {}
    if configurable.get(_CONFIG_KEY) is not None:
        return kwargs
    if graph.checkpointer in (None, False) and configurable.get(_CHECKPOINTER_KEY) is None:
        return kwargs  # nothing to make durable (LangGraph warns when told otherwise)
    durability = durability_for(input)
    if first_requests and isinstance(input, Command) and _answers_first_request(graph, config):
        durability = FIRST_REQUEST_DURABILITY
    return {**kwargs, "durability": durability}


def _answers_first_request(graph: Any, config: Any) -> bool:
    """Whether the thread waits on a lead's first request (its `deferred` patterns are set).

    On the embedded SQLite checkpointer the pending interrupt says it without loading the
    state: the request's id is `<event id>:first` exactly while the event's patterns are
    deferred (`approval.request_id_for`). Otherwise, or with no interrupt pending, the
    thread's last checkpoint is read.
    """
    saver = graph.checkpointer
    configurable = (config or {}).get("configurable") or {}
    thread_id = configurable.get("thread_id")
    if saver in (None, False) or not thread_id:
        return False
    peek = getattr(saver, "latest_interrupts", None)
    if callable(peek) and not configurable.get("checkpoint_id"):
        from sales_operator.approval import FIRST_REQUEST_SUFFIX
        from sales_operator.review_ui import request_from_interrupt

        asked = [request_from_interrupt(v) for v in peek(str(thread_id))]
        ids = [str(r.get("request_id") or "") for r in asked if r is not None]
        ids = [i for i in ids if i]  # an Agent Inbox interrupt carries no request id
        if ids:
            return any(i.endswith(FIRST_REQUEST_SUFFIX) for i in ids)
    saved = saver.get_tuple(config)
    values = saved.checkpoint.get("channel_values", {}) if saved is not None else {}
    return bool(values.get("deferred"))


def _lent_config(graph: Any, config: Any, durability: Any) -> tuple[Any, Any]:
    """Return `config` lending the run the checkpointer's unflushed saver, and a flush.

    The SQLite checkpointer (`serde.sqlite_checkpointer`) keeps a second connection whose
    commits are not flushed one by one (`serde.DECISION_SYNC`). A decision run writes
    through it and is never flushed on its own (the CRM is the record of a decision run); a
    run under "exit" (an event, a lead's first answer) writes through it too and gets the
    checkpointer's `flush` to call once it ends, however it ends, so its checkpoint and its
    interrupt cost one disk sync instead of one per commit. A config that names its own
    checkpointer keeps it (and gets no flush).
    """
    saver = graph.checkpointer
    side = getattr(saver, "decision_saver", None)
    configurable = (config or {}).get("configurable") or {}
    if side is None or _CHECKPOINTER_KEY in configurable or durability not in ("exit", "sync"):
        return config, None
    lent = {**(config or {}), "configurable": {**configurable, _CHECKPOINTER_KEY: side}}
    return lent, getattr(saver, "flush", None) if durability == "exit" else None


def with_phase_durability(compiled: G, *, first_requests: bool = False) -> G:
    """Give a compiled operator graph the per-phase durability; return it.

    The graph's class is swapped for a subclass whose `stream`/`astream` (and so `invoke`/
    `ainvoke`, which call them) fill in `durability` from `durability_for(input)` when the
    caller gave none. With `first_requests` (the policy's `speed_to_lead`), a sync resume
    that answers a lead's first request gets `FIRST_REQUEST_DURABILITY`. A sync run under
    "exit" or "sync" makes its checkpoint writes in the calling thread
    (`sales_operator.inline_writes`). Nothing else changes.
    """
    from sales_operator.inline_writes import inline_iter, install

    install()
    base: Any = type(compiled)

    def stream(self: Any, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
        chosen = _choose(self, input, config, kwargs, first_requests=first_requests)
        flush = None
        if chosen is not kwargs:  # the phase chose the durability, and so the saver
            config, flush = _lent_config(self, config, chosen["durability"])
        chunks: Iterator[Any] = base.stream(self, input, config, **chosen)
        if chosen.get("durability") in ("exit", "sync"):  # it waits for each write anyway
            return inline_iter(chunks, after=flush)  # one flush when an "exit" run ends
        return chunks

    def astream(self: Any, input: Any, config: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
        chunks: AsyncIterator[Any] = base.astream(
            self, input, config, **_choose(self, input, config, kwargs)
        )
        return chunks

    return with_subclass(compiled, "_phase_durability", {"stream": stream, "astream": astream})
