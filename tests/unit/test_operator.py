"""The operator end to end: one graph, one thread per deal, the approval gate, the executor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from sales_operator import ApprovalError, ConfigurationError, Deps, EventError, build_operator
from sales_operator.blobs import is_ref, resolve_text
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import (
    deal_audit,
    deal_receipts,
    deal_state,
    pending_request,
    resume_deal,
    send_event,
    thread_config,
)
from tests.policies import ONE_REQUEST_SCRIPT, answer_every, one_request

CONFIG = thread_config(SEED_DEAL_ID)


@pytest.fixture
def graph(deps: Deps) -> Any:
    return build_operator(deps, checkpointer=InMemorySaver())


def _approve_all(graph: Any, deps: Deps) -> None:
    """Approve every request the event makes, in turn (a lead's two under speed_to_lead)."""
    assert answer_every(graph, deps) > 0


def _decide_all(graph: Any, deps: Deps, decide: Any) -> None:
    """Answer every request pending on the seed deal, in turn, with `decide(action)` each."""
    assert answer_every(graph, deps, decide) > 0


def _outbox(deps: Deps) -> list[Path]:
    assert deps.workdir is not None
    return sorted((deps.workdir / "outbox").glob("*.eml"))


def _slack_lines(deps: Deps) -> list[dict[str, Any]]:
    assert deps.workdir is not None
    path = deps.workdir / "slack.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_one_graph_with_four_pattern_subgraphs_then_gate_and_executor(deps: Deps) -> None:
    graph = build_operator(deps, checkpointer=InMemorySaver())
    top = set(graph.get_graph().nodes)
    assert {
        "ingest_event",
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
        "prepare_request",
        "approval_gate",
        "execute_actions",
    } <= top
    xray = set(graph.get_graph(xray=1).nodes)
    for pattern in (
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
    ):
        inner = [n for n in xray if n.startswith(f"{pattern}:")]
        assert inner, f"{pattern} is not a subgraph in xray view"


def test_nothing_runs_before_approval(graph: Any, deps: Deps) -> None:
    """The default policy (speed_to_lead on): the lead's first request, then its second."""
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    kinds = [a["name"] for a in request["action_requests"]]
    assert kinds == ["assign_owner", "post_slack"]  # owner and rep notice, asked first
    assert deal_receipts(graph, SEED_DEAL_ID) == []
    assert _outbox(deps) == []
    assert _slack_lines(deps) == []
    assert deps.crm.get_deal(SEED_DEAL_ID) is None
    assert all(a.status == "pending" for a in state.proposed_actions)
    # Scoring and routing did their work; research and drafting wait for the first answer.
    assert state.score is not None and state.assignment is not None and state.brief is None
    approve = [{"type": "approve", "reviewer": "mgr-jordan"}] * len(kinds)
    resume_deal(
        graph, SEED_DEAL_ID, {"decisions": approve}, policy=deps.policy, reviewer="mgr-jordan"
    )
    state = deal_state(graph, SEED_DEAL_ID)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and "send_email" in [a["name"] for a in second["action_requests"]]
    assert _outbox(deps) == [] and len(_slack_lines(deps)) == 1  # the notice ran, no email
    # the research shared its brief through the state, and the email waits for its answer
    assert state.brief is not None
    assert [a.status for a in state.proposed_actions if a.kind == "send_email"] == ["pending"]


def test_nothing_runs_before_approval_with_one_request(deps: Deps) -> None:
    """Speed-to-lead off: one request holds everything, after research and drafting."""
    graph = build_operator(one_request(deps), checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    kinds = [a["name"] for a in request["action_requests"]]
    assert "assign_owner" in kinds and "post_slack" in kinds and "send_email" in kinds
    assert deal_receipts(graph, SEED_DEAL_ID) == []
    assert _outbox(deps) == []
    assert _slack_lines(deps) == []
    assert deps.crm.get_deal(SEED_DEAL_ID) is None
    assert all(a.status == "pending" for a in state.proposed_actions)
    # The patterns did their work and shared it through the state.
    assert state.score is not None and state.assignment is not None and state.brief is not None


def test_approve_executes_each_action_once_with_receipts_and_audit(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    _approve_all(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    n = len(state.proposed_actions)
    assert n > 0 and all(a.status == "executed" for a in state.proposed_actions)
    assert len(deal_receipts(graph, SEED_DEAL_ID)) == n
    assert {r.idempotency_key for r in deal_receipts(graph, SEED_DEAL_ID)} == {
        a.idempotency_key for a in state.proposed_actions
    }
    deal = deps.crm.get_deal(SEED_DEAL_ID)
    assert deal is not None and deal.owner_id == state.assignment.rep_id  # type: ignore[union-attr]
    assert len(_outbox(deps)) == sum(a.kind == "send_email" for a in state.proposed_actions)
    log = deps.crm.audit_log(SEED_DEAL_ID)
    assert sorted(e.decision for e in log) == sorted(["approve"] * n + ["executed"] * n)
    assert all(e.actor == "mgr-jordan" for e in log if e.decision == "approve")


def test_reject_runs_nothing(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    _decide_all(graph, deps, lambda action: {"type": "reject", "message": "not now"})
    state = deal_state(graph, SEED_DEAL_ID)
    assert all(a.status == "rejected" for a in state.proposed_actions)
    assert (
        deal_receipts(graph, SEED_DEAL_ID) == []
        and _outbox(deps) == []
        and _slack_lines(deps) == []
    )
    assert deps.crm.get_deal(SEED_DEAL_ID) is None
    assert {e.decision for e in deal_audit(graph, SEED_DEAL_ID)} == {"reject"}
    assert all(e.message == "not now" for e in deal_audit(graph, SEED_DEAL_ID))
    # rejections are in the CRM's append-only audit log too
    logged = deps.crm.audit_log(SEED_DEAL_ID)
    assert len(logged) == len(state.proposed_actions)
    assert {e.decision for e in logged} == {"reject"}


def test_edit_runs_the_edited_arguments(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])

    def decide(a: dict[str, Any]) -> dict[str, Any]:
        if a["name"] == "send_email":
            args = {**a["args"], "subject": "Edited subject line", "body": "Edited body."}
            return {"type": "edit", "edited_action": {"name": a["name"], "args": args}}
        return {"type": "reject", "message": "only the email"}

    _decide_all(graph, deps, decide)  # the email is in the lead's second request
    [eml] = _outbox(deps)
    text = eml.read_text()
    assert "Subject: Edited subject line" in text and "Edited body." in text
    [edit] = [e for e in deal_audit(graph, SEED_DEAL_ID) if e.decision == "edit"]
    assert edit.edited_args is not None and edit.edited_args["subject"] == "Edited subject line"
    assert edit.original_args["subject"] != "Edited subject line"


def test_resuming_twice_runs_each_action_once(deps: Deps) -> None:
    # one request per lead: a second plain resume is stale (under speed_to_lead it would
    # answer the lead's second request, which is what it is for)
    graph = build_operator(one_request(deps), checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    payload = {
        "decisions": [
            {"type": "approve", "reviewer": "mgr-jordan"} for _ in request["action_requests"]
        ]
    }
    graph.invoke(Command(resume=payload), CONFIG)
    first = (len(_outbox(deps)), len(_slack_lines(deps)), len(deps.crm.list_receipts()))
    graph.invoke(Command(resume=payload), CONFIG)  # a second, stale resume
    with pytest.raises(ApprovalError, match="already decided by mgr-jordan at"):
        resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer="mgr-jordan")
    assert (len(_outbox(deps)), len(_slack_lines(deps)), len(deps.crm.list_receipts())) == first
    assert first[2] == len(request["action_requests"])


def test_malformed_decision_is_an_error_and_leaves_request_pending(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    with pytest.raises(ApprovalError):
        resume_deal(graph, SEED_DEAL_ID, {"decisions": [{"type": "approve"}]}, policy=deps.policy)
    assert pending_request(graph, SEED_DEAL_ID) == request
    # A malformed payload sent to the graph directly is not an approval either: the gate asks
    # again, with the error, and nothing runs.
    graph.invoke(Command(resume="yes please"), CONFIG)
    again = pending_request(graph, SEED_DEAL_ID)
    assert again is not None and "expected" in again["error"]
    assert again["action_requests"] == request["action_requests"]
    assert _outbox(deps) == [] and deal_receipts(graph, SEED_DEAL_ID) == []
    _approve_all(graph, deps)  # this request, then the lead's second (speed_to_lead)
    receipts = {r.action_id for r in deal_receipts(graph, SEED_DEAL_ID)}
    assert {a["id"] for a in request["action_requests"]} <= receipts
    assert len(receipts) == len(deal_state(graph, SEED_DEAL_ID).proposed_actions)


def test_unknown_action_kind_fails_closed(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    _approve_all(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    rogue = state.proposed_actions[0].model_copy(
        update={
            "id": "rogue",
            "idempotency_key": "rogue",
            "kind": "wire_money",
            "status": "pending",
            "decision": None,
        }
    )
    graph.update_state(
        CONFIG,
        {"proposed_actions": [*state.proposed_actions, rogue]},
        as_node="workflow_copilot",
    )
    with pytest.raises(ApprovalError, match="wire_money"):
        graph.invoke(None, CONFIG)
    after = deal_state(graph, SEED_DEAL_ID)
    assert [a.status for a in after.proposed_actions if a.id == "rogue"] == ["pending"]
    assert len(deal_receipts(graph, SEED_DEAL_ID)) == len(state.proposed_actions)


def test_graph_without_checkpointer_refuses_to_gate(deps: Deps) -> None:
    graph = build_operator(deps)
    with pytest.raises(ConfigurationError, match="checkpointer"):
        graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    assert _outbox(deps) == [] and deps.crm.list_receipts() == []


def test_malformed_events_are_refused_and_state_is_kept(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    _approve_all(graph, deps)
    before = deal_state(graph, SEED_DEAL_ID)
    bad_events = [
        {"type": "lead_deleted", "at": "2026-11-03T00:00:00Z", "payload": {}},
        {"type": "meeting_completed", "at": "not a time", "payload": {"call_id": "x"}},
        {"type": "meeting_completed", "at": "2026-11-03T00:00:00Z", "payload": {"call_id": "x"}},
        {"type": "deal_closed", "at": "2026-11-03T00:00:00Z", "payload": {"outcome": "maybe"}},
        {
            "type": "activity_logged",
            "at": "2026-11-03T00:00:00Z",
            "payload": {"kind": "email", "colour": "red"},
        },
    ]
    for event in bad_events:
        with pytest.raises(EventError):
            send_event(graph, event, deal_id=SEED_DEAL_ID)
    # The same errors come from inside the graph for callers that skip send_event.
    with pytest.raises(EventError, match="deal_closed payload: outcome"):
        graph.invoke({"event": bad_events[3]}, CONFIG)
    again = lifecycle_events()[0]
    with pytest.raises(EventError, match="already holds deal"):
        graph.invoke({"event": {**again, "at": "2026-11-02T15:00:00Z"}}, CONFIG)
    after = deal_state(graph, SEED_DEAL_ID)
    assert after.model_dump(exclude={"event"}) == before.model_dump(exclude={"event"})


def test_same_event_twice_does_nothing_the_second_time(graph: Any, deps: Deps) -> None:
    events = lifecycle_events()
    send_event(graph, events[0])
    _approve_all(graph, deps)
    send_event(graph, events[2])  # activity_logged
    n_events = len(deal_state(graph, SEED_DEAL_ID).events)
    send_event(graph, events[2])
    state = deal_state(graph, SEED_DEAL_ID)
    assert len(state.events) == n_events
    assert pending_request(graph, SEED_DEAL_ID) is None


def test_full_lifecycle_shares_state_across_patterns(graph: Any, deps: Deps) -> None:
    at_review = None
    for event in lifecycle_events():
        send_event(graph, event)
        if event["type"] == "pipeline_review":
            at_review = deal_state(graph, SEED_DEAL_ID)
        while pending_request(graph, SEED_DEAL_ID) is not None:
            _approve_all(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    assert at_review is not None
    assert [e.type for e in state.events] == [e["type"] for e in lifecycle_events()]
    assert state.assignment is not None and state.assignment.rep_id == "rep-sam"
    assert state.meeting is not None
    assert len(state.meeting.pains) == 3 and len(state.meeting.commitments) == 2
    assert {h.tracker for h in state.meeting.competitors} == {"FleetPilot"}
    first, review = state.score_history[0], None
    for point in state.score_history:
        if point.event == "pipeline_review":
            review = point
    assert review is not None and review.probability < first.probability - 0.15
    assert {r.code for r in at_review.risks} >= {"inactivity", "close_date_near"}
    alert = [
        a
        for a in at_review.proposed_actions
        if a.kind == "post_slack" and a.event_id == at_review.event_id
    ]
    assert alert and "at risk" in alert[0].args["text"]
    assert state.handoff is not None and state.handoff.purpose == "cs_handoff"
    assert state.deal is not None and state.deal.stage == "closed_won"
    kinds = [a.kind for a in state.proposed_actions]
    titles = [a.args.get("title", "") for a in state.proposed_actions if a.kind == "create_task"]
    assert any("CRO" in t for t in titles), titles
    # the follow-up email uses what the call found
    follow_ups = [
        a
        for a in state.proposed_actions
        if a.kind == "send_email" and a.event_id.split(":")[1] == "meeting_completed"
    ]
    # executed: its body is a reference into the blob folder (the audit has it too)
    assert follow_ups and is_ref(follow_ups[0].args["body"]) and deps.blobs is not None
    assert "ROI" in resolve_text(follow_ups[0].args, deps.blobs)["body"]
    assert kinds.count("post_slack") >= 3
    assert all(a.status == "executed" for a in state.proposed_actions)
    assert len(deal_receipts(graph, SEED_DEAL_ID)) == len(state.proposed_actions)
    assert len(_outbox(deps)) == kinds.count("send_email")
    assert len(list((deps.workdir / "invites").glob("*.ics"))) == kinds.count(  # type: ignore[operator]
        "send_invite"
    )


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from sales_operator import Deps, build_operator
    from sales_operator.demo import lifecycle_events, SEED_DEAL_ID
    from sales_operator.runner import pending_request, send_event, thread_config
    from langgraph.types import Command

    workdir, mode = sys.argv[1], sys.argv[2]
    deps = Deps.offline(workdir, sample=True)
    {pin}
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    config = thread_config(SEED_DEAL_ID)
    if mode == "crash":
        real_send = deps.mailer.send
        def send_then_die(**kwargs):
            result = real_send(**kwargs)
            os._exit(17)  # the process dies after the email went out, before its receipt
        deps.mailer.send = send_then_die
        send_event(graph, lifecycle_events()[0])
        request = pending_request(graph, SEED_DEAL_ID)
        graph.invoke(Command(resume={"decisions": [{"type": "approve", "reviewer": "mgr-jordan"}
                                                   for _ in request["action_requests"]]}),
                     config)
        sys.exit(0)  # not reached
    graph.invoke(None, config)  # resume where the dead process stopped
    """
).replace("{pin}", ONE_REQUEST_SCRIPT.replace("\n", "; ").rstrip("; "))
"""One request per lead (speed_to_lead off), so the crash comes in the first resume."""


def test_crash_after_execution_began_then_resume_in_new_process_runs_each_once(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "crashy"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(workdir), "crash"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == 17, crashed.stderr
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1
    resumed = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(workdir), "resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    deps = Deps.offline(workdir, sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    state = deal_state(graph, SEED_DEAL_ID)
    emails = [a for a in state.proposed_actions if a.kind == "send_email"]
    assert len(list((workdir / "outbox").glob("*.eml"))) == len(emails) == 1
    assert all(a.status == "executed" for a in state.proposed_actions)
    receipts = deps.crm.list_receipts(SEED_DEAL_ID)
    assert len(receipts) == len(state.proposed_actions)
    assert len({r.idempotency_key for r in receipts}) == len(receipts)
    executed = [e for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "executed"]
    assert len(executed) == len(state.proposed_actions)
    slack = (workdir / "slack.jsonl").read_text().splitlines()
    assert len(slack) == sum(a.kind == "post_slack" for a in state.proposed_actions)


STRICT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from sales_operator import Deps, build_operator
    from sales_operator.approval import approve_all
    from sales_operator.demo import lifecycle_events, SEED_DEAL_ID
    from sales_operator.runner import pending_request, send_event, thread_config
    from langgraph.types import Command

    workdir, step = sys.argv[1], sys.argv[2]
    deps = Deps.offline(workdir, sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    config = thread_config(SEED_DEAL_ID)
    if step == "event":
        send_event(graph, lifecycle_events()[0])
    else:  # every request in turn (the lead's two under speed_to_lead)
        while (request := pending_request(graph, SEED_DEAL_ID)) is not None:
            graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
        values = graph.get_state(config).values
        print(json.dumps({
            "score": type(values["score"]).__name__,
            "assignment": type(values["assignment"]).__name__,
            "action": type(values["proposed_actions"][0]).__name__,
            "receipts_in_state": "receipts" in values,
            "statuses": sorted({a.status for a in values["proposed_actions"]}),
        }))
    """
)


def test_thread_resumed_in_new_process_under_strict_msgpack_gets_models(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "LANGGRAPH_STRICT_MSGPACK": "true",
    }
    workdir = str(tmp_path / "strict")
    first = subprocess.run(
        [sys.executable, "-c", STRICT_SCRIPT, workdir, "event"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [sys.executable, "-c", STRICT_SCRIPT, workdir, "resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert "Blocked deserialization" not in second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {
        "score": "LeadScore",
        "assignment": "Assignment",
        "action": "ProposedAction",
        "receipts_in_state": False,  # the receipts are in the CRM; the actions hold their keys
        "statuses": ["executed"],
    }


def test_transient_adapter_failure_is_retried_and_runs_once(deps: Deps) -> None:
    from sales_operator.errors import PermanentAdapterError, TransientAdapterError

    real_post = deps.messenger.post
    calls: list[str] = []

    def flaky_post(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 1:
            raise TransientAdapterError("503 from Slack", adapter="slack", operation="post")
        return real_post(**kwargs)

    deps.messenger.post = flaky_post  # type: ignore[method-assign]
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    _approve_all(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    assert len(calls) == 2 and calls[0] == calls[1]  # retried with the same key
    assert len(_slack_lines(deps)) == 1
    assert all(a.status == "executed" for a in state.proposed_actions)
    # emails before the failure were not sent twice by the retry
    assert len(_outbox(deps)) == sum(a.kind == "send_email" for a in state.proposed_actions)

    # a permanent failure is recorded as a failed receipt, and the rest still runs
    deps.messenger.post = lambda **kw: (_ for _ in ()).throw(  # type: ignore[method-assign]
        PermanentAdapterError("channel_not_found", adapter="slack", operation="post")
    )
    for event in lifecycle_events()[1:4]:
        send_event(graph, event)
        if pending_request(graph, SEED_DEAL_ID) is not None:
            _approve_all(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    failed = [a for a in state.proposed_actions if a.status == "failed"]
    assert [a.kind for a in failed] == ["post_slack"]
    receipt = next(r for r in deal_receipts(graph, SEED_DEAL_ID) if r.action_id == failed[0].id)
    assert receipt.status == "failed" and "channel_not_found" in receipt.result["error"]
    assert any(e.decision == "failed" for e in deps.crm.audit_log(SEED_DEAL_ID))
