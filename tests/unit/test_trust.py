"""The trust layer under races, crashes, edits and hostile input (issue 11, items 1-5 and 11).

One test per finding of the attack pass: decisions are records, the `update_state` bypass,
racing reviewers and events (real processes), SIGKILL inside `execute_actions` and recovery,
transient failures, failed and repeated events, reviewer authority.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from sales_operator import ApprovalError, Deps, EventError, build_operator
from sales_operator.cli import main
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.errors import (
    DealBusyError,
    RecoveryNeededError,
    TranscriptError,
    TransientAdapterError,
)
from sales_operator.leases import deal_lease
from sales_operator.runner import (
    deal_state,
    inbox,
    pending_request,
    recover_deal,
    resume_deal,
    send_event,
    thread_config,
)
from tests.policies import answer_every, one_request

CONFIG = thread_config(SEED_DEAL_ID)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def graph(deps: Deps) -> Any:
    return build_operator(deps, checkpointer=InMemorySaver())


@pytest.fixture
def one_request_graph(deps: Deps) -> Any:
    """The operator with `speed_to_lead` pinned off: the lead's one request holds everything.

    For the tests about decisions, the executor and recovery on one request with an email and
    a Slack post in it (under the default the notice and the email are in different requests).
    """
    return build_operator(one_request(deps), checkpointer=InMemorySaver())


def _approve(graph: Any, deps: Deps, reviewer: str = "mgr-jordan") -> dict[str, Any]:
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["action_requests"]
    payload = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
    return resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer=reviewer)


def _outbox(deps: Deps) -> list[Path]:
    assert deps.workdir is not None
    return sorted((deps.workdir / "outbox").glob("*.eml"))


def _slack(deps: Deps) -> list[dict[str, Any]]:
    assert deps.workdir is not None
    path = deps.workdir / "slack.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _slack_down(**kwargs: Any) -> Any:
    raise TransientAdapterError("503", adapter="slack", operation="post")


# --- 1. decisions are records ------------------------------------------------------------


def test_decisions_are_recorded_with_request_id_and_version_before_execution(
    one_request_graph: Any, deps: Deps
) -> None:
    graph = one_request_graph
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["request_id"] and request["version"]
    seen: list[list[str]] = []
    real_send = deps.mailer.send

    def send(**kwargs: Any) -> Any:
        # when the first side effect happens, every decision is already in the audit
        seen.append([e.decision for e in deps.crm.audit_log(SEED_DEAL_ID)])
        return real_send(**kwargs)

    deps.mailer.send = send  # type: ignore[method-assign]
    _approve(graph, deps)
    n = len(request["action_requests"])
    assert seen and seen[0].count("approve") == n
    approvals = [e for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "approve"]
    assert {e.request_id for e in approvals} == {request["request_id"]}
    assert {e.request_version for e in approvals} == {request["version"]}
    assert {e.idempotency_key for e in approvals} == {a["id"] for a in request["action_requests"]}


def test_update_state_bypass_runs_nothing_and_raises(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    state = deal_state(graph, SEED_DEAL_ID)
    forged = [a.model_copy(update={"status": "approved"}) for a in state.proposed_actions]
    graph.update_state(CONFIG, {"proposed_actions": forged}, as_node="approval_gate")
    with pytest.raises(ApprovalError, match="no approve or edit decision"):
        graph.invoke(None, CONFIG)
    assert _outbox(deps) == [] and _slack(deps) == []
    assert deps.crm.list_receipts(SEED_DEAL_ID) == []
    assert deps.crm.get_deal(SEED_DEAL_ID) is None
    assert deps.crm.audit_log(SEED_DEAL_ID) == []


def test_executor_runs_the_arguments_on_record_not_the_state_s(
    one_request_graph: Any, deps: Deps
) -> None:
    """A transient failure leaves an action for recovery; editing its state changes nothing."""
    graph = one_request_graph
    send_event(graph, lifecycle_events()[0])
    real_post = deps.messenger.post
    deps.messenger.post = _slack_down  # type: ignore[method-assign]
    _approve(graph, deps)
    state = deal_state(graph, SEED_DEAL_ID)
    [slack] = [a for a in state.proposed_actions if a.kind == "post_slack"]
    assert slack.status == "retryable"
    # the other actions still ran
    assert all(a.status == "executed" for a in state.proposed_actions if a.kind != "post_slack")
    tampered = [
        a.model_copy(update={"args": {**a.args, "text": "<!channel> wire money now"}})
        if a.id == slack.id
        else a
        for a in state.proposed_actions
    ]
    graph.update_state(CONFIG, {"proposed_actions": tampered}, as_node="execute_actions")
    deps.messenger.post = real_post  # type: ignore[method-assign]
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["recovery"]
    assert [a["id"] for a in request["unfinished"]] == [slack.id]
    recover_deal(graph, SEED_DEAL_ID)
    [line] = _slack(deps)
    assert line["text"] == slack.args["text"] and "wire money" not in line["text"]
    assert deps.crm.get_receipt(slack.idempotency_key).status == "done"  # type: ignore[union-attr]
    recover_again = pending_request(graph, SEED_DEAL_ID)
    assert recover_again is None


# --- 2. one writer per deal ----------------------------------------------------------------


def test_a_held_lease_queues_then_refuses_with_a_retryable_error(graph: Any, deps: Deps) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with deal_lease(deps.crm, SEED_DEAL_ID):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        with pytest.raises(DealBusyError) as caught:
            send_event(graph, lifecycle_events()[0], wait_s=0.2)
        assert caught.value.retryable and caught.value.deal_id == SEED_DEAL_ID
        assert graph.get_state(CONFIG).values == {}  # refused: nothing recorded
        # queued: a sender that waits gets through once the lease is given back
        threading.Timer(0.3, release.set).start()
        values = send_event(graph, lifecycle_events()[0], wait_s=10)
        assert values["deal_id"] == SEED_DEAL_ID
    finally:
        release.set()
        holder.join()


def test_the_lease_of_a_dead_process_is_taken_over(deps: Deps) -> None:
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = f"{socket.gethostname()}:{dead.pid}:1:x"
    assert deps.crm.acquire_lease(SEED_DEAL_ID, holder, ttl_s=600) is None  # type: ignore[attr-defined]
    alive = f"{socket.gethostname()}:{os.getpid()}:1:y"
    assert deps.crm.acquire_lease(SEED_DEAL_ID, alive, ttl_s=600) is None  # type: ignore[attr-defined]
    other = f"{socket.gethostname()}:{os.getpid()}:2:z"
    assert deps.crm.acquire_lease(SEED_DEAL_ID, other, ttl_s=600) == alive  # type: ignore[attr-defined]


def test_racing_events_in_threads_are_both_recorded(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    _approve(graph, deps)
    events = [
        {
            "type": "activity_logged",
            "at": f"2026-11-0{3 + i}T10:00:00Z",
            "payload": {"deal_id": SEED_DEAL_ID, "kind": "email", "summary": f"reply {i}"},
        }
        for i in range(2)
    ]
    errors: list[BaseException] = []

    def send(event: dict[str, Any]) -> None:
        try:
            send_event(graph, event)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=send, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    summaries = [a.summary for a in deal_state(graph, SEED_DEAL_ID).activities]
    assert "reply 0" in summaries and "reply 1" in summaries


def test_answer_to_a_decided_request_says_who_and_when_and_changes_nothing(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    _approve(graph, deps)
    before = (len(deps.crm.audit_log(SEED_DEAL_ID)), len(deps.crm.list_receipts()))
    reject = {
        "decisions": [{"type": "reject", "message": "no"} for _ in request["action_requests"]],
        "request_id": request["request_id"],
    }
    with pytest.raises(ApprovalError, match=r"already decided by mgr-jordan at 20"):
        resume_deal(graph, SEED_DEAL_ID, reject, policy=deps.policy, reviewer="mgr-jordan")
    # the same through the graph directly: the gate refuses to record a second answer
    assert (len(deps.crm.audit_log(SEED_DEAL_ID)), len(deps.crm.list_receipts())) == before
    assert {e.decision for e in deps.crm.audit_log(SEED_DEAL_ID)} == {"approve", "executed"}


def test_racing_answers_through_the_graph_record_one(graph: Any, deps: Deps) -> None:
    """Two resumes read the same checkpoint: the ledger lets exactly one answer through."""
    from sales_operator.approval import decide, validate_decisions

    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    state = deal_state(graph, SEED_DEAL_ID)
    answers = {
        kind: validate_decisions(
            request,
            {"decisions": [{"type": kind, "message": "x"} for _ in request["action_requests"]]},
            policy=deps.policy,
            reviewer="mgr-jordan",
        )
        for kind in ("approve", "reject")
    }
    decide(state, request, answers["approve"], deps.crm)
    with pytest.raises(ApprovalError, match="already decided"):
        decide(state, request, answers["reject"], deps.crm)
    decide(state, request, answers["approve"], deps.crm)  # the same answer again is fine
    decided = [e for e in deps.crm.audit_log(SEED_DEAL_ID) if e.request_id]
    assert {e.decision for e in decided} == {"approve"}
    assert len(decided) == len(request["action_requests"])


# --- 3. recovery after SIGKILL ---------------------------------------------------------------

KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from sales_operator import Deps, build_operator
    from sales_operator.demo import lifecycle_events, SEED_DEAL_ID
    from sales_operator.runner import pending_request, resume_deal, send_event

    deps = Deps.offline(sys.argv[1], sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    real_send = deps.mailer.send
    def send_then_die(**kwargs):
        real_send(**kwargs)
        os.kill(os.getpid(), signal.SIGKILL)  # inside execute_actions, before the receipt
    deps.mailer.send = send_then_die
    send_event(graph, lifecycle_events()[0])
    while (request := pending_request(graph, SEED_DEAL_ID)) is not None:  # the lead's two
        payload = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
        resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer="mgr-jordan")
    """
)


def test_sigkill_inside_execute_actions_is_detected_and_recovered_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(workdir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1
    deps = Deps.offline(workdir, sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["recovery"]
    state = deal_state(graph, SEED_DEAL_ID)
    n = len(state.proposed_actions)
    done = len(deps.crm.list_receipts(SEED_DEAL_ID))
    assert len(request["unfinished"]) == n - done > 0
    assert f"{n - done} approved action(s) not yet run" in request["message"]
    assert [i.deal_id for i in inbox(graph, deps.checkpointer(), deps=deps)] == [SEED_DEAL_ID]
    # a later event is refused instead of running (or stranding) the earlier request's actions
    with pytest.raises(RecoveryNeededError):
        send_event(graph, lifecycle_events()[1])
    w = ["--workdir", str(workdir), "--offline", "--reviewer", "mgr-jordan"]
    assert main(["inbox", *w]) == 0
    assert "not yet run" in capsys.readouterr().out
    assert main(["approve", SEED_DEAL_ID, *w]) == 2
    assert "sales-operator resume" in capsys.readouterr().out
    assert main(["resume", SEED_DEAL_ID, *w]) == 0
    out = capsys.readouterr().out
    assert "executed" in out
    state = deal_state(graph, SEED_DEAL_ID)
    assert all(a.status == "executed" for a in state.proposed_actions)
    receipts = deps.crm.list_receipts(SEED_DEAL_ID)
    assert len(receipts) == len({r.idempotency_key for r in receipts}) == n
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert main(["resume", SEED_DEAL_ID, *w]) == 2  # nothing left to resume


def test_a_later_event_through_the_graph_never_runs_an_earlier_request(
    one_request_graph: Any, deps: Deps
) -> None:
    graph = one_request_graph
    send_event(graph, lifecycle_events()[0])
    real_post = deps.messenger.post
    deps.messenger.post = _slack_down  # type: ignore[method-assign]
    _approve(graph, deps)
    deps.messenger.post = real_post  # type: ignore[method-assign]
    stale = pending_request(graph, SEED_DEAL_ID)
    assert stale is not None and stale["recovery"]
    # plain LangGraph, bypassing the runner: refused like send_event, before anything is
    # recorded, so the recovery stays visible (it used to be hidden by the new event)
    with pytest.raises(RecoveryNeededError, match="not recorded"):
        graph.invoke({"event": lifecycle_events()[1]}, CONFIG)
    assert pending_request(graph, SEED_DEAL_ID) == stale
    assert _slack(deps) == []  # the earlier request's Slack post never ran silently


# --- 4. events -------------------------------------------------------------------------------


def test_an_unreadable_transcript_or_a_text_signal_is_refused_before_recording(
    graph: Any, deps: Deps, tmp_path: Path
) -> None:
    lead = copy.deepcopy(lifecycle_events()[0])
    lead["payload"]["lead"]["signals"]["pages_visited"] = "lots"
    with pytest.raises(EventError, match="pages_visited'? must be a number"):
        send_event(graph, lead)
    assert graph.get_state(CONFIG).values == {}
    send_event(graph, lifecycle_events()[0])
    _approve(graph, deps)
    events_before = len(deal_state(graph, SEED_DEAL_ID).events)
    meeting = copy.deepcopy(lifecycle_events()[1])
    meeting["payload"].pop("transcript", None)
    meeting["payload"]["transcript_path"] = str(tmp_path / "missing.vtt")
    with pytest.raises(TranscriptError):
        send_event(graph, meeting)
    garbled = copy.deepcopy(lifecycle_events()[1])
    garbled["payload"]["transcript"] = "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nbackwards\n"
    with pytest.raises(TranscriptError):
        send_event(graph, garbled)
    assert len(deal_state(graph, SEED_DEAL_ID).events) == events_before
    assert not [e for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "event_failed"]


def test_a_failure_inside_a_pattern_marks_the_event_failed_and_it_can_be_resent(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    _approve(graph, deps)
    before = deal_state(graph, SEED_DEAL_ID)
    event = {
        "type": "activity_logged",
        "at": "2026-11-04T09:00:00Z",
        "payload": {"deal_id": SEED_DEAL_ID, "kind": "reply", "summary": "Dana replied"},
    }
    import sales_operator.patterns.scoring as scoring_pattern

    real_assess = scoring_pattern.assess_risk

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("risk rules damaged")

    scoring_pattern.assess_risk = broken  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError, match="risk rules damaged"):
            send_event(graph, event)
    finally:
        scoring_pattern.assess_risk = real_assess
    after = deal_state(graph, SEED_DEAL_ID)
    assert len(after.events) == len(before.events)  # put back as it was
    assert graph.get_state(CONFIG).next == ()
    [failed] = [e for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "event_failed"]
    assert "risk rules damaged" in (failed.message or "") and failed.kind == "activity_logged"
    send_event(graph, event)  # the same (or corrected) event again: handled this time
    state = deal_state(graph, SEED_DEAL_ID)
    assert len(state.events) == len(before.events) + 1
    assert "Dana replied" in [a.summary for a in state.activities]


def test_an_identical_lead_created_retry_returns_the_state_and_does_nothing(
    graph: Any, deps: Deps
) -> None:
    send_event(graph, lifecycle_events()[0])
    pending = pending_request(graph, SEED_DEAL_ID)
    values = send_event(graph, lifecycle_events()[0])  # a webhook retry while pending
    assert values["deal_id"] == SEED_DEAL_ID
    assert pending_request(graph, SEED_DEAL_ID) == pending
    _approve(graph, deps)  # the lead's first request (speed_to_lead); the second follows
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and second["request_id"] != pending["request_id"]  # type: ignore[index]
    send_event(graph, lifecycle_events()[0])  # a retry while the second request waits
    assert pending_request(graph, SEED_DEAL_ID) == second
    assert answer_every(graph, deps) == 1  # the second; the first was answered above
    receipts = len(deps.crm.list_receipts())
    checkpoints = len(list(graph.get_state_history(CONFIG)))
    send_event(graph, lifecycle_events()[0])  # and after it was handled
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)  # plain LangGraph: no error either
    assert len(deps.crm.list_receipts()) == receipts
    assert len(deal_state(graph, SEED_DEAL_ID).events) == 1
    assert len(list(graph.get_state_history(CONFIG))) > checkpoints  # the invoke ran ...
    assert pending_request(graph, SEED_DEAL_ID) is None  # ... and changed nothing


# --- 5. reviewer authority ---------------------------------------------------------------------


def test_unknown_reviewer_and_wrong_role_are_refused(graph: Any, deps: Deps) -> None:
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    payload = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
    with pytest.raises(ApprovalError, match="unknown reviewer 'mallory'"):
        resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer="mallory")
    # a rep may not take the manager's decisions (assign_owner is manager-only in the policy)
    with pytest.raises(ApprovalError, match="the policy asks for a manager"):
        resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer="rep-sam")
    # through the graph directly: the gate asks again, with the error, and nothing runs
    graph.invoke(Command(resume={**payload}), CONFIG, context={"reviewer": "Sam Rivera"})
    again = pending_request(graph, SEED_DEAL_ID)
    assert again is not None and "manager" in again["error"]
    assert deps.crm.audit_log(SEED_DEAL_ID) == [] and _outbox(deps) == []
    # each decision may name its own reviewer: the manager's kinds by the manager
    roles = {c["action_name"]: c["reviewer"] for c in request["review_configs"]}
    split = {
        "decisions": [
            {
                "type": "approve",
                "reviewer": "Jordan Lee"
                if roles[a["name"]] == "manager"
                else "sam.rivera@orbitalfreight.com",
            }
            for a in request["action_requests"]
        ]
    }
    resume_deal(graph, SEED_DEAL_ID, split, policy=deps.policy, reviewer="nobody")
    actors = {e.actor for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "approve"}
    assert actors == {"mgr-jordan", "rep-sam"}


def test_an_embedder_callback_decides_who_may_approve(tmp_path: Path, scorer: Any) -> None:
    calls: list[tuple[str, str, str]] = []

    def authorize(reviewer: str, role: str, kind: str) -> str:
        calls.append((reviewer, role, kind))
        if reviewer != "okta|42":
            raise ApprovalError(f"{reviewer} is not signed in")
        return "alice@example.com"

    deps = Deps.offline(tmp_path / "w", sample=True)
    deps.scorer = scorer
    deps.authorize = authorize
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    with pytest.raises(ApprovalError, match="not signed in"):
        _approve(graph, deps, reviewer="mgr-jordan")
    _approve(graph, deps, reviewer="okta|42")
    assert {e.actor for e in deps.crm.audit_log(SEED_DEAL_ID) if e.decision == "approve"} == {
        "alice@example.com"
    }
    assert ("okta|42", "manager", "assign_owner") in calls


def test_cli_requires_a_known_reviewer_and_an_existing_action_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "cli"
    w = ["--workdir", str(workdir), "--offline", "--sample"]
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(lifecycle_events()[0]))
    assert main(["event", str(lead), *w]) == 0
    capsys.readouterr()
    assert main(["approve", SEED_DEAL_ID, *w]) == 2
    assert "--reviewer" in capsys.readouterr().err
    assert main(["approve", SEED_DEAL_ID, *w, "--reviewer", "cli user"]) == 1
    assert "unknown reviewer 'cli user'" in capsys.readouterr().err
    # a mistyped id with --rest approve is an error, never a wildcard
    code = main(
        ["edit", SEED_DEAL_ID, "send_email-typo", "--args", "{}", "--rest", "approve", *w,
         "--reviewer", "mgr-jordan"]
    )  # fmt: skip
    assert code == 2 and "unknown action id" in capsys.readouterr().err
    assert not list((workdir / "outbox").glob("*.eml"))
    deps = Deps.offline(workdir, sample=True)
    assert deps.crm.audit_log(SEED_DEAL_ID) == []
    assert main(["approve", SEED_DEAL_ID, *w, "--reviewer", "Jordan Lee"]) == 0


# --- 11. proof: real processes, randomised ------------------------------------------------------


@pytest.mark.parametrize("mode", ["--speed-to-lead", "--no-speed-to-lead"])
def test_chaos_trials_in_real_processes_find_no_duplicate_loss_or_unauthorised_action(
    tmp_path: Path, mode: str
) -> None:
    """Every chaos scenario once (SIGKILL, racing reviewers and events, bypass, transient).

    In both modes of the policy's `speed_to_lead`: the trials start at the lead's first request
    (owner and rep notice; on, the default) or at its single request (off).
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.chaos", "--trials", "2", "--each", "--seed", "3",
         mode, "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((tmp_path / "chaos.json").read_text())
    assert summary["speed_to_lead"] is (mode == "--speed-to-lead")
    assert summary["trials"] == 8
    assert (summary["duplicates"], summary["losses"], summary["unauthorised"]) == (0, 0, 0)
    by = {r["scenario"]: r["codes"] for r in summary["results"]}
    assert sorted(by["racing_reviewers"]["reviewers"].values()) == [0, 3]  # one wins, one told
    assert by["racing_events"]["events"] == [0, 0]
    assert by["kill_in_executor"]["approve"] == -signal.SIGKILL


# --- both CRMs: the ledger, the lease and the capacity reservation -----------------------------


def _memory_crm() -> Any:
    from sales_operator.adapters.base import Rep
    from sales_operator.adapters.fakes import InMemoryCRM

    rep = Rep(id="rep-x", name="Xia", email="xia@orbitalfreight.com", capacity=3)
    return InMemoryCRM(reps=[rep])


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_capacity_is_reserved_in_the_write_so_racing_assignments_cannot_overfill(
    kind: str, tmp_path: Path
) -> None:
    from sales_operator.adapters.fakes import InMemoryCRM
    from sales_operator.errors import PermanentAdapterError
    from sales_operator.state import Deal

    if kind == "memory":
        a = b = _memory_crm()
    else:
        from sales_operator.adapters.sqlite_crm import SQLiteCRM

        a = SQLiteCRM.open_seeded(tmp_path / "crm.sqlite")
        b = SQLiteCRM(tmp_path / "crm.sqlite")
    reps = {r.id: r for r in a.list_reps()}
    rep_id = "rep-x" if isinstance(a, InMemoryCRM) else "rep-grace"
    capacity = reps[rep_id].capacity
    load = a.open_deal_counts().get(rep_id, 0)
    for i in range(capacity - load - 1):  # fill the rep up to one free slot
        deal = Deal(id=f"F-{i}", name="filler", owner_id=None)
        a.upsert_records(deal=deal, account=None, contacts=[], lead=None, idempotency_key=f"f{i}")
        a.assign_owner(deal.id, rep_id, idempotency_key=f"fa{i}")
    for deal_id in ("R-1", "R-2"):
        deal = Deal(id=deal_id, name="racer")
        a.upsert_records(deal=deal, account=None, contacts=[], lead=None, idempotency_key=deal_id)
    outcomes: list[str] = []

    def assign(crm: Any, deal_id: str) -> None:
        try:
            crm.assign_owner(deal_id, rep_id, idempotency_key=f"race-{deal_id}")
            outcomes.append("ok")
        except PermanentAdapterError as err:
            outcomes.append(str(err))

    threads = [
        threading.Thread(target=assign, args=(a, "R-1")),
        threading.Thread(target=assign, args=(b, "R-2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert any("at capacity" in o for o in outcomes)
    assert a.open_deal_counts()[rep_id] == capacity


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_ledger_keeps_the_first_answer_and_the_lease_one_holder(
    kind: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from sales_operator.adapters.fakes import InMemoryCRM
    from sales_operator.adapters.sqlite_crm import SQLiteCRM
    from sales_operator.state import AuditEntry

    crm: Any = InMemoryCRM() if kind == "memory" else SQLiteCRM(tmp_path / "crm.sqlite")

    def entry(decision: str, actor: str, request_id: str = "R1") -> AuditEntry:
        return AuditEntry(
            at=datetime(2026, 11, 2, tzinfo=UTC),
            actor=actor,
            action_id="a1",
            kind="send_email",
            decision=decision,
            request_id=request_id,
        )

    first = crm.record_decisions("D-1", "R1", [entry("approve", "mgr-jordan")])
    second = crm.record_decisions("D-1", "R1", [entry("reject", "rep-sam")])
    assert [e.decision for e in first] == [e.decision for e in second] == ["approve"]
    assert crm.record_decisions("D-1", "R2", [entry("reject", "rep-sam", "R2")])[0].actor == (
        "rep-sam"
    )
    assert [e.decision for e in crm.audit_log("D-1")] == ["approve", "reject"]
    assert crm.acquire_lease("D-1", "h:1:a", ttl_s=60) is None
    assert crm.acquire_lease("D-1", "h:1:b", ttl_s=60) == "h:1:a"
    crm.release_lease("D-1", "h:1:b")  # not the holder: nothing happens
    assert crm.acquire_lease("D-1", "h:1:b", ttl_s=60) == "h:1:a"
    crm.release_lease("D-1", "h:1:a")
    assert crm.acquire_lease("D-1", "h:1:b", ttl_s=60) is None
    assert crm.acquire_lease("D-2", "h:1:c", ttl_s=0) is None
    assert crm.acquire_lease("D-2", "h:1:d", ttl_s=60) is None  # an expired lease is taken over


def test_chaos_and_load_follow_the_bundled_policy_unless_told() -> None:
    import argparse

    from benchmarks.load import speed_to_lead

    from sales_operator.policy import default_policy

    assert default_policy().speed_to_lead.enabled is True
    assert speed_to_lead(argparse.Namespace()) is True  # no flag: the bundled policy's
    assert speed_to_lead(argparse.Namespace(speed_to_lead=None)) is True
    assert speed_to_lead(argparse.Namespace(speed_to_lead=False)) is False


def test_the_chaos_checker_counts_what_it_claims_to(tmp_path: Path, scorer: Any) -> None:
    """A duplicated and a forged Slack post, and an unrun approval, are each counted."""
    from benchmarks.chaos import _check

    deps = Deps.offline(tmp_path / "w", sample=True)
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    _approve(graph, deps)
    clean = _check(tmp_path / "w", deps, graph)
    assert (clean["duplicates"], clean["losses"], clean["unauthorised"]) == (0, 0, 0)
    [line] = _slack(deps)
    with open(tmp_path / "w" / "slack.jsonl", "a") as fh:
        fh.write(json.dumps(line) + "\n")  # performed twice
        fh.write(json.dumps({**line, "key": "post_slack-forged"}) + "\n")  # never decided
    dirty = _check(tmp_path / "w", deps, graph)
    assert (dirty["duplicates"], dirty["unauthorised"]) == (1, 1)


def test_decisions_recorded_but_not_applied_are_recovered_as_recorded(
    one_request_graph: Any, deps: Deps
) -> None:
    """The run dies between recording the answer and checkpointing the gate."""
    graph = one_request_graph
    send_event(graph, lifecycle_events()[0])
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    real_record = deps.crm.record_decisions  # type: ignore[attr-defined]

    def record_then_die(*args: Any, **kwargs: Any) -> Any:
        real_record(*args, **kwargs)
        raise SystemExit("killed after recording")

    deps.crm.record_decisions = record_then_die  # type: ignore[attr-defined]
    decisions = [
        {"type": "reject", "message": "not this one"}
        if a["name"] == "post_slack"
        else {"type": "approve"}
        for a in request["action_requests"]
    ]
    with pytest.raises(SystemExit):
        resume_deal(
            graph, SEED_DEAL_ID, {"decisions": decisions}, policy=deps.policy, reviewer="mgr-jordan"
        )
    deps.crm.record_decisions = real_record  # type: ignore[attr-defined]
    stuck = pending_request(graph, SEED_DEAL_ID)
    assert stuck is not None and stuck["recovery"]
    assert deps.crm.list_receipts() == [] and _outbox(deps) == []
    # someone else answering now is told who decided; recovery applies the recorded answer
    approve = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
    with pytest.raises(ApprovalError, match="already decided by mgr-jordan"):
        resume_deal(graph, SEED_DEAL_ID, approve, policy=deps.policy, reviewer="rep-sam")
    recover_deal(graph, SEED_DEAL_ID)
    state = deal_state(graph, SEED_DEAL_ID)
    statuses = {a.kind: a.status for a in state.proposed_actions}
    assert statuses["post_slack"] == "rejected" and _slack(deps) == []
    assert statuses["send_email"] == "executed" and len(_outbox(deps)) == 1
    assert pending_request(graph, SEED_DEAL_ID) is None


def test_an_event_that_does_not_fit_the_thread_is_refused_before_recording(
    graph: Any, deps: Deps
) -> None:
    early = {
        "type": "activity_logged",
        "at": "2026-11-03T10:00:00Z",
        "payload": {"deal_id": "D-404", "kind": "email"},
    }
    with pytest.raises(EventError, match="send lead_created first"):
        send_event(graph, early)
    assert graph.get_state(thread_config("D-404")).values == {}
    send_event(graph, lifecycle_events()[0])
    steps = len(list(graph.get_state_history(CONFIG)))
    other = copy.deepcopy(lifecycle_events()[0])
    other["at"] = "2026-11-02T15:00:00Z"
    with pytest.raises(EventError, match="already holds deal"):
        send_event(graph, other)
    assert len(list(graph.get_state_history(CONFIG))) == steps  # nothing was recorded
    assert pending_request(graph, SEED_DEAL_ID) is not None  # the request is still there
