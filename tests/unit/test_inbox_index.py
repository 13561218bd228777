"""The inbox index: a request is in it iff it is pending, through crashes and stale entries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import (
    inbox,
    list_thread_ids,
    pending_request,
    resume_deal,
    send_event,
    thread_config,
)


def _open(workdir: Path, scorer: Any) -> tuple[Deps, Any]:
    deps = Deps.offline(workdir, sample=True)
    deps.scorer = scorer
    return deps, build_operator(deps, checkpointer=deps.checkpointer())


def _scanned(graph: Any, deps: Deps) -> set[str]:
    """What a full scan of every thread finds pending (the index must agree)."""
    return {
        tid
        for tid in list_thread_ids(deps.checkpointer())
        if pending_request(graph, tid, deps=deps) is not None
    }


def _inbox(graph: Any, deps: Deps) -> set[str]:
    return {item.deal_id for item in inbox(graph, deps.checkpointer(), deps=deps)}


def _indexed(deps: Deps) -> set[str]:
    return {e["deal_id"] for e in deps.crm.indexed_requests()}  # type: ignore[attr-defined]


def _approve(graph: Any, deps: Deps, deal_id: str = SEED_DEAL_ID) -> None:
    request = pending_request(graph, deal_id, deps=deps)
    assert request is not None and request["action_requests"]
    payload = {"decisions": [{"type": "approve"} for _ in request["action_requests"]]}
    resume_deal(graph, deal_id, payload, policy=deps.policy, reviewer="mgr-jordan")


def _approve_every(graph: Any, deps: Deps, deal_id: str = SEED_DEAL_ID) -> int:
    """Approve each request in turn (a lead's two under speed_to_lead); return how many.

    While a request is pending after an answer, the index holds the deal.
    """
    for answered in range(3):
        if pending_request(graph, deal_id, deps=deps) is None:
            return answered
        assert deal_id in _indexed(deps)
        _approve(graph, deps, deal_id)
    raise AssertionError("more than two requests for one event")


def _resume_every(graph: Any, deps: Deps, config: Any, request: Any) -> int:
    """Answer each request in turn with plain `graph.invoke`; return how many."""
    for answered in range(3):
        if request is None:
            return answered
        assert _indexed(deps) == {SEED_DEAL_ID}  # indexed while it waits
        graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
        request = pending_request(graph, SEED_DEAL_ID, deps=deps)
    raise AssertionError("more than two requests for one event")


def _lead_by_plain_invoke(tmp_path: Path, scorer: Any) -> tuple[Deps, Any, Any, Any]:
    """Send the seed lead with plain `graph.invoke`; return the deps, graph, config, request."""
    deps, graph = _open(tmp_path / "work", scorer)
    config = thread_config(SEED_DEAL_ID)
    graph.invoke({"event": lifecycle_events()[0]}, config)
    return deps, graph, config, pending_request(graph, SEED_DEAL_ID, deps=deps)


CRASH_AFTER_INTERRUPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from sales_operator import Deps, build_operator
    from sales_operator.demo import lifecycle_events
    from sales_operator.runner import send_event

    deps = Deps.offline(Path(sys.argv[1]), sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    os._exit(9)  # the process dies while the request waits: no clean-up runs
    """
)


def test_a_request_pending_across_a_crash_is_in_the_index_until_answered(
    tmp_path: Path, scorer: Any
) -> None:
    workdir = tmp_path / "work"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    died = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_INTERRUPT, str(workdir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert died.returncode == 9, died.stderr
    deps, graph = _open(workdir, scorer)
    assert _indexed(deps) == {SEED_DEAL_ID}
    assert _inbox(graph, deps) == _scanned(graph, deps) == {SEED_DEAL_ID}
    [item] = list(inbox(graph, deps.checkpointer(), deps=deps))
    assert item.request == pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert _approve_every(graph, deps) == 2  # the lead's first request, then its second
    assert _indexed(deps) == set()  # the runner cleared it once the decision was executed
    assert _inbox(graph, deps) == _scanned(graph, deps) == set()


def test_a_crash_between_indexing_and_the_interrupt_shows_the_cut_off_run_as_a_recovery(
    tmp_path: Path, scorer: Any
) -> None:
    deps, graph = _open(tmp_path / "work", scorer)
    real_index = deps.crm.index_request  # type: ignore[attr-defined]

    def index_then_die(*args: Any, **kwargs: Any) -> Any:
        real_index(*args, **kwargs)
        raise SystemExit("killed after indexing, before the interrupt")

    deps.crm.index_request = index_then_die  # type: ignore[attr-defined]
    with pytest.raises(SystemExit):
        send_event(graph, lifecycle_events()[0])
    deps.crm.index_request = real_index  # type: ignore[attr-defined]
    assert _indexed(deps) == {SEED_DEAL_ID}
    # no interrupt was checkpointed, but the event's run stopped short of its request: the
    # deal shows as a recovery (`runner.cut_off_event`), so its entry stays
    stuck = pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert stuck is not None and stuck["recovery"] and stuck.get("cut_off")
    assert _scanned(graph, deps) == _inbox(graph, deps) == {SEED_DEAL_ID}
    assert _indexed(deps) == {SEED_DEAL_ID}
    # continuing the thread reaches the gate again: the request is indexed and pending
    graph.invoke(None, thread_config(SEED_DEAL_ID))
    assert _inbox(graph, deps) == _scanned(graph, deps) == {SEED_DEAL_ID}


def test_plain_graph_invoke_clears_the_entry_when_the_request_is_decided(
    tmp_path: Path, scorer: Any
) -> None:
    """Studio, the LangGraph server and plain `graph.invoke` leave no stale entry behind."""
    deps, graph, config, request = _lead_by_plain_invoke(tmp_path, scorer)
    assert request is not None and _indexed(deps) == {SEED_DEAL_ID}
    # the lead's first request, then its second (speed_to_lead); indexed while each waits
    assert _resume_every(graph, deps, config, request) == 2
    assert pending_request(graph, SEED_DEAL_ID, deps=deps) is None
    assert _indexed(deps) == set()  # no inbox() sweep has run: the graph cleared it
    # the next event's request is indexed again, and rejecting all of it clears it too
    graph.invoke({"event": lifecycle_events()[1]}, config)
    request = pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert request is not None and _indexed(deps) == {SEED_DEAL_ID}
    rejections = [
        {"type": "reject", "reviewer": "mgr-jordan", "message": "not now"}
        for _ in request["action_requests"]
    ]
    graph.invoke(Command(resume={"decisions": rejections}), config)
    assert _indexed(deps) == set()
    # clearing is idempotent and never touches another request's entry
    token = deps.crm.index_request(SEED_DEAL_ID, "evt-other")  # type: ignore[attr-defined]
    assert deps.crm.clear_request(SEED_DEAL_ID, request["request_id"]) is False  # type: ignore[attr-defined]
    assert [e["token"] for e in deps.crm.indexed_requests()] == [token]  # type: ignore[attr-defined]


def test_a_retryable_action_keeps_the_entry_so_the_recovery_stays_in_the_inbox(
    tmp_path: Path, scorer: Any
) -> None:
    from sales_operator.errors import TransientAdapterError

    deps, graph, config, request = _lead_by_plain_invoke(tmp_path, scorer)
    assert request is not None

    def down(*args: Any, **kwargs: Any) -> Any:
        raise TransientAdapterError("slack is down", adapter="slack", operation="post")

    deps.messenger.post = down  # type: ignore[method-assign]
    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
    recovery = pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert recovery is not None and recovery.get("recovery")
    assert _indexed(deps) == {SEED_DEAL_ID}
    assert _inbox(graph, deps) == {SEED_DEAL_ID}


def test_a_stale_entry_is_removed_but_a_request_indexed_meanwhile_is_kept(
    tmp_path: Path, scorer: Any
) -> None:
    deps, graph, config, request = _lead_by_plain_invoke(tmp_path, scorer)
    crm: Any = deps.crm
    assert request is not None
    assert _resume_every(graph, deps, config, request) == 2
    assert pending_request(graph, SEED_DEAL_ID, deps=deps) is None
    # a store written by an older version: the entry outlived its request
    crm.index_request(SEED_DEAL_ID, request["request_id"])
    [stale] = crm.indexed_requests()
    # meanwhile the gate indexes a newer request on the same deal: the old token is void
    newer = crm.index_request(SEED_DEAL_ID, "evt-newer")
    assert crm.unindex_request(SEED_DEAL_ID, stale["token"]) is False
    assert [e["token"] for e in crm.indexed_requests()] == [newer]
    # nothing waits on the thread, so the inbox drops the entry and lists nothing
    assert _inbox(graph, deps) == set() and _indexed(deps) == set()


def test_the_index_agrees_with_a_full_scan_across_many_deals_and_can_be_rebuilt(
    tmp_path: Path, scorer: Any
) -> None:
    deps, graph = _open(tmp_path / "work", scorer)
    crm: Any = deps.crm
    deals = []
    for i in range(4):
        event = lifecycle_events()[0]
        deal_id = f"D-IX{i}"
        event["payload"]["deal"]["id"] = deal_id
        event["payload"]["lead"]["id"] = f"L-IX{i}"
        send_event(graph, event)
        deals.append(deal_id)
    assert _approve_every(graph, deps, deals[1]) == _approve_every(graph, deps, deals[3]) == 2
    _approve(graph, deps, deals[2])  # deal 2's first request: its second one waits now
    assert _inbox(graph, deps) == _scanned(graph, deps) == {deals[0], deals[2]}
    # a store written before the index existed: nothing indexed, a scan repairs it
    for entry in crm.indexed_requests():
        crm.unindex_request(entry["deal_id"], entry["token"])
    assert _inbox(graph, deps) == set()
    rebuilt = {i.deal_id for i in inbox(graph, deps.checkpointer(), deps=deps, scan=True)}
    assert rebuilt == {deals[0], deals[2]} == _indexed(deps)
    assert _inbox(graph, deps) == {deals[0], deals[2]}


def test_a_deal_s_lifecycle_never_reads_the_whole_audit_log(tmp_path: Path, scorer: Any) -> None:
    """The per-deal path reads the audit by deal or through an index, never all of it."""
    deps, graph = _open(tmp_path / "work", scorer)
    crm: Any = deps.crm
    whole_reads: list[str] = []
    real_audit_log = crm.audit_log

    def audit_log(deal_id: str | None = None) -> Any:
        if deal_id is None:
            whole_reads.append("audit_log()")
        return real_audit_log(deal_id)

    crm.audit_log = audit_log
    config = thread_config(SEED_DEAL_ID)
    for event in lifecycle_events():
        graph.invoke({"event": event}, config)
        _resume_every(graph, deps, config, pending_request(graph, SEED_DEAL_ID, deps=deps))
    receipts = crm.list_receipts(SEED_DEAL_ID)
    assert receipts and crm.recent_assignees(5)  # the lifecycle ran and assigned an owner
    assert whole_reads == []
