"""`thread_view`: a thread's values, next nodes and interrupts without LangGraph's `get_state`."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.types import Command

from sales_operator import Deps, build_operator, thread_view
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import pending_request, thread_config

CONFIG = thread_config(SEED_DEAL_ID)


def _same(view: thread_view.ThreadView, state: Any) -> None:
    assert view.values == dict(state.values)
    assert view.next == tuple(state.next)
    mine = [i.value for t in view.tasks for i in t.interrupts]
    assert mine == [i.value for t in state.tasks for i in t.interrupts]


def _short_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each read, whether it was made the short way."""
    made: list[bool] = []
    real = thread_view._short

    def counted(graph: Any, saved: Any) -> Any:
        view = real(graph, saved)
        made.append(view is not None)
        return view

    monkeypatch.setattr(thread_view, "_short", counted)
    return made


def test_a_waiting_and_a_finished_thread_read_the_short_way(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_view, "VERIFY", False)  # compared here, not by the checker
    made = _short_reads(monkeypatch)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    assert thread_view.thread_view(graph, CONFIG).values == {}  # no thread yet

    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    waiting = thread_view.thread_view(graph, CONFIG)
    assert waiting.next == ("approval_gate",) and waiting.tasks[0].interrupts
    _same(waiting, graph.get_state(CONFIG))

    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    while request is not None:  # a new lead asks twice under speed_to_lead (the default)
        graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
        request = pending_request(graph, SEED_DEAL_ID)
    done = thread_view.thread_view(graph, CONFIG)
    assert done.next == () and done.values["deal_id"] == SEED_DEAL_ID
    _same(done, graph.get_state(CONFIG))
    assert made and all(made)


def test_a_checkpoint_with_other_pending_writes_is_read_with_get_state(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _short_reads(monkeypatch)
    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    saved = saver.get_tuple(CONFIG)
    # an answer recorded on the checkpoint by a resume that stopped before its gate ran
    saver.put_writes(saved.config, [("__resume__", {"decisions": []})], "resume-task")
    made.clear()
    view = thread_view.thread_view(graph, CONFIG)
    assert made == [False]
    _same(view, graph.get_state(CONFIG))


def test_the_checker_catches_a_wrong_short_read(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    real = thread_view._short

    def wrong(graph: Any, saved: Any) -> Any:
        view = real(graph, saved)
        return thread_view.ThreadView(view.values, (), view.tasks, view.config)

    monkeypatch.setattr(thread_view, "_short", wrong)
    monkeypatch.setattr(thread_view, "VERIFY", True)
    with pytest.raises(AssertionError, match="next"):
        thread_view.thread_view(graph, CONFIG)
