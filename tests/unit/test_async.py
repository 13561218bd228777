"""Async: the whole lifecycle through `ainvoke`/`astream` on `Deps.async_checkpointer()`.

Each test runs its coroutine with `asyncio.run` (no async test plugin is needed).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from langgraph.types import Command

from sales_operator import ConfigurationError, Deps, approve_all, build_operator, runner
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.progress import progress_of
from sales_operator.runner import deal_state, pending_request, thread_config

CONFIG = thread_config(SEED_DEAL_ID)


@pytest.fixture
def deps(deps: Deps) -> Deps:
    return deps


async def _pending(graph: Any) -> dict[str, Any] | None:
    snapshot = await graph.aget_state(CONFIG)
    for task in snapshot.tasks:
        for intr in task.interrupts:
            return dict(intr.value)
    return None


async def _lifecycle(deps: Deps) -> dict[str, Any]:
    """Every seed event by `astream`, every request approved by `ainvoke(Command(resume))`."""
    seen: dict[str, Any] = {"requests": [], "progress": [], "updates": set()}
    async with deps.async_checkpointer() as saver:
        graph = build_operator(deps, checkpointer=saver)
        for event in lifecycle_events():
            async for namespace, mode, chunk in graph.astream(
                {"event": event}, CONFIG, stream_mode=["updates", "custom"], subgraphs=True
            ):
                if mode == "custom":
                    seen["progress"].append(progress_of(chunk))
                elif not namespace:
                    seen["updates"].update(chunk)
            while (request := await _pending(graph)) is not None:
                seen["requests"].append(request)
                await graph.ainvoke(
                    Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG
                )
        seen["values"] = (await graph.aget_state(CONFIG)).values
    return seen


def test_lifecycle_runs_async_through_the_gate_and_the_executor(deps: Deps) -> None:
    seen = asyncio.run(_lifecycle(deps))
    values = seen["values"]
    actions = values["proposed_actions"]
    # every event stopped at the gate with its requests, and every approved action ran once
    assert len(seen["requests"]) >= 4
    assert sum(len(r["action_requests"]) for r in seen["requests"]) == len(actions)
    assert actions and all(a.status == "executed" for a in actions)
    assert len(deps.crm.list_receipts()) == len(actions)
    emails = sum(a.kind == "send_email" for a in actions)
    assert deps.workdir is not None
    assert len(list((deps.workdir / "outbox").glob("*.eml"))) == emails > 0
    assert values["deal"].stage == "closed_won"
    assert {"ingest_event", "scoring_routing", "__interrupt__"} <= seen["updates"]
    # the long nodes streamed typed progress events through stream_mode="custom"
    progress = seen["progress"]
    assert None not in progress
    steps = {p["step"] for p in progress}
    assert {"research", "meeting_analysis"} <= steps
    for step in steps:
        events = [p for p in progress if p["step"] == step]
        assert events[-1]["done"] == events[-1]["total"]
        assert all(0 <= p["done"] <= p["total"] for p in events)


def test_async_thread_is_the_sync_thread(deps: Deps) -> None:
    """Both savers use one file: a thread begun async is read and resumed with the sync API."""

    async def first_event() -> None:
        async with deps.async_checkpointer() as saver:
            graph = build_operator(deps, checkpointer=saver)
            await graph.ainvoke({"event": lifecycle_events()[0]}, CONFIG)

    asyncio.run(first_event())
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["action_requests"]
    answered = 0
    while request is not None:  # the lead's first request, then its second (speed_to_lead)
        graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
        request = pending_request(graph, SEED_DEAL_ID)
        answered += 1
    assert answered == 2
    state = deal_state(graph, SEED_DEAL_ID)
    assert state.assignment is not None  # the model came back as a model, not a dict
    assert all(a.status == "executed" for a in state.proposed_actions)


def test_async_resume_twice_runs_each_action_once(deps: Deps) -> None:
    async def run() -> tuple[int, int]:
        async with deps.async_checkpointer() as saver:
            graph = build_operator(deps, checkpointer=saver)
            await graph.ainvoke({"event": lifecycle_events()[0]}, CONFIG)
            answer = None
            while (request := await _pending(graph)) is not None:  # the lead's two requests
                answer = Command(resume=approve_all(request, reviewer="mgr-jordan"))
                await graph.ainvoke(answer, CONFIG)
            first = len(deps.crm.list_receipts())
            assert answer is not None
            await graph.ainvoke(answer, CONFIG)  # a stale second resume of the last request
            return first, len(deps.crm.list_receipts())

    first, second = asyncio.run(run())
    assert first == 4 and second == first  # owner, notice; CRM score fields, first touch


def test_runner_helpers_run_in_a_worker_thread_on_the_async_saver(deps: Deps) -> None:
    """The lease-holding helpers work from async code through `asyncio.to_thread`."""

    async def run() -> tuple[int, int, set[str]]:
        async with deps.async_checkpointer() as saver:
            graph = build_operator(deps, checkpointer=saver)
            lead = lifecycle_events()[0]
            await asyncio.to_thread(runner.send_event, graph, lead)
            request = await asyncio.to_thread(runner.pending_request, graph, SEED_DEAL_ID)
            assert request is not None
            await asyncio.to_thread(runner.send_event, graph, lead)  # the same event: runs nothing
            again = await asyncio.to_thread(runner.pending_request, graph, SEED_DEAL_ID)
            assert again is not None and again["request_id"] == request["request_id"]
            asked = 0
            while request is not None:  # the lead's first request, then its second
                asked += len(request["action_requests"])
                decisions = approve_all(request, reviewer="mgr-jordan")
                await asyncio.to_thread(
                    runner.resume_deal,
                    graph,
                    SEED_DEAL_ID,
                    decisions,
                    policy=deps.policy,
                    reviewer="mgr-jordan",
                )
                request = await asyncio.to_thread(runner.pending_request, graph, SEED_DEAL_ID)
            state = await asyncio.to_thread(runner.deal_state, graph, SEED_DEAL_ID)
            return (
                asked,
                len(deps.crm.list_receipts()),
                {a.status for a in state.proposed_actions},
            )

    asked, receipts, statuses = asyncio.run(run())
    assert asked == receipts > 0 and statuses == {"executed"}


def test_async_checkpointer_needs_a_working_folder(deps: Deps) -> None:
    bare = dataclasses.replace(deps, workdir=None)

    async def open_it() -> None:
        async with bare.async_checkpointer():
            pass

    with pytest.raises(ConfigurationError, match="working folder"):
        asyncio.run(open_it())
