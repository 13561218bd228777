"""The operator's runs write their SQLite checkpoints through a second, unflushed connection.

A decision run is never flushed on its own (the CRM is its record); an event run is flushed
once, when it ends, however it ends. The tests of one event and its decision run pin
`speed_to_lead` off (one request per lead); a lead's first answer under it is tested last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command

from sales_operator import Deps, EventError, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import pending_request, thread_config
from sales_operator.serde import OperatorSqliteSaver, sqlite_checkpointer
from tests.policies import one_request

CONFIG = thread_config(SEED_DEAL_ID)


def _sync(conn: Any) -> int:
    return int(conn.execute("PRAGMA synchronous").fetchone()[0])


def _event_then_resume(graph: Any, saver: Any) -> tuple[int, int, int, int]:
    """Run the first event and approve it; return rows changed per connection, per run."""
    decision = saver.decision_saver or saver
    main0, side0 = saver.conn.total_changes, decision.conn.total_changes
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    main1, side1 = saver.conn.total_changes, decision.conn.total_changes
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["action_requests"]
    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
    main2, side2 = saver.conn.total_changes, decision.conn.total_changes
    return main1 - main0, side1 - side0, main2 - main1, side2 - side1


def _count_flushes(saver: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record, at each flush, how many rows the second connection had written by then."""
    flushes: list[int] = []
    real_flush = saver.flush

    def flush() -> None:
        flushes.append(saver.decision_saver.conn.total_changes)
        real_flush()

    monkeypatch.setattr(saver, "flush", flush)
    return flushes


def test_runs_write_through_the_second_connection_and_an_event_run_is_flushed_once(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    saver = deps.checkpointer()
    assert isinstance(saver, OperatorSqliteSaver) and saver.decision_saver is not None
    assert _sync(saver.conn) == 2  # FULL
    assert _sync(saver.decision_saver.conn) == 1  # NORMAL
    assert saver.wal_path is not None and saver.wal_path.name.endswith(".sqlite-wal")
    flushes = _count_flushes(saver, monkeypatch)
    graph = build_operator(one_request(deps), checkpointer=saver)
    event_main, event_side, resume_main, resume_side = _event_then_resume(graph, saver)
    assert event_main == 0 and event_side > 0  # the checkpoint and the interrupt...
    # ... flushed once, after the event run's last write; the decision run not at all
    assert flushes == [saver.decision_saver.conn.total_changes - resume_side]
    assert resume_main == 0 and resume_side > 0
    assert saver.wal_path.exists()
    # what the runs wrote is what the main connection reads
    snapshot = graph.get_state(CONFIG)
    assert snapshot.next == ()
    executed = [a for a in snapshot.values["proposed_actions"] if a.status == "executed"]
    assert len(executed) == len(deps.crm.list_receipts(SEED_DEAL_ID)) > 0


def test_an_event_run_is_flushed_however_it_ends(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    saver = deps.checkpointer()
    flushes = _count_flushes(saver, monkeypatch)
    graph = build_operator(deps, checkpointer=saver)
    side = saver.decision_saver.conn  # type: ignore[union-attr]
    # an error inside the run (an event before the deal's lead)
    with pytest.raises(EventError):
        graph.invoke({"event": lifecycle_events()[1]}, CONFIG)
    assert flushes == [side.total_changes]
    # a stream closed after its first chunk: the run's last writes, then the flush (each
    # ending on a thread of its own: the repeat of a cut-off event finishes that run instead)
    chunks = graph.stream(
        {"event": lifecycle_events()[0]}, _thread("closed"), stream_mode="updates"
    )
    next(chunks)
    chunks.close()
    assert len(flushes) == 2 and flushes[-1] == side.total_changes
    # a stream dropped unfinished
    chunks = graph.stream(
        {"event": lifecycle_events()[0]}, _thread("dropped"), stream_mode="updates"
    )
    next(chunks)
    del chunks
    assert len(flushes) == 3 and flushes[-1] == side.total_changes
    # a whole run
    graph.invoke({"event": lifecycle_events()[0]}, _thread("whole"))
    assert len(flushes) == 4 and flushes[-1] == side.total_changes


def _thread(name: str) -> Any:
    return thread_config(f"{SEED_DEAL_ID}-{name}")


def test_a_recovery_is_a_decision_run_too(deps: Deps) -> None:
    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    side = saver.decision_saver.conn.total_changes  # type: ignore[union-attr]
    graph.invoke(None, CONFIG)  # nothing decided: the gate asks again
    assert saver.decision_saver.conn.total_changes > side  # type: ignore[union-attr]
    assert pending_request(graph, SEED_DEAL_ID) is not None


def test_full_keeps_one_connection_and_an_explicit_saver_wins(deps: Deps, tmp_path: Path) -> None:
    saver = sqlite_checkpointer(tmp_path / "full.sqlite", decision_sync="FULL")
    assert getattr(saver, "decision_saver", None) is None
    graph = build_operator(deps, checkpointer=saver)
    event_main, _, resume_main, _ = _event_then_resume(graph, saver)
    assert event_main > 0 and resume_main > 0

    fresh = Deps.offline(tmp_path / "fresh", sample=True)
    fresh.scorer = deps.scorer
    other = sqlite_checkpointer(tmp_path / "other.sqlite")
    graph = build_operator(fresh, checkpointer=other)
    lent = sqlite_checkpointer(tmp_path / "lent.sqlite", decision_sync="FULL")
    config = {"configurable": {**CONFIG["configurable"], "__pregel_checkpointer": lent}}
    graph.invoke({"event": lifecycle_events()[0]}, config)
    before = lent.conn.total_changes
    graph.invoke(Command(resume={"decisions": []}), config)  # malformed: asks again
    assert lent.conn.total_changes > before
    assert other.conn.total_changes == 0
    assert other.decision_saver.conn.total_changes == 0  # type: ignore[union-attr]


def test_a_killed_process_loses_no_decision_run_checkpoint(tmp_path: Path) -> None:
    work = tmp_path / "work"
    script = textwrap.dedent(
        f"""
        import os, signal
        from langgraph.types import Command
        from sales_operator import Deps, build_operator
        from sales_operator.approval import approve_all
        from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
        from sales_operator.runner import pending_request, thread_config
        from tests.policies import one_request

        deps = one_request(Deps.offline({str(work)!r}, sample=True))
        graph = build_operator(deps, checkpointer=deps.checkpointer())
        config = thread_config(SEED_DEAL_ID)
        graph.invoke({{"event": lifecycle_events()[0]}}, config)
        request = pending_request(graph, SEED_DEAL_ID)
        graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
        print("resumed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert "resumed" in run.stdout
    deps = one_request(Deps.offline(work, sample=True))
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    snapshot = graph.get_state(CONFIG)
    assert snapshot.next == ()  # the executor's final checkpoint survived the kill
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert all(a.status == "executed" for a in snapshot.values["proposed_actions"])


def test_a_killed_process_loses_no_event_run_checkpoint(tmp_path: Path) -> None:
    """An event's checkpoint and interrupt, written unflushed and flushed once, survive a kill."""
    work = tmp_path / "work"
    script = textwrap.dedent(
        f"""
        import os, signal
        from sales_operator import Deps, build_operator
        from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
        from sales_operator.runner import pending_request, thread_config
        from tests.policies import one_request

        deps = one_request(Deps.offline({str(work)!r}, sample=True))
        graph = build_operator(deps, checkpointer=deps.checkpointer())
        graph.invoke({{"event": lifecycle_events()[0]}}, thread_config(SEED_DEAL_ID))
        print(pending_request(graph, SEED_DEAL_ID)["request_id"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    deps = one_request(Deps.offline(work, sample=True))
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None and request["request_id"] == run.stdout.split()[-1]
    assert graph.get_state(CONFIG).next == ("approval_gate",)
    # and it is answered as usual: approve, execute, nothing pending
    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), CONFIG)
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert len(deps.crm.list_receipts(SEED_DEAL_ID)) == len(request["action_requests"])


@pytest.mark.parametrize("interrupt_format", ["langchain", "agent_inbox"])
def test_a_first_answer_is_told_from_the_pending_interrupt(
    deps: Deps, interrupt_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under speed-to-lead the first answer runs "exit", the second "sync"; the SQLite saver
    tells which from the interrupt's request id, without loading the state."""
    from sales_operator.durability import _choose
    from sales_operator.policy import SpeedToLeadPolicy

    approval = deps.policy.approval.model_copy(update={"interrupt_format": interrupt_format})
    deps.policy = deps.policy.model_copy(
        update={"speed_to_lead": SpeedToLeadPolicy(enabled=True), "approval": approval}
    )
    saver = deps.checkpointer()
    graph = build_operator(deps, checkpointer=saver)
    loads: list[Any] = []
    real_get_tuple = saver.get_tuple

    def get_tuple(config: Any) -> Any:
        loads.append(config)
        return real_get_tuple(config)

    monkeypatch.setattr(saver, "get_tuple", get_tuple)
    graph.invoke({"event": lifecycle_events()[0]}, CONFIG)
    first = pending_request(graph, SEED_DEAL_ID)
    assert first is not None and first.get("request_id", ":first").endswith(":first")
    loads.clear()
    chosen = _choose(graph, Command(resume={}), CONFIG, {}, first_requests=True)
    assert chosen["durability"] == "exit"
    # Agent Inbox interrupts carry no request id: then the checkpoint is read
    assert len(loads) == (0 if interrupt_format == "langchain" else 1)
    graph.invoke(Command(resume=approve_all(first, reviewer="mgr-jordan")), CONFIG)
    second = pending_request(graph, SEED_DEAL_ID)
    assert second is not None and second["action_requests"]
    assert _choose(graph, Command(resume={}), CONFIG, {}, first_requests=True)["durability"] == (
        "sync"
    )
