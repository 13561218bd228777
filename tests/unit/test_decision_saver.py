"""Decision runs write their SQLite checkpoints through a second, unflushed connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from langgraph.types import Command

from sales_operator import Deps, build_operator
from sales_operator.approval import approve_all
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.runner import pending_request, thread_config
from sales_operator.serde import OperatorSqliteSaver, sqlite_checkpointer

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


def test_event_runs_sync_every_commit_and_decision_runs_use_the_second_connection(
    deps: Deps,
) -> None:
    saver = deps.checkpointer()
    assert isinstance(saver, OperatorSqliteSaver) and saver.decision_saver is not None
    assert _sync(saver.conn) == 2  # FULL: an event's checkpoint is its only record
    assert _sync(saver.decision_saver.conn) == 1  # NORMAL
    graph = build_operator(deps, checkpointer=saver)
    event_main, event_side, resume_main, resume_side = _event_then_resume(graph, saver)
    assert event_main > 0 and event_side == 0
    assert resume_main == 0 and resume_side > 0
    # what the decision run wrote is what the main connection reads
    snapshot = graph.get_state(CONFIG)
    assert snapshot.next == ()
    executed = [a for a in snapshot.values["proposed_actions"] if a.status == "executed"]
    assert len(executed) == len(deps.crm.list_receipts(SEED_DEAL_ID)) > 0


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

        deps = Deps.offline({str(work)!r}, sample=True)
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
    deps = Deps.offline(work, sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    snapshot = graph.get_state(CONFIG)
    assert snapshot.next == ()  # the executor's final checkpoint survived the kill
    assert pending_request(graph, SEED_DEAL_ID) is None
    assert all(a.status == "executed" for a in snapshot.values["proposed_actions"])
