"""Speed-to-lead: a new lead's first request (owner, rep notice) before research and drafting.

Under `speed_to_lead.enabled` a `lead_created` event asks twice: first about the routing
actions only, right after scoring and routing; once that request is decided and executed,
research and drafting run and the second request asks about the rest. These tests drive the
real graph (SQLite CRM, offline engine) through approvals, rejections, stale answers,
transient failures, a failed follow-up, a new event in between, and the policy switch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import ApprovalError, Deps, EventError, build_operator
from sales_operator.approval import FIRST_REQUEST_SUFFIX, approve_all, request_id_for
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.errors import RecoveryNeededError, TransientAdapterError
from sales_operator.policy import SpeedToLeadPolicy
from sales_operator.runner import (
    deal_audit,
    deal_state,
    inbox,
    pending_request,
    recover_deal,
    resume_deal,
    send_event,
)

REVIEWER = "mgr-jordan"


@pytest.fixture
def deps(deps: Deps) -> Deps:
    """The shared offline deps with `speed_to_lead` switched on."""
    deps.policy = deps.policy.model_copy(update={"speed_to_lead": SpeedToLeadPolicy(enabled=True)})
    return deps


@pytest.fixture
def graph(deps: Deps) -> Any:
    return build_operator(deps, checkpointer=InMemorySaver())


def _decide(graph: Any, deps: Deps, kind: str = "approve") -> dict[str, Any]:
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and not request.get("recovery"), request
    decisions = [
        {"type": kind, **({"message": "not this rep"} if kind == "reject" else {})}
        for _ in request["action_requests"]
    ]
    payload = {"decisions": decisions, "request_id": request["request_id"]}
    resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer=REVIEWER)
    return request


def _names(request: dict[str, Any]) -> list[str]:
    return [a["name"] for a in request["action_requests"]]


def _slack_lines(deps: Deps) -> list[dict[str, Any]]:
    assert deps.workdir is not None
    path = deps.workdir / "slack.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _outbox(deps: Deps) -> list[Path]:
    assert deps.workdir is not None
    return sorted((deps.workdir / "outbox").glob("*.eml"))


def test_first_request_holds_only_the_routing_actions_before_research(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    assert _names(request) == ["assign_owner", "post_slack"]
    assert request["request_id"] == state.event_id + FIRST_REQUEST_SUFFIX
    # research and drafting have not run yet: they wait for this request
    assert state.brief is None
    assert state.deferred == ["generative_research", "workflow_copilot"]
    assert not [a for a in state.proposed_actions if a.kind == "send_email"]
    # the notice rests on fields: the routed rep, the score and its top factors
    assert state.assignment is not None and state.score is not None
    owner = request["action_requests"][0]["args"]
    assert owner["rep_id"] == state.assignment.rep_id
    text = request["action_requests"][1]["args"]["text"]
    assert f"{state.score.probability:.0%} (band {state.score.band})" in text
    top = max(state.score.factors, key=lambda f: f.points)
    assert top.label in text
    assert "follow for approval" in text
    assert "Brief:" not in text  # nothing from research that has not run
    assert _slack_lines(deps) == [] and _outbox(deps) == []  # nothing ran before approval


def test_approving_both_requests_runs_everything_once_with_two_request_ids(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    first = _decide(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    # the first request ran; research and drafting followed in the same resume
    assert [(a.kind, a.status) for a in state.proposed_actions if a.status != "pending"] == [
        ("assign_owner", "executed"),
        ("post_slack", "executed"),
    ]
    assert (
        state.deal is not None
        and state.deal.owner_id == first["action_requests"][0]["args"]["rep_id"]
    )
    assert len(_slack_lines(deps)) == 1 and _outbox(deps) == []
    assert state.brief is not None and state.deferred == []
    assert state.assignment is not None and state.assignment.notified_at is not None
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None
    assert second["request_id"] == state.event_id
    assert _names(second) == ["update_crm", "send_email"]  # owner and notice not asked again

    _decide(graph, deps)
    assert pending_request(graph, SEED_DEAL_ID) is None
    state = deal_state(graph, SEED_DEAL_ID)
    assert {a.status for a in state.proposed_actions} == {"executed"}
    assert len(_slack_lines(deps)) == 1 and len(_outbox(deps)) == 1
    by_request: dict[str, list[str]] = {}
    for e in deal_audit(graph, SEED_DEAL_ID):
        if e.decision == "approve":
            by_request.setdefault(str(e.request_id), []).append(e.kind)
    assert by_request == {
        first["request_id"]: ["assign_owner", "post_slack"],
        second["request_id"]: ["update_crm", "send_email"],
    }


def test_a_rejected_first_request_still_lets_research_and_drafting_run(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    _decide(graph, deps, "reject")
    state = deal_state(graph, SEED_DEAL_ID)
    assert [a.status for a in state.proposed_actions[:2]] == ["rejected", "rejected"]
    assert _slack_lines(deps) == []
    assert state.deal is not None and state.deal.owner_id != state.assignment.rep_id  # type: ignore[union-attr]
    assert state.brief is not None
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]


def test_a_stale_answer_to_the_first_request_changes_nothing(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    first = _decide(graph, deps)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None
    # a second reviewer answers the first request late (read before it was decided)
    stale = {
        "decisions": [{"type": "reject", "message": "x"}] * 2,
        "request_id": first["request_id"],
    }
    with pytest.raises(ApprovalError, match="already decided"):
        resume_deal(graph, SEED_DEAL_ID, stale, policy=deps.policy, reviewer=REVIEWER)
    assert pending_request(graph, SEED_DEAL_ID) == second
    # and an answer to the second request shaped like the first is refused by its count
    with pytest.raises(ApprovalError, match="expected 2 decision"):
        resume_deal(graph, SEED_DEAL_ID, {"decisions": []}, policy=deps.policy, reviewer=REVIEWER)


def test_a_new_event_waits_for_the_first_request(graph: Any, deps: Deps) -> None:
    events = lifecycle_events()
    send_event(graph, events[0])
    before = deal_state(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    with pytest.raises(EventError, match="waits on the first request"):
        send_event(graph, events[2])
    assert deal_state(graph, SEED_DEAL_ID) == before
    assert pending_request(graph, SEED_DEAL_ID) == request
    # the same lead again (a webhook retry) is a repeat: the same first request stays
    send_event(graph, events[0])
    assert pending_request(graph, SEED_DEAL_ID) == request
    _decide(graph, deps)
    _decide(graph, deps)
    send_event(graph, events[1])  # accepted once the lead's requests are decided
    assert deal_state(graph, SEED_DEAL_ID).event is not None


def test_a_transient_notice_failure_is_recovered_before_the_follow_up(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    real_post = deps.messenger.post
    failures = [10]

    def flaky(**kwargs: Any) -> Any:
        if failures[0] > 0:
            failures[0] -= 1
            raise TransientAdapterError("503", adapter="slack", operation="post")
        return real_post(**kwargs)

    deps.messenger.post = flaky  # type: ignore[method-assign]
    _decide(graph, deps)
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"]
    assert stuck["request_id"].endswith(FIRST_REQUEST_SUFFIX)
    assert [u["name"] for u in stuck["unfinished"]] == ["post_slack"]
    assert deal_state(graph, SEED_DEAL_ID).brief is None  # the follow-up waits
    failures[0] = 0
    recover_deal(graph, SEED_DEAL_ID)
    assert len(_slack_lines(deps)) == 1
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]


def test_a_failed_follow_up_is_shown_and_recovered(
    graph: Any, deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sales_operator.patterns import copilot

    send_event(graph, lifecycle_events()[0])
    real = copilot._first_touch

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("drafting failed")

    monkeypatch.setattr(copilot, "_first_touch", broken)
    with pytest.raises(RuntimeError, match="drafting failed"):
        _decide(graph, deps)
    assert len(_slack_lines(deps)) == 1  # the first request ran, once
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"]
    assert "deferred patterns" in stuck["message"]
    assert [i.deal_id for i in inbox(graph, None)] == [SEED_DEAL_ID]
    with pytest.raises(RecoveryNeededError):
        send_event(graph, lifecycle_events()[1])  # nothing is dropped by a new event
    monkeypatch.setattr(copilot, "_first_touch", real)
    recover_deal(graph, SEED_DEAL_ID)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]
    assert len(_slack_lines(deps)) == 1


def test_inbox_shows_each_request_in_turn(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    [item] = list(inbox(graph, None))
    assert item.request["request_id"].endswith(FIRST_REQUEST_SUFFIX)
    _decide(graph, deps)
    [item] = list(inbox(graph, None))
    assert item.request["request_id"] == deal_state(graph, SEED_DEAL_ID).event_id
    _decide(graph, deps)
    assert list(inbox(graph, None)) == []


def test_policy_off_keeps_one_request_per_lead(deps: Deps) -> None:
    deps.policy = deps.policy.model_copy(update={"speed_to_lead": SpeedToLeadPolicy(enabled=False)})
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    assert request["request_id"] == state.event_id == request_id_for(state.event_id, [])
    assert _names(request) == ["assign_owner", "update_crm", "post_slack", "send_email"]
    assert state.brief is not None and state.deferred == []
    assert "waiting for your approval" in request["action_requests"][2]["args"]["text"]


def test_policy_file_switch(tmp_path: Path) -> None:
    from sales_operator.errors import PolicyError
    from sales_operator.policy import default_policy, parse_policy

    assert default_policy().speed_to_lead.enabled is True  # the bundled policy: on
    assert parse_policy({}).speed_to_lead.enabled is True  # a file without the block: on too
    assert parse_policy({"speed_to_lead": {}}).speed_to_lead.enabled is True
    assert parse_policy({"speed_to_lead": {"enabled": False}}).speed_to_lead.enabled is False
    with pytest.raises(PolicyError, match="speed_to_lead"):
        parse_policy({"speed_to_lead": {"enable": False}})


def test_cli_shows_the_first_request_then_the_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sales_operator.cli import main
    from sales_operator.policy import default_policy_text

    # the bundled policy (no --policy) has speed_to_lead on
    assert "speed_to_lead:\n  enabled: true" in default_policy_text()
    w = ["--workdir", str(tmp_path / "work"), "--offline", "--sample", "--reviewer", REVIEWER]
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(lifecycle_events()[0]))
    assert main(["event", str(lead), *w]) == 0
    out = capsys.readouterr().out
    assert "2 action(s) wait for approval" in out and "speed-to-lead" in out
    assert "send_email" not in out
    assert main(["approve", SEED_DEAL_ID, *w]) == 0
    out = capsys.readouterr().out
    assert "[assign_owner] executed" in out and "[post_slack] executed" in out
    assert "2 more action(s) wait for approval" in out and "send_email" in out
    assert main(["approve", SEED_DEAL_ID, *w]) == 0
    out = capsys.readouterr().out
    assert "[send_email] executed" in out and "more action(s)" not in out


def test_cli_with_a_policy_file_switching_it_off_asks_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sales_operator.cli import main
    from sales_operator.policy import load_policy
    from tests.policies import one_request_policy_file

    policy = one_request_policy_file(tmp_path)  # the bundled text with the block switched off
    assert load_policy(policy).speed_to_lead.enabled is False
    w = ["--workdir", str(tmp_path / "work"), "--offline", "--sample", "--reviewer", REVIEWER]
    w += ["--policy", str(policy)]
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(lifecycle_events()[0]))
    assert main(["event", str(lead), *w]) == 0
    out = capsys.readouterr().out
    assert "4 action(s) wait for approval" in out and "speed-to-lead" not in out
    assert "send_email" in out and "assign_owner" in out
    assert main(["approve", SEED_DEAL_ID, *w]) == 0
    out = capsys.readouterr().out
    assert "[assign_owner] executed" in out and "[send_email] executed" in out
    assert "more action(s)" not in out


def test_an_owner_edited_in_the_first_request_writes_the_first_touch(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    owner, notice = request["action_requests"]
    assert owner["args"]["rep_id"] != "rep-tom"
    edited = {**owner["args"], "rep_id": "rep-tom", "rep_name": "Tom Becker"}
    decisions = [
        {"type": "edit", "edited_action": {"name": "assign_owner", "args": edited}},
        {"type": "reject", "message": "Tom takes it; he will hear from me"},
    ]
    payload = {"decisions": decisions, "request_id": request["request_id"]}
    resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer=REVIEWER)
    state = deal_state(graph, SEED_DEAL_ID)
    assert state.deal is not None and state.deal.owner_id == "rep-tom"
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None
    email = next(a for a in second["action_requests"] if a["name"] == "send_email")
    tom = next(r for r in deps.crm.list_reps() if r.id == "rep-tom")
    assert tom.email in email["args"]["from"] and "Sam" not in email["args"]["from"]
    assert (
        "Tom Becker" in email["args"]["body"]
        and owner["args"]["rep_name"] not in email["args"]["body"]
    )


def test_an_email_notice_is_the_first_request_and_the_first_touch_the_second(
    deps: Deps,
) -> None:
    routing = deps.policy.routing.model_copy(update={"notify": "email"})
    deps.policy = deps.policy.model_copy(update={"routing": routing})
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    first = pending_request(graph, SEED_DEAL_ID)
    assert first is not None and _names(first) == ["assign_owner", "send_email"]
    state = deal_state(graph, SEED_DEAL_ID)
    rep = next(r for r in deps.crm.list_reps() if r.id == state.assignment.rep_id)  # type: ignore[union-attr]
    notice = first["action_requests"][1]["args"]
    assert notice["to"] == [rep.email] and "New lead" in notice["subject"]
    _decide(graph, deps)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]
    contact = next(c for c in state.contacts if c.id == state.lead.contact_id)  # type: ignore[union-attr]
    assert contact.email in " ".join(second["action_requests"][1]["args"]["to"])


def _checkpoints(saver: Any) -> dict[str, int]:
    rows = saver.conn.execute(
        "SELECT checkpoint_ns = '', COUNT(*) FROM checkpoints GROUP BY checkpoint_ns = ''"
    ).fetchall()
    return {("root" if root else "subgraph"): n for root, n in rows}


def test_answering_the_first_request_is_saved_once_and_a_crash_in_it_recovers_once(
    deps: Deps,
) -> None:
    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    send_event(graph, lifecycle_events()[0])
    assert _checkpoints(saver) == {"root": 1}
    # the answer runs the executor, research and drafting: saved once, at the second request
    real_post = deps.messenger.post
    calls = [0]

    def crash_once(**kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("process died mid-executor")
        return real_post(**kwargs)

    deps.messenger.post = crash_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="mid-executor"):
        _decide(graph, deps)
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"]
    assert [u["name"] for u in stuck["unfinished"]] == ["post_slack"]
    recover_deal(graph, SEED_DEAL_ID)
    assert len(_slack_lines(deps)) == 1
    receipts = deps.crm.list_receipts(SEED_DEAL_ID)  # type: ignore[attr-defined]
    assert sorted(r.kind for r in receipts) == ["assign_owner", "post_slack"]
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and _names(second) == ["update_crm", "send_email"]

    # without a crash: the first answer writes one root checkpoint and none in the patterns
    fresh = lifecycle_events()[0]
    fresh["payload"]["deal"]["id"] = "D-2002"
    fresh["payload"]["lead"]["id"] = "L-2002"
    send_event(graph, fresh)
    before = _checkpoints(saver)
    first = pending_request(graph, "D-2002")
    assert first is not None and first["request_id"].endswith(FIRST_REQUEST_SUFFIX)
    resume_deal(
        graph,
        "D-2002",
        approve_all(first, reviewer=REVIEWER),
        policy=deps.policy,
        reviewer=REVIEWER,
    )
    after = _checkpoints(saver)
    assert after["root"] - before["root"] == 1
    assert after.get("subgraph", 0) == before.get("subgraph", 0)
    second = pending_request(graph, "D-2002")
    assert second is not None and second["request_id"] == deal_state(graph, "D-2002").event_id
    resume_deal(
        graph,
        "D-2002",
        approve_all(second, reviewer=REVIEWER),
        policy=deps.policy,
        reviewer=REVIEWER,
    )
    assert _checkpoints(saver)["root"] - after["root"] >= 2  # the second answer: "sync"


def test_plain_graph_invoke_leaves_no_stale_inbox_entry_across_both_requests(
    graph: Any, deps: Deps
) -> None:
    """The graph clears each request's inbox-index entry by its own id (`<event>:first` too)."""
    from langgraph.types import Command

    from sales_operator.runner import thread_config

    def indexed() -> set[str]:
        return {e["request_id"] for e in deps.crm.indexed_requests()}  # type: ignore[attr-defined]

    config = thread_config(SEED_DEAL_ID)
    graph.invoke({"event": lifecycle_events()[0]}, config)
    first = pending_request(graph, SEED_DEAL_ID)
    assert first is not None and first["request_id"].endswith(FIRST_REQUEST_SUFFIX)
    assert indexed() == {first["request_id"]}
    graph.invoke(Command(resume=approve_all(first, reviewer=REVIEWER)), config)
    second = pending_request(graph, SEED_DEAL_ID)
    event_id = deal_state(graph, SEED_DEAL_ID).event_id
    assert second is not None and second["request_id"] == event_id
    assert indexed() == {event_id}  # the first request's entry is gone, not left stale
    graph.invoke(Command(resume=approve_all(second, reviewer=REVIEWER)), config)
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert indexed() == set()  # no inbox() sweep ran: the graph cleared both
