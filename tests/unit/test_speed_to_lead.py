"""The speed-to-lead timer: it starts when the lead arrives and stops when the rep is told."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import Deps, build_operator
from sales_operator.actions import NEW_LEAD_NOTICE, idempotency_key
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import deal_state, pending_request, resume_deal, send_event


def _start(tmp_path: Path, scorer: Any) -> tuple[Any, Deps, dict[str, Any]]:
    deps = Deps.offline(tmp_path / "work", sample=True)
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    return graph, deps, request


def _notice_index(graph: Any, request: dict[str, Any]) -> int:
    state = deal_state(graph, SEED_DEAL_ID)
    key = idempotency_key(SEED_DEAL_ID, state.event_id, "post_slack", NEW_LEAD_NOTICE)
    pending = [a for a in state.proposed_actions if a.status == "pending"]
    ids = [a.id for a in pending]
    assert key in ids, "the new-lead Slack notice is proposed"
    assert len(ids) == len(request["action_requests"])
    return ids.index(key)


def test_timer_runs_until_the_notice_is_sent(tmp_path: Path, scorer: Any) -> None:
    graph, deps, request = _start(tmp_path, scorer)
    before = deal_state(graph, SEED_DEAL_ID).assignment
    assert before is not None and before.arrived_at is not None
    assert before.notified_at is None and before.speed_to_lead_seconds is None

    _notice_index(graph, request)
    started = datetime.now(UTC)
    decisions = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
    resume_deal(graph, SEED_DEAL_ID, decisions, policy=deps.policy, reviewer="mgr-jordan")

    finished = datetime.now(UTC)
    after = deal_state(graph, SEED_DEAL_ID).assignment
    assert after is not None and after.notified_at is not None
    assert before.routed_wall_at is not None and before.notify_at is not None
    # business clock: due time plus the real wait from routing to the sent notice
    waited = after.notified_at - before.notify_at
    assert started - before.routed_wall_at <= waited <= finished - before.routed_wall_at
    expected = (after.notified_at - before.arrived_at).total_seconds()
    assert after.speed_to_lead_seconds == pytest.approx(expected)
    # a replay of November's events times the notice as the live run would have (seconds
    # after the lead came in), not weeks later at today's date
    head_start = (before.notify_at - before.arrived_at).total_seconds()
    assert head_start <= expected <= head_start + (finished - before.routed_wall_at).total_seconds()
    assert expected < 3600


def test_rejected_notice_leaves_the_timer_running(tmp_path: Path, scorer: Any) -> None:
    graph, deps, request = _start(tmp_path, scorer)
    index = _notice_index(graph, request)
    decisions = {
        "decisions": [
            {"type": "reject", "message": "not now"} if i == index else {"type": "approve"}
            for i in range(len(request["action_requests"]))
        ]
    }
    resume_deal(graph, SEED_DEAL_ID, decisions, policy=deps.policy, reviewer="mgr-jordan")
    after = deal_state(graph, SEED_DEAL_ID).assignment
    assert after is not None
    assert after.notified_at is None and after.speed_to_lead_seconds is None
