"""Plain `graph.invoke` of a new event while a request waits: refused cleanly, nothing lost.

`send_event` refuses a new event while a deal's request waits (`EventError`,
`RecoveryNeededError`). Studio, the LangGraph server and embedders call `graph.invoke`
directly; the graph itself must refuse the same way, before it records anything, and the
waiting request must stay in `inbox` and answerable.
"""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from sales_operator import Deps, EventError, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.policy import SpeedToLeadPolicy
from sales_operator.runner import (
    deal_receipts,
    deal_state,
    inbox,
    pending_request,
    send_event,
    thread_config,
)

REVIEWER = "mgr-jordan"


def _graph(deps: Deps, speed_to_lead: bool) -> Any:
    deps.policy = deps.policy.model_copy(
        update={"speed_to_lead": SpeedToLeadPolicy(enabled=speed_to_lead)}
    )
    return build_operator(deps, checkpointer=InMemorySaver())


def _names(request: dict[str, Any]) -> list[str]:
    return [a["name"] for a in request["action_requests"]]


def test_plain_invoke_of_a_new_event_while_the_first_request_waits_is_refused(
    deps: Deps,
) -> None:
    graph = _graph(deps, speed_to_lead=True)
    config = thread_config(SEED_DEAL_ID)
    events = lifecycle_events()
    graph.invoke({"event": events[0]}, config)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and _names(request) == ["assign_owner", "post_slack"]
    before = deal_state(graph, SEED_DEAL_ID)
    history = len(list(graph.get_state_history(config)))
    for event in (events[2], events[1]):
        with pytest.raises(EventError, match="waits on the first request"):
            graph.invoke({"event": event}, config)
    # nothing recorded: the same state, no new checkpoint, the request still waits and is listed
    assert deal_state(graph, SEED_DEAL_ID) == before
    assert len(list(graph.get_state_history(config))) == history
    assert pending_request(graph, SEED_DEAL_ID) == request
    assert [i.deal_id for i in inbox(graph, None)] == [SEED_DEAL_ID]
    # the lead again (a webhook retry) is a repeat, not a new event: the request stays
    graph.invoke({"event": events[0]}, config)
    assert pending_request(graph, SEED_DEAL_ID) == request
    # and it is answerable afterwards, with the plain graph too
    graph.invoke(Command(resume=approve_all(request, reviewer=REVIEWER)), config)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]
    graph.invoke(Command(resume=approve_all(second, reviewer=REVIEWER)), config)
    assert pending_request(graph, SEED_DEAL_ID) is None
    graph.invoke({"event": events[2]}, config)  # accepted once the requests are decided
    assert deal_state(graph, SEED_DEAL_ID).events[-1].type == events[2]["type"]


def test_a_malformed_event_while_the_first_request_waits_records_nothing(deps: Deps) -> None:
    graph = _graph(deps, speed_to_lead=True)
    config = thread_config(SEED_DEAL_ID)
    graph.invoke({"event": lifecycle_events()[0]}, config)
    request = pending_request(graph, SEED_DEAL_ID)
    with pytest.raises(EventError):
        graph.invoke({"event": {"type": "activity_logged", "at": "not a date"}}, config)
    assert pending_request(graph, SEED_DEAL_ID) == request


def test_ainvoke_of_a_new_event_while_the_first_request_waits_is_refused(deps: Deps) -> None:
    import asyncio

    graph = _graph(deps, speed_to_lead=True)
    config = thread_config(SEED_DEAL_ID)
    events = lifecycle_events()

    async def go() -> None:
        await graph.ainvoke({"event": events[0]}, config)
        request = pending_request(graph, SEED_DEAL_ID)
        assert request is not None
        with pytest.raises(EventError, match="waits on the first request"):
            await graph.ainvoke({"event": events[2]}, config)
        assert pending_request(graph, SEED_DEAL_ID) == request

    asyncio.run(go())


def test_send_event_and_plain_invoke_refuse_alike(deps: Deps) -> None:
    """The runner's refusal and the graph's are the same error, with the same message."""
    graph = _graph(deps, speed_to_lead=True)
    events = lifecycle_events()
    send_event(graph, events[0])
    with pytest.raises(EventError) as by_runner:
        send_event(graph, events[2])
    with pytest.raises(EventError) as by_graph:
        graph.invoke({"event": events[2]}, thread_config(SEED_DEAL_ID))
    assert str(by_graph.value) == str(by_runner.value)


def test_default_single_request_a_new_event_keeps_the_waiting_actions(deps: Deps) -> None:
    """Without speed-to-lead a new event is accepted: the waiting actions join its request.

    Plain `graph.invoke` and `send_event` do the same, and the actions stay listed and
    answerable (nothing drops out of view).
    """
    events = lifecycle_events()
    graph = _graph(deps, speed_to_lead=False)
    config = thread_config(SEED_DEAL_ID)
    graph.invoke({"event": events[0]}, config)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    graph.invoke({"event": events[2]}, config)
    joined = pending_request(graph, SEED_DEAL_ID)
    assert joined is not None
    assert joined["request_id"] == deal_state(graph, SEED_DEAL_ID).event_id
    assert set(_names(request)) <= set(_names(joined))
    assert [i.deal_id for i in inbox(graph, None)] == [SEED_DEAL_ID]
    graph.invoke(Command(resume=approve_all(joined, reviewer=REVIEWER)), config)
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert {r.kind for r in deal_receipts(graph, SEED_DEAL_ID)} >= set(_names(request))
