"""A lost lease is detected before the executor writes (a killed Postgres session, a takeover)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.errors import LeaseLostError
from sales_operator.leases import check_lease, deal_lease


def _terminate(dsn: str, pid: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        assert row is not None and row[0] is True


# ------------------------------------------------------------------------------ the store


def test_a_killed_lease_session_is_detected_and_the_next_acquire_starts_over(
    postgres_dsn: str,
) -> None:
    from sales_operator.adapters.postgres_crm import PostgresCRM

    first, second = PostgresCRM(postgres_dsn), PostgresCRM(postgres_dsn)
    try:
        assert first.acquire_lease("D-9", "w1:1:a", ttl_s=60) is None
        assert first.acquire_lease("D-8", "w1:1:b", ttl_s=60) is None
        assert first.lease_held("D-9", "w1:1:a") and not first.lease_held("D-9", "w1:1:z")
        assert second.acquire_lease("D-9", "w2:1:a", ttl_s=60) is not None
        assert first._lease_conn is not None
        _terminate(postgres_dsn, first._lease_conn.raw.info.backend_pid)
        # the server released both locks with the session: the holder learns it, not silently
        assert first.lease_held("D-9", "w1:1:a") is False
        assert first.lease_held("D-8", "w1:1:b") is False  # same session, lost too
        assert second.acquire_lease("D-9", "w2:1:a", ttl_s=60) is None  # really free
        # the first CRM's next acquire opens a new session instead of failing forever
        assert first.acquire_lease("D-9", "w1:1:c", ttl_s=60) is not None  # w2 holds it now
        assert first.acquire_lease("D-8", "w1:1:d", ttl_s=60) is None
        assert first.lease_held("D-8", "w1:1:d")
        second.release_lease("D-9", "w2:1:a")
        assert first.acquire_lease("D-9", "w1:1:c", ttl_s=60) is None
    finally:
        first.close()
        second.close()


def test_releasing_a_lease_whose_session_died_is_quiet(postgres_dsn: str) -> None:
    from sales_operator.adapters.postgres_crm import PostgresCRM

    crm = PostgresCRM(postgres_dsn)
    try:
        with pytest.raises(LeaseLostError, match="was lost") as lost:
            with deal_lease(crm, "D-5") as holder:
                check_lease("D-5")  # held: nothing happens
                assert crm._lease_conn is not None
                _terminate(postgres_dsn, crm._lease_conn.raw.info.backend_pid)
                check_lease("D-5")
        assert lost.value.deal_id == "D-5" and lost.value.holder == holder
        with deal_lease(crm, "D-5", wait_s=0):  # free again, on a new session
            check_lease("D-5")
    finally:
        crm.close()


def test_a_sqlite_lease_taken_over_is_lost(tmp_path: Path) -> None:
    from sales_operator.adapters.sqlite_crm import SQLiteCRM

    crm = SQLiteCRM(tmp_path / "crm.sqlite")
    assert crm.acquire_lease("D-1", "host:1:a", ttl_s=0.0) is None
    assert crm.lease_held("D-1", "host:1:a")
    assert crm.acquire_lease("D-1", "other-host:2:b", ttl_s=60) is None  # expired: taken over
    assert not crm.lease_held("D-1", "host:1:a") and crm.lease_held("D-1", "other-host:2:b")
    check_lease("D-1")  # outside a deal_lease block (plain graph.invoke): nothing to check
    crm.close()


# ------------------------------------------------------------------------------ the executor


def _lose_the_lease_at_the_decision(crm: Any, monkeypatch: pytest.MonkeyPatch, lose: Any) -> None:
    """Make the lease disappear after the decisions are recorded, before the executor runs."""
    real = crm.record_decisions

    def record_then_lose(*args: Any, **kwargs: Any) -> Any:
        recorded = real(*args, **kwargs)
        lose()
        return recorded

    monkeypatch.setattr(crm, "record_decisions", record_then_lose)


def _check_stopped_then_recovered(
    graph: Any, deps: Any, monkeypatch: pytest.MonkeyPatch, other_done: Any = None
) -> None:
    from sales_operator.runner import pending_request, recover_deal
    from tests.unit.test_inbox_index import _approve

    request = pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert request is not None and request["action_requests"]
    with pytest.raises(LeaseLostError, match=SEED_DEAL_ID):
        _approve(graph, deps)
    monkeypatch.undo()
    crm = deps.crm
    assert crm.list_receipts(SEED_DEAL_ID) == []  # nothing was written after the loss
    decided = [e for e in crm.audit_log(SEED_DEAL_ID) if e.decision == "approve"]
    assert len(decided) == len(request["action_requests"])  # the decisions are on record
    stuck = pending_request(graph, SEED_DEAL_ID, deps=deps)
    assert stuck is not None and stuck.get("recovery")
    if other_done is not None:
        other_done()  # the writer that took the lease over has finished
    recover_deal(graph, SEED_DEAL_ID)
    receipts = crm.list_receipts(SEED_DEAL_ID)
    assert len(receipts) == len(decided) and all(r.status == "done" for r in receipts)
    assert len({r.idempotency_key for r in receipts}) == len(receipts)  # each exactly once


def test_the_executor_stops_when_its_postgres_session_is_killed(
    postgres_dsn: str, tmp_path: Path, scorer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sales_operator import Deps, build_operator
    from sales_operator.runner import send_event

    deps = Deps.postgres(postgres_dsn, tmp_path / "w1", sample=True)
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    crm: Any = deps.crm

    def kill() -> None:
        assert crm._lease_conn is not None
        _terminate(postgres_dsn, crm._lease_conn.raw.info.backend_pid)

    _lose_the_lease_at_the_decision(crm, monkeypatch, kill)
    _check_stopped_then_recovered(graph, deps, monkeypatch)


def test_the_executor_stops_when_its_sqlite_lease_was_taken_over(
    tmp_path: Path, scorer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sales_operator.runner import send_event
    from tests.unit.test_inbox_index import _open

    deps, graph = _open(tmp_path / "w", scorer)
    send_event(graph, lifecycle_events()[0])
    crm: Any = deps.crm

    def take_over() -> None:  # another host took the lease after it expired
        with crm._transaction("take_over") as conn:
            conn.execute(
                "UPDATE deal_leases SET holder = ? WHERE deal_id = ?",
                ("other-host:1:x", SEED_DEAL_ID),
            )

    _lose_the_lease_at_the_decision(crm, monkeypatch, take_over)
    _check_stopped_then_recovered(
        graph, deps, monkeypatch, lambda: crm.release_lease(SEED_DEAL_ID, "other-host:1:x")
    )
