"""An event run cut off before its request, and a recovery waiting under plain `graph.invoke`.

Two ways to lose an event that `send_event` alone did not cover:

- A plain `graph.stream` of an event closed by its caller after the first chunk (a client that
  disconnects) leaves the thread checkpointed in the middle of the event, with nothing asked.
  Sending the event again used to count as a repeat and run nothing, so its patterns and its
  request never came. Now `pending_request` reports the cut-off run as a recovery,
  `recover_deal` finishes it, and the repeat of the event finishes it too.
- With the default single request, a plain `graph.invoke` of a new event while approved
  actions wait for a recovery (a transient failure) used to start the new event and hide the
  recovery. Now it is refused with `RecoveryNeededError`, as `send_event` refuses it, before
  anything is recorded.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.errors import EventError, RecoveryNeededError, TransientAdapterError
from sales_operator.runner import (
    deal_receipts,
    inbox,
    pending_request,
    recover_deal,
    resume_deal,
    send_event,
    thread_config,
)
from tests.policies import one_request

REVIEWER = "mgr-jordan"


def _approve(graph: Any, deps: Deps, request: dict[str, Any]) -> None:
    resume_deal(
        graph,
        SEED_DEAL_ID,
        approve_all(request, reviewer=REVIEWER),
        policy=deps.policy,
        reviewer=REVIEWER,
    )


def _cut_off_lead(graph: Any) -> dict[str, Any]:
    """Stream the seed lead and close the stream after its first chunk."""
    event = lifecycle_events()[0]
    chunks = graph.stream({"event": event}, thread_config(SEED_DEAL_ID), stream_mode="updates")
    first = next(chunks)
    assert "ingest_event" in first
    chunks.close()
    return event


def test_a_cut_off_event_run_shows_as_a_recovery_and_recover_deal_finishes_it(
    deps: Deps,
) -> None:
    saver = InMemorySaver()
    graph = build_operator(deps, checkpointer=saver)
    _cut_off_lead(graph)
    snapshot = graph.get_state(thread_config(SEED_DEAL_ID))
    assert snapshot.next and not any(t.interrupts for t in snapshot.tasks)
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"] is True
    assert "stopped before its request" in stuck["message"]
    assert SEED_DEAL_ID in [item.deal_id for item in inbox(graph, graph.checkpointer, scan=True)]
    recover_deal(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and not request.get("recovery")
    assert "assign_owner" in [a["name"] for a in request["action_requests"]]


@pytest.mark.parametrize("stl", [True, False], ids=["speed_to_lead", "one_request"])
@pytest.mark.parametrize("how", ["send_event", "plain invoke"])
def test_the_repeat_of_a_cut_off_event_finishes_it(deps: Deps, how: str, stl: bool) -> None:
    graph = build_operator(deps if stl else one_request(deps), checkpointer=InMemorySaver())
    event = _cut_off_lead(graph)
    if how == "send_event":
        send_event(graph, event)
    else:
        graph.invoke({"event": event}, thread_config(SEED_DEAL_ID))
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and not request.get("recovery")
    names = [a["name"] for a in request["action_requests"]]
    # the run reaches the lead's (first) request: the owner and notice first under speed_to_lead
    assert "assign_owner" in names and ("send_email" in names) is not stl
    # a second repeat, now that the event is handled, runs nothing
    before = graph.get_state(thread_config(SEED_DEAL_ID)).config
    graph.invoke({"event": event}, thread_config(SEED_DEAL_ID))
    assert pending_request(graph, SEED_DEAL_ID)["request_id"] == request["request_id"]
    assert (
        graph.get_state(thread_config(SEED_DEAL_ID)).values["event_id"]
        == (graph.get_state(before).values["event_id"])
    )


def test_plain_invoke_of_a_new_event_while_a_recovery_waits_is_refused(deps: Deps) -> None:
    # one request per lead; the same under speed_to_lead is the two tests below
    graph = build_operator(one_request(deps), checkpointer=InMemorySaver())
    config = thread_config(SEED_DEAL_ID)
    events = lifecycle_events()
    send_event(graph, events[0])

    def unavailable(**_: Any) -> Any:
        raise TransientAdapterError("503", adapter="slack", operation="post")

    post = deps.messenger.post
    deps.messenger.post = unavailable  # type: ignore[method-assign]
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    try:  # the Slack notice stays `retryable` after the executor's own retries
        _approve(graph, deps, request)
    except TransientAdapterError:
        pass
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"] is True
    history = len(list(graph.get_state_history(config)))
    with pytest.raises(RecoveryNeededError, match="not recorded"):
        graph.invoke({"event": events[2]}, config)
    assert len(list(graph.get_state_history(config))) == history
    assert pending_request(graph, SEED_DEAL_ID) == stuck
    deps.messenger.post = post  # type: ignore[method-assign]
    recover_deal(graph, SEED_DEAL_ID)
    assert any(r.kind == "post_slack" for r in deal_receipts(graph, SEED_DEAL_ID))
    before = graph.get_state(config).values["event_id"]
    graph.invoke({"event": events[2]}, config)  # now the new event runs
    assert graph.get_state(config).values["event_id"] != before


def test_a_refused_event_under_plain_invoke_is_not_taken_for_a_cut_off_run(deps: Deps) -> None:
    """A malformed event fails in `ingest_event`: nothing of it is recorded, nothing to recover."""
    graph = build_operator(deps, checkpointer=InMemorySaver())
    config = thread_config(SEED_DEAL_ID)
    events = lifecycle_events()
    send_event(graph, events[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    _approve(graph, deps, request)
    bad = copy.deepcopy(events[2])
    bad["payload"]["kind"] = 12345
    with pytest.raises(EventError):
        graph.invoke({"event": bad}, config)
    assert graph.get_state(config).next == ("ingest_event",)
    assert pending_request(graph, SEED_DEAL_ID) is None
    graph.invoke({"event": events[2]}, config)  # the corrected event runs
    assert graph.get_state(config).values["events"][-1].type == events[2]["type"]


def _first_request_notice_fails(deps: Deps) -> tuple[Any, dict[str, Any], Any]:
    """Under speed_to_lead: approve the lead's first request while Slack is down.

    Returns the graph, the recovery it leaves (the notice is `retryable`) and Slack's `post`.
    """
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])

    def unavailable(**_: Any) -> Any:
        raise TransientAdapterError("503", adapter="slack", operation="post")

    post = deps.messenger.post
    deps.messenger.post = unavailable  # type: ignore[method-assign]
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and [a["name"] for a in request["action_requests"]] == [
        "assign_owner",
        "post_slack",
    ]
    try:
        _approve(graph, deps, request)
    except TransientAdapterError:
        pass
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"] is True
    return graph, stuck, post


def test_a_new_event_while_a_first_request_recovery_waits_is_told_to_recover(
    deps: Deps,
) -> None:
    assert deps.policy.speed_to_lead.enabled  # the default
    graph, stuck, _ = _first_request_notice_fails(deps)
    with pytest.raises(RecoveryNeededError):
        send_event(graph, lifecycle_events()[2])
    with pytest.raises(RecoveryNeededError, match="not recorded"):
        graph.invoke({"event": lifecycle_events()[2]}, thread_config(SEED_DEAL_ID))
    assert pending_request(graph, SEED_DEAL_ID) == stuck


def test_a_new_event_while_a_first_request_recovery_waits_is_refused_unrecorded(
    deps: Deps,
) -> None:
    """Refused by both before anything is recorded; the recovery then finishes it."""
    graph, stuck, post = _first_request_notice_fails(deps)
    config = thread_config(SEED_DEAL_ID)
    history = len(list(graph.get_state_history(config)))
    with pytest.raises(RecoveryNeededError):
        send_event(graph, lifecycle_events()[2])
    with pytest.raises(RecoveryNeededError):
        graph.invoke({"event": lifecycle_events()[2]}, config)
    assert len(list(graph.get_state_history(config))) == history
    assert pending_request(graph, SEED_DEAL_ID) == stuck
    deps.messenger.post = post  # type: ignore[method-assign]
    recover_deal(graph, SEED_DEAL_ID)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and "send_email" in [a["name"] for a in second["action_requests"]]
