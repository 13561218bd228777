"""The gate in two nodes: `prepare_request` builds, checks and indexes; `approval_gate` asks.

LangGraph runs an interrupted node again on resume. The request is built once; the resume
reads it back only while it is still what `build_request` would ask (`request_is_current`),
so an edited state or a forged stored request is never what a decision is checked against.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from sales_operator import Deps, build_operator
from sales_operator import approval as approval_module
from sales_operator.approval import build_request, request_is_current
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import deal_state, pending_request, send_event, thread_config
from sales_operator.state import DealState
from tests.policies import one_request

CONFIG = thread_config(SEED_DEAL_ID)


@pytest.fixture
def graph(deps: Deps) -> Any:
    """The operator with `speed_to_lead` pinned off: the lead's one request, with the email."""
    return build_operator(one_request(deps), checkpointer=InMemorySaver())


def _approvals(request: dict[str, Any], reviewer: str = "mgr-jordan") -> dict[str, Any]:
    n = len(request["action_requests"])
    return {"decisions": [{"type": "approve", "reviewer": reviewer} for _ in range(n)]}


def _stored(graph: Any) -> dict[str, Any]:
    stored = graph.get_state(CONFIG).values.get("review_request")
    assert isinstance(stored, dict)
    return stored


def _ask_then_forge(graph: Any, forge: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Send the lead; then change the stored request in the state as `forge` says."""
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    forged = copy.deepcopy(_stored(graph))
    forge(forged)
    graph.update_state(CONFIG, {"review_request": forged}, as_node="prepare_request")
    return request


def test_a_request_is_built_and_indexed_once_and_a_resume_keeps_its_inbox_entry(
    graph: Any, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real_build = approval_module.build_request

    def counting_build(state: DealState, *args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(state.event_id)
        return real_build(state, *args, **kwargs)

    monkeypatch.setattr(approval_module, "build_request", counting_build)
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and len(built) == 1
    assert graph.get_state(CONFIG).next == ("approval_gate",)
    [entry] = deps.crm.indexed_requests(SEED_DEAL_ID)
    assert entry["request_id"] == request["request_id"]
    # a malformed answer: the gate runs again from its start, asks again with the error...
    graph.invoke(Command(resume={"decisions": "yes"}), CONFIG)
    again = pending_request(graph, SEED_DEAL_ID)
    assert again is not None and "decisions must be a list" in again["error"]
    # ... from the stored request: not rebuilt, and the inbox entry not rewritten
    assert len(built) == 1
    assert deps.crm.indexed_requests(SEED_DEAL_ID) == [entry]
    graph.invoke(Command(resume=_approvals(request)), CONFIG)
    assert len(built) == 1 and pending_request(graph, SEED_DEAL_ID) is None
    state = deal_state(graph, SEED_DEAL_ID)
    assert state.proposed_actions and all(a.status == "executed" for a in state.proposed_actions)
    # decided: the stored request is cleared, the inbox entry too
    assert graph.get_state(CONFIG).values.get("review_request") is None
    assert deps.crm.indexed_requests(SEED_DEAL_ID) == []


def test_a_forged_reviewer_role_in_the_stored_request_is_not_trusted(
    graph: Any, deps: Deps
) -> None:
    def lower_roles(forged: dict[str, Any]) -> None:
        for config in forged["review_configs"]:
            config["reviewer"] = "rep"  # assign_owner asks for a manager in the policy

    request = _ask_then_forge(graph, lower_roles)
    graph.invoke(Command(resume=_approvals(request, reviewer="rep-sam")), CONFIG)
    again = pending_request(graph, SEED_DEAL_ID)
    assert again is not None and "manager" in again["error"]
    assert deps.crm.audit_log(SEED_DEAL_ID) == []
    assert deps.crm.list_receipts(SEED_DEAL_ID) == []


def test_a_forged_contract_in_the_stored_request_cannot_widen_an_edit(
    graph: Any, deps: Deps
) -> None:
    request = _ask_then_forge(
        graph, lambda forged: forged["contract"]["contacts"].append("mallory@evil.example")
    )
    decisions: list[dict[str, Any]] = []
    for action in request["action_requests"]:
        if action["name"] == "send_email":
            args = {**action["args"], "to": ["mallory@evil.example"]}
            decisions.append({"type": "edit", "edited_action": {"args": args}})
        else:
            decisions.append({"type": "approve"})
    graph.invoke(
        Command(resume={"decisions": decisions}), CONFIG, context={"reviewer": "mgr-jordan"}
    )
    again = pending_request(graph, SEED_DEAL_ID)
    assert again is not None and "mallory@evil.example" in again["error"]
    assert deps.crm.audit_log(SEED_DEAL_ID) == []
    assert not list((deps.workdir / "outbox").glob("*.eml"))  # type: ignore[operator]


def test_request_is_current_only_for_the_same_actions_contract_and_policy(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    reps = deps.crm.list_reps()
    stored = _stored(graph)  # as it came back from the checkpoint
    assert request_is_current(stored, state, deps.policy, reps)
    assert stored == build_request(state, deps.policy, reps)
    assert not request_is_current(None, state, deps.policy, reps)
    assert not request_is_current({"action_requests": "x"}, state, deps.policy, reps)
    # an action's arguments edited in the state since
    [email] = [a for a in state.proposed_actions if a.kind == "send_email"]
    edited = state.model_copy(
        update={
            "proposed_actions": [
                a.model_copy(update={"args": {**a.args, "subject": "changed"}})
                if a.id == email.id
                else a
                for a in state.proposed_actions
            ]
        }
    )
    assert not request_is_current(stored, edited, deps.policy, reps)
    # the CRM's reps changed (the contract's senders and owners)
    assert not request_is_current(stored, state, deps.policy, reps[:1])
    # the policy now allows other decisions for a kind
    actions = dict(deps.policy.approval.actions)
    actions["send_email"] = actions["send_email"].model_copy(
        update={"allowed_decisions": ["approve", "reject"]}
    )
    stricter = deps.policy.model_copy(
        update={"approval": deps.policy.approval.model_copy(update={"actions": actions})}
    )
    assert not request_is_current(stored, state, stricter, reps)
    # a stored request for another event of the deal
    assert not request_is_current({**stored, "event_id": "E-other"}, state, deps.policy, reps)
