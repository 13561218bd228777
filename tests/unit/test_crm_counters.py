"""Constant-time CRM reads: the counter table, the assignments log, limited account history."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sales_operator.adapters.sqlite_crm import SQLiteCRM
from sales_operator.copilot.learning import learned_edits
from sales_operator.errors import PermanentAdapterError
from sales_operator.scoring.routing import recent_assignments
from sales_operator.state import Account, Activity, AuditEntry, Deal

NOW = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)
REPS = ["rep-sam", "rep-lena", "rep-tom", "rep-grace", "rep-omar"]


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[SQLiteCRM]:
    store = SQLiteCRM.open_seeded(tmp_path / "crm.sqlite", clock=lambda: NOW)
    yield store
    store.close()


def _true_open_counts(path: str) -> dict[str, int]:
    """Count open deals per owner straight from the deals table."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT owner_id, COUNT(*) FROM deals WHERE owner_id IS NOT NULL "
            "AND stage NOT LIKE 'closed\\_%' ESCAPE '\\' GROUP BY owner_id"
        ).fetchall()
    return {owner: n for owner, n in rows}


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def test_counters_follow_every_owner_and_stage_change(crm: SQLiteCRM) -> None:
    assert _nonzero(crm.open_deal_counts()) == _true_open_counts(crm.path)
    rng = random.Random(7)
    deal_ids: list[str] = []
    for step in range(120):
        op = rng.choice(["new", "assign", "close", "reopen", "fields"] if deal_ids else ["new"])
        key = f"k-{step}"
        if op == "new":
            deal_id = f"D-C{step}"
            owner = rng.choice([*REPS, None])
            crm.upsert_records(
                deal=Deal(id=deal_id, name=deal_id, stage="qualification", owner_id=owner),
                account=Account(id="A-C", name="Counter Co", employees=50),
                contacts=[],
                lead=None,
                idempotency_key=key,
            )
            deal_ids.append(deal_id)
        elif op == "assign":
            try:
                crm.assign_owner(rng.choice(deal_ids), rng.choice(REPS), idempotency_key=key)
            except PermanentAdapterError:
                pass  # at capacity: nothing changed
        elif op == "close":
            stage = rng.choice(["closed_won", "closed_lost"])
            crm.change_stage(rng.choice(deal_ids), stage, idempotency_key=key)
        elif op == "reopen":
            crm.change_stage(rng.choice(deal_ids), "discovery", idempotency_key=key)
        else:
            crm.update_deal_fields(rng.choice(deal_ids), {"amount": step}, idempotency_key=key)
        if op == "close":  # the same key again changes nothing, counters included
            before = crm.rep_counters()
            crm.change_stage(deal_ids[-1], "discovery", idempotency_key=key)
            assert crm.rep_counters() == before
        assert _nonzero(crm.open_deal_counts()) == _true_open_counts(crm.path), (step, op)
    counts = crm.open_deal_counts()
    assert set(REPS) <= set(counts)  # every rep appears, 0 when it owns nothing open
    # a rebuild from the tables gives the same numbers
    held = crm.rep_counters()
    crm.rebuild_counters()
    assert crm.rep_counters() == held


def test_capacity_is_read_from_the_counter_in_the_assignment_transaction(
    crm: SQLiteCRM,
) -> None:
    full = crm.open_deal_counts()["rep-priya"]
    assert full == 12  # the story: Priya is at capacity
    crm.upsert_records(
        deal=Deal(id="D-CAP", name="cap", stage="qualification"),
        account=None,
        contacts=[],
        lead=None,
        idempotency_key="cap-1",
    )
    with pytest.raises(PermanentAdapterError, match="capacity"):
        crm.assign_owner("D-CAP", "rep-priya", idempotency_key="cap-2")
    # one of her deals closes: the counter frees the slot and the assignment goes through
    mine = [
        d.id for d in crm.list_deals() if d.owner_id == "rep-priya" and d.stage[:7] != "closed_"
    ]
    crm.change_stage(mine[0], "closed_lost", idempotency_key="cap-3")
    assert crm.open_deal_counts()["rep-priya"] == full - 1
    crm.assign_owner("D-CAP", "rep-priya", idempotency_key="cap-4")
    assert crm.open_deal_counts()["rep-priya"] == full


def test_the_assignments_log_gives_the_round_robin_window_and_the_whole_order(
    crm: SQLiteCRM,
) -> None:
    rng = random.Random(3)
    full: list[str] = []
    for i in range(60):
        deal_id = f"D-RR{i}"
        crm.upsert_records(
            deal=Deal(id=deal_id, name=deal_id, stage="qualification"),
            account=None,
            contacts=[],
            lead=None,
            idempotency_key=f"rr-new-{i}",
        )
        rep = rng.choices(REPS, weights=[5, 3, 1, 1, 0.2])[0]
        crm.assign_owner(deal_id, rep, idempotency_key=f"rr-{i}")
        crm.assign_owner(deal_id, rep, idempotency_key=f"rr-{i}")  # a replay is not a turn
        crm.change_stage(deal_id, "closed_won", idempotency_key=f"rr-won-{i}")  # frees the slot
        full.append(rep)
    assert crm.recent_assignees(10) == full[-10:]
    assert crm.recent_assignees(1000) == full
    assert sum(c["assigned_total"] for c in crm.rep_counters().values()) == len(full)
    for window in (0, 5, 10, 60, 100):
        recent = recent_assignments(crm, limit=window)
        if window:
            assert recent[-window:] == full[-window:]  # what round-robin counts
        # the least-recent tie-break sees the same order as the whole history would
        last = {rep: i for i, rep in enumerate(full)}
        seen = {rep: i for i, rep in enumerate(recent)}
        assert sorted(seen, key=seen.__getitem__) == sorted(last, key=last.__getitem__)


def test_an_older_file_gets_its_counters_and_assignments_from_the_audit(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    crm = SQLiteCRM.open_seeded(path, clock=lambda: NOW)
    for i, rep in enumerate(["rep-sam", "rep-lena", "rep-sam"]):
        crm.append_audit(
            "D-OLD",
            AuditEntry(
                at=NOW,
                actor="system",
                action_id=f"a{i}",
                kind="assign_owner",
                decision="executed",
                original_args={"rep_id": "rep-tom"},
                edited_args={"rep_id": rep},
            ),
        )
    expected = crm.open_deal_counts()
    crm.close()
    with sqlite3.connect(path) as conn:  # as a file written before the tables existed
        conn.execute("DELETE FROM rep_counters")
        conn.execute("DELETE FROM assignments")
    again = SQLiteCRM(path)
    assert again.open_deal_counts() == expected
    assert again.recent_assignees(10) == ["rep-sam", "rep-lena", "rep-sam"]
    assert again.last_assigned()["rep-sam"] > again.last_assigned()["rep-lena"]
    again.close()


def test_account_history_is_limited_to_the_latest_records_by_index(tmp_path: Path) -> None:
    crm = SQLiteCRM.open_seeded(tmp_path / "crm.sqlite", clock=lambda: NOW, history_limit=5)
    crm.upsert_records(
        deal=Deal(id="D-H", name="history", stage="qualification"),
        account=Account(id="A-H", name="History Inc", employees=80),
        contacts=[],
        lead=None,
        idempotency_key="h-0",
    )
    for i in range(30):
        crm.log_activity(
            "D-H",
            Activity(
                at=NOW + timedelta(minutes=i),
                kind="email",
                direction="inbound",
                summary=f"message {i}",
            ),
            idempotency_key=f"h-{i + 1}",
        )
    history = crm.account_history("A-H")
    assert [r.text.rsplit(" ", 1)[-1] for r in history][-5:] == [str(i) for i in range(25, 30)]
    assert len(history) == 5
    assert [r.at for r in history] == sorted(r.at for r in history)
    with sqlite3.connect(crm.path) as conn:
        for table in ("activities", "notes", "tasks"):
            plan = " ".join(
                str(row[-1])
                for row in conn.execute(
                    f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE account_id = ? "
                    "ORDER BY id DESC LIMIT ?",
                    ("A-H", 5),
                )
            )
            assert "INDEX" in plan and f"SCAN {table}" not in plan.replace(" USING", ""), plan
    crm.close()


class _AuditOnly:
    """A CRM seen only through its whole audit log (the path of CRMs without an index)."""

    def __init__(self, crm: SQLiteCRM) -> None:
        self._crm = crm

    def audit_log(self, deal_id: str | None = None) -> list[AuditEntry]:
        return self._crm.audit_log(deal_id)


def test_learned_edits_read_the_latest_edits_by_index_and_agree_with_the_whole_log(
    crm: SQLiteCRM,
) -> None:
    sam = next(r for r in crm.list_reps() if r.id == "rep-sam")
    priya = next(r for r in crm.list_reps() if r.id == "rep-priya")
    rng = random.Random(11)
    for i in range(40):
        rep = rng.choice([sam, priya])
        kind = rng.choice(["send_email", "send_email", "create_task"])
        decision = rng.choice(["edit", "edit", "approve", "executed"])
        args = {"from": f"{rep.name} <{rep.email}>", "owner_id": rep.id, "body": f"draft {i}"}
        crm.append_audit(
            f"D-E{i % 7}",
            AuditEntry(
                at=NOW,
                actor="mgr-jordan",
                action_id=f"a-{i}",
                kind=kind,
                decision=decision,
                original_args=args,
                edited_args={**args, "body": f"edited {i}"} if decision == "edit" else None,
            ),
        )
    whole = [
        e for e in reversed(crm.audit_log()) if e.decision == "edit" and e.kind == "send_email"
    ]
    assert [e.action_id for e in crm.recent_edits("send_email", batch=3)] == [
        e.action_id for e in whole
    ]
    for rep in (sam, priya):
        for kind in ("send_email", "create_task"):
            fast = learned_edits(crm, kind, rep, limit=4)
            slow = learned_edits(_AuditOnly(crm), kind, rep, limit=4)  # type: ignore[arg-type]
            assert fast == slow and fast
