"""The operator's runs make their checkpoint writes in the calling thread, nothing else does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from typing_extensions import TypedDict

from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.inline_writes import InlineExecutor, inline_writes, install
from sales_operator.runner import pending_request, thread_config
from tests.policies import one_request

CONFIG = thread_config(SEED_DEAL_ID)


@contextmanager
def _thread_starts() -> Iterator[list[str]]:
    """Record the names of the pool threads started inside the block.

    (Libraries start threads of their own once, for example tqdm's monitor: not counted.)
    """
    started: list[str] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name.startswith("ThreadPoolExecutor"):
            started.append(self.name)
        original(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        yield started
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]


class _Plain(TypedDict):
    n: int


def _plain_graph() -> Any:
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(_Plain)
    builder.add_node("bump", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_installs_on_this_langgraph() -> None:
    # fails when a LangGraph upgrade moves the factory this wraps: the runs would still be
    # correct, but each would start a thread again
    assert install() is True
    assert install() is True  # idempotent


def test_an_event_and_its_resume_start_no_thread_and_keep_their_checkpoints(deps: Deps) -> None:
    # one request per lead (speed_to_lead off): an event run, then one decision run
    saver = deps.checkpointer()
    graph = build_operator(one_request(deps), checkpointer=saver)
    with _thread_starts() as started:
        graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
        request = pending_request(graph, SEED_DEAL_ID)
        assert request is not None and request["action_requests"]
        graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
    assert started == []
    # the writes were made, not skipped: one at the interrupt, then the gate's and the
    # executor's steps
    assert len(list(graph.get_state_history(CONFIG))) == 3
    assert graph.get_state(CONFIG).next == ()
    assert len(deps.crm.list_receipts(SEED_DEAL_ID)) == len(request["action_requests"])


def test_an_explicit_async_durability_keeps_langgraphs_thread(deps: Deps) -> None:
    graph = build_operator(deps, checkpointer=InMemorySaver())
    with _thread_starts() as started:
        graph.invoke({"event": lifecycle_events()[0]}, CONFIG, durability="async")
    assert started  # the overlap "async" asks for needs the background thread


def test_other_graphs_in_the_process_keep_langgraphs_thread(deps: Deps) -> None:
    build_operator(deps, checkpointer=InMemorySaver())  # installs the wrapper
    plain = _plain_graph()
    with _thread_starts() as started:
        assert plain.invoke({"n": 1}, {"configurable": {"thread_id": "t"}}) == {"n": 2}
    assert started
    # and inside the mark the same graph writes inline, with the same result
    with _thread_starts() as started, inline_writes():
        assert plain.invoke({"n": 5}, {"configurable": {"thread_id": "u"}}) == {"n": 6}
    assert started == []


def test_inline_executor_runs_writes_at_once_and_anything_else_on_a_thread() -> None:
    import contextvars

    saver = InMemorySaver()
    executor = InlineExecutor()
    ctx = contextvars.copy_context()
    # a saver's method, submitted as LangGraph submits it (through Context.run): at once
    write = executor.submit(ctx.run, saver.get_next_version, None, None)
    assert write.done() and write.result() is not None
    failed = executor.submit(ctx.run, saver.put_writes, {}, [], "t")  # no thread_id
    assert failed.done()
    with pytest.raises(KeyError):
        failed.result()
    # anything else (here, a call that blocks until the caller goes on, as a stream's
    # waiter does) runs on a thread: run inline it would never return
    go = threading.Event()
    waiter = executor.submit(ctx.run, lambda: go.wait(5) and threading.current_thread().name)
    assert not waiter.done()
    go.set()
    assert waiter.result(timeout=5) != threading.current_thread().name
    executor.shutdown()


def test_a_stream_of_subgraph_progress_does_not_wait_on_itself(deps: Deps) -> None:
    # the stream's waiter blocks until a node emits: it must not run in the caller's thread
    graph = build_operator(deps, checkpointer=InMemorySaver())
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
    chunks = list(
        graph.stream({"event": lifecycle_events()[1]}, CONFIG, stream_mode="custom", subgraphs=True)
    )
    assert chunks
