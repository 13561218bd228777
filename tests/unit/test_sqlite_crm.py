from __future__ import annotations

import csv
import inspect
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from sales_operator.adapters.base import CRM, CRMReader, HistoryRecord, Rep
from sales_operator.adapters.sqlite_crm import (
    CLOSED_DEAL_COLUMNS,
    SQLiteCRM,
    seniority_from_title,
)
from sales_operator.errors import DataError, PermanentAdapterError
from sales_operator.state import Account, Activity, AuditEntry, Contact, Deal, Lead, Receipt

NOW = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)


def clock() -> datetime:
    return NOW


BACKENDS = ["sqlite", "postgres"]
"""Every test of this file runs on both stores: the same code and SQL (`sql_dialect`)."""


def _location(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_dsn"))
    return str(tmp_path / name)


def _store_class(backend: str) -> type[SQLiteCRM]:
    if backend == "postgres":
        from sales_operator.adapters.postgres_crm import PostgresCRM

        return PostgresCRM
    return SQLiteCRM


def reopen(crm: SQLiteCRM, **kwargs: Any) -> SQLiteCRM:
    """Open a second connection to the same store."""
    return type(crm)(getattr(crm, "dsn", crm.path), **kwargs)


def is_postgres(crm: SQLiteCRM) -> bool:
    return hasattr(crm, "dsn")


@pytest.fixture(params=BACKENDS)
def crm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLiteCRM]:
    location = _location(request, tmp_path, "crm.sqlite")
    store = _store_class(request.param).open_seeded(location, clock=clock)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLiteCRM]:
    store = _store_class(request.param)(_location(request, tmp_path, "empty.sqlite"), clock=clock)
    yield store
    store.close()


def northwind_records() -> dict[str, Any]:
    """The demo's lead_created records (deal D-2001, lead L-5001, contacts C-DW and C-MC)."""
    return {
        "deal": Deal(
            id="D-2001",
            name="Northwind Logistics - Orbital Dispatch",
            amount=48000,
            close_date=date(2026, 11, 27),
        ),
        "account": Account(
            id="A-NWL",
            name="Northwind Logistics",
            domain="northwind-logistics.com",
            industry="Logistics",
            employees=450,
            territory="NA-East",
            country="US",
        ),
        "contacts": [
            Contact(
                id="C-DW",
                name="Dana Whitfield",
                email="dana.whitfield@northwind-logistics.com",
                title="VP of Operations",
            ),
            Contact(
                id="C-MC",
                name="Marcus Chen",
                email="marcus.chen@northwind-logistics.com",
                title="Chief Revenue Officer (CRO)",
            ),
        ],
        "lead": Lead(
            id="L-5001",
            contact_id="C-DW",
            source="demo_request",
            created_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
            signals={
                "pages_visited": 7,
                "pricing_page_visits": 2,
                "emails_opened": 3,
                "demo_requested": True,
                "webinar_attended": False,
            },
        ),
    }


def with_d2001(crm: SQLiteCRM) -> dict[str, Any]:
    return crm.upsert_records(**northwind_records(), idempotency_key="upsert-1")


def write_csv(
    path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...] = CLOSED_DEAL_COLUMNS
) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def csv_row(i: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "deal_id": f"D-9{i:04d}",
        "account_name": f"Carrier {i}",
        "industry": ["Logistics", "Trucking", "Retail"][i % 3],
        "employees": 50 + 37 * i,
        "territory": ["NA-East", "NA-West", "EMEA"][i % 3],
        "segment": "",
        "lead_source": ["demo_request", "webinar", "content_download"][i % 3],
        "contact_title": ["VP of Operations", "Fleet Manager", "Dispatcher", "CEO"][i % 4],
        "seniority": "",
        "pages_visited": i % 11,
        "pricing_page_visits": i % 3,
        "emails_opened": i % 6,
        "demo_requested": ["true", "false", "1", "0"][i % 4],
        "webinar_attended": i % 2,
        "days_to_first_touch": [0, 1, 2.5, 7][i % 4],
        "created_at": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}T10:00:00Z",
        "closed_at": f"2026-{1 + i % 12:02d}-{1 + i % 27:02d}",
        "outcome": "won" if i % 3 == 0 else "lost",
        "amount": 10000 + 250 * i,
    }
    row.update(overrides)
    return row


# ---------------------------------------------------------------------------- protocol, schema


@pytest.mark.parametrize("protocol", [CRMReader, CRM])
def test_implements_the_protocols_with_the_same_signatures(crm: SQLiteCRM, protocol: type) -> None:
    assert isinstance(crm, protocol)
    names = [n for n in dir(protocol) if not n.startswith("_") and callable(getattr(protocol, n))]
    assert "closed_deal_rows" in names
    for name in names:
        expected = inspect.signature(getattr(protocol, name))
        actual = inspect.signature(getattr(SQLiteCRM, name))
        assert [(p.name, p.kind) for p in actual.parameters.values()] == [
            (p.name, p.kind) for p in expected.parameters.values()
        ], name


def _tables(crm: SQLiteCRM) -> set[str]:
    if is_postgres(crm):
        import psycopg

        with psycopg.connect(crm.dsn) as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            ).fetchall()
        return {r[0] for r in rows}
    conn = sqlite3.connect(crm.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_schema_wal_foreign_keys_and_version(crm: SQLiteCRM) -> None:
    tables = _tables(crm)
    assert {
        "schema_version",
        "accounts",
        "contacts",
        "leads",
        "deals",
        "activities",
        "tasks",
        "notes",
        "reps",
        "receipts",
        "audit",
        "applied_writes",
        "stage_history",
    } <= tables
    if not is_postgres(crm):
        assert crm._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert crm.schema_version == 1
    # a second open (another worker) finds the schema and changes nothing
    reopen(crm).close()
    assert crm.schema_version == 1


def test_foreign_keys_are_enforced(crm: SQLiteCRM) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        crm._conn.execute(
            "INSERT INTO deals (id, account_id, name, stage, fields, created_at, updated_at)"
            " VALUES (?, ?, 'x', 'new', '{}', 'now', 'now')",
            ("D-X", "A-NONE"),
        )
    assert crm.get_deal("D-X") is None


# ---------------------------------------------------------------------------- the seed story


def test_seeded_reps_match_the_story(crm: SQLiteCRM) -> None:
    reps = {rep.id: rep for rep in crm.list_reps()}
    assert {
        "rep-sam",
        "rep-priya",
        "rep-lena",
        "rep-tom",
        "rep-grace",
        "rep-omar",
        "mgr-jordan",
        "cs-maya",
        "queue-inbound",
    } <= set(reps)
    assert all(isinstance(rep, Rep) for rep in reps.values())
    sam = reps["rep-sam"]
    assert (sam.name, sam.role, sam.territory, sam.segments, sam.capacity) == (
        "Sam Rivera",
        "ae",
        "NA-East",
        ["mid_market"],
        20,
    )
    assert sam.manager_id == "mgr-jordan" and sam.slack == "@sam.rivera"
    assert sam.timezone == "America/New_York" and sam.email == "sam.rivera@orbitalfreight.com"
    assert reps["rep-lena"].timezone == "Europe/Berlin"
    assert reps["rep-grace"].territory is None and reps["rep-grace"].segments == ["enterprise"]
    assert reps["rep-omar"].role == "sdr"
    assert reps["mgr-jordan"].slack == "@jordan.lee" and reps["mgr-jordan"].role == "manager"
    assert reps["cs-maya"].role == "cs" and reps["cs-maya"].slack == "@maya.brooks"
    queue = reps["queue-inbound"]
    assert (queue.role, queue.capacity, queue.slack) == ("queue", 10000, "#inbound-leads")
    assert all(rep.email.endswith("@orbitalfreight.com") for rep in reps.values())


def test_priya_is_at_capacity_and_sam_is_not(crm: SQLiteCRM) -> None:
    counts = crm.open_deal_counts()
    reps = {rep.id: rep for rep in crm.list_reps()}
    assert counts["rep-priya"] == reps["rep-priya"].capacity == 12
    assert counts["rep-sam"] < reps["rep-sam"].capacity
    assert counts["rep-omar"] == 0  # every rep appears


def test_northwind_exists_but_the_demo_records_do_not(crm: SQLiteCRM) -> None:
    account = crm.get_account("A-NWL")
    assert account == Account(
        id="A-NWL",
        name="Northwind Logistics",
        domain="northwind-logistics.com",
        industry="Logistics",
        employees=450,
        territory="NA-East",
        country="US",
    )
    contacts = crm.list_contacts("A-NWL")
    assert [(c.id, c.name, c.title) for c in contacts] == [
        ("C-DW", "Dana Whitfield", "VP of Operations")
    ]
    assert crm.get_deal("D-2001") is None
    assert crm.get_lead("L-5001") is None
    assert all(c.id != "C-MC" for c in contacts)
    assert crm.get_account("A-NOPE") is None


def test_northwind_history_is_cited_oldest_first(crm: SQLiteCRM) -> None:
    history = crm.account_history("A-NWL")
    assert all(isinstance(h, HistoryRecord) for h in history)
    assert [h.at for h in history] == sorted(h.at for h in history)
    by_ref = {h.ref: h for h in history}
    webinar = next(h for h in history if "webinar" in h.text.lower())
    assert webinar.kind == "activity" and webinar.at.date() == date(2025, 6, 12)
    assert webinar.ref.startswith("crm:activity/")
    deal = by_ref["crm:deal/D-1450"]
    assert deal.kind == "deal" and deal.at.date() == date(2025, 9, 18)
    assert "RouteMax" in deal.text and "lost" in deal.text
    note = next(h for h in history if h.kind == "note")
    assert note.text == "Lost to RouteMax on price; Dana liked our live ETA tracking"
    assert note.ref.startswith("crm:note/")
    guide = next(h for h in history if "ROI guide" in h.text)
    assert guide.at.date() == date(2026, 10, 20)
    assert history[-1] is guide
    # Open deals of other accounts never leak into Northwind's history.
    assert not any(h.ref.startswith("crm:deal/D-17") for h in history)


def test_closed_deal_rows_have_the_training_columns(crm: SQLiteCRM) -> None:
    rows = crm.closed_deal_rows()
    assert rows
    assert all(tuple(row) == CLOSED_DEAL_COLUMNS for row in rows)
    open_ids = {d.id for d in crm.list_deals() if not d.stage.startswith("closed_")}
    assert len(open_ids) >= 12
    assert not open_ids & {row["deal_id"] for row in rows}
    d1450 = next(row for row in rows if row["deal_id"] == "D-1450")
    assert all(value is not None for value in d1450.values()), d1450
    assert d1450["outcome"] == "lost" and d1450["account_name"] == "Northwind Logistics"
    assert d1450["seniority"] == "vp" and d1450["segment"] == "mid_market"
    assert d1450["webinar_attended"] == 1 and d1450["demo_requested"] == 0
    assert d1450["closed_at"].startswith("2025-09-18")
    assert {row["outcome"] for row in rows} <= {"won", "lost"}


# ---------------------------------------------------------------------------- writes


def test_upsert_creates_then_updates_without_clearing(crm: SQLiteCRM) -> None:
    result = with_d2001(crm)
    assert result == {
        "deal_id": "D-2001",
        "account_id": "A-NWL",
        "contact_ids": ["C-DW", "C-MC"],
        "lead_id": "L-5001",
        "created": True,
    }
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.stage == "new" and deal.amount == 48000
    assert [c.id for c in crm.list_contacts("A-NWL")] == ["C-DW", "C-MC"]
    lead = crm.get_lead("L-5001")
    assert lead is not None and lead.signals["pages_visited"] == 7
    crm.assign_owner("D-2001", "rep-sam", idempotency_key="assign-1")
    again = crm.upsert_records(
        deal=Deal(id="D-2001", name="Northwind - renamed", fields={"next_step": "ROI model"}),
        account=None,
        contacts=[],
        lead=None,
        idempotency_key="upsert-2",
    )
    assert again["created"] is False and again["account_id"] == "A-NWL"
    deal = crm.get_deal("D-2001")
    assert deal is not None
    assert deal.name == "Northwind - renamed" and deal.owner_id == "rep-sam"
    assert deal.amount == 48000 and deal.close_date == date(2026, 11, 27)
    assert deal.fields == {"next_step": "ROI model"}


def test_same_key_twice_changes_nothing(crm: SQLiteCRM) -> None:
    with_d2001(crm)
    assert with_d2001(crm)["created"] is True  # the first result, replayed
    calls: list[Callable[[], dict[str, Any]]] = [
        lambda: crm.create_task(
            "D-2001",
            title="Loop in CRO",
            owner_id="rep-sam",
            due=date(2026, 11, 10),
            notes="Dana loops in Marcus",
            idempotency_key="task-1",
        ),
        lambda: crm.add_note("D-2001", "Discovery done", idempotency_key="note-1"),
        lambda: crm.log_activity(
            "D-2001",
            Activity(at=NOW, kind="reply", direction="inbound", summary="Reviewing with Marcus"),
            idempotency_key="act-1",
        ),
        lambda: crm.change_stage("D-2001", "discovery", idempotency_key="stage-1"),
        lambda: crm.update_deal_fields("D-2001", {"pains": ["routing"]}, idempotency_key="f-1"),
        lambda: crm.assign_owner("D-2001", "rep-sam", idempotency_key="own-1"),
    ]
    for call in calls:
        assert call() == call()
    assert len(crm.list_tasks("D-2001")) == 1
    assert len(crm.list_notes("D-2001")) == 1
    assert len(crm.list_activities("D-2001")) == 1
    assert [h["to_stage"] for h in crm.stage_history("D-2001")] == ["new", "discovery"]
    # A replayed stage change does not undo a later one.
    crm.change_stage("D-2001", "proposal", idempotency_key="stage-2")
    assert crm.change_stage("D-2001", "discovery", idempotency_key="stage-1")["to_stage"] == (
        "discovery"
    )
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.stage == "proposal"
    # A different key is a different write.
    crm.add_note("D-2001", "Discovery done", idempotency_key="note-2")
    assert len(crm.list_notes("D-2001")) == 2


def test_idempotency_holds_across_connections(crm: SQLiteCRM) -> None:
    with_d2001(crm)
    other = reopen(crm, clock=clock)
    try:
        first = crm.add_note("D-2001", "once", idempotency_key="shared")
        assert other.add_note("D-2001", "once", idempotency_key="shared") == first
        assert len(other.list_notes("D-2001")) == 1
    finally:
        other.close()


def test_write_results_name_what_changed(crm: SQLiteCRM) -> None:
    with_d2001(crm)
    task = crm.create_task(
        "D-2001",
        title="Send ROI model",
        owner_id="rep-sam",
        due=date(2026, 11, 6),
        notes="",
        idempotency_key="t",
    )
    assert task["ref"] == f"crm:task/{task['task_id']}" and task["due"] == "2026-11-06"
    note = crm.add_note("D-2001", "hello", idempotency_key="n")
    assert note["ref"] == f"crm:note/{note['note_id']}"
    owner = crm.assign_owner("D-2001", "rep-sam", idempotency_key="o")
    assert owner == {"deal_id": "D-2001", "owner_id": "rep-sam", "previous_owner_id": None}
    update = crm.update_deal_fields(
        "D-2001",
        {"amount": "52000", "close_date": date(2026, 12, 1), "next_step": "kickoff", "x": 1},
        idempotency_key="u",
    )
    assert update["changed"] == {
        "amount": 52000.0,
        "close_date": "2026-12-01",
        "next_step": "kickoff",
        "x": 1,
    }
    assert update["previous"]["amount"] == 48000.0 and update["previous"]["next_step"] is None
    crm.update_deal_fields("D-2001", {"next_step": "signed", "y": [1]}, idempotency_key="u2")
    deal = crm.get_deal("D-2001")
    assert deal is not None
    assert deal.fields == {"next_step": "signed", "x": 1, "y": [1]}
    assert deal.amount == 52000 and deal.close_date == date(2026, 12, 1)
    history = [h.ref for h in crm.account_history("A-NWL")]
    assert task["ref"] in history and note["ref"] in history


def test_closing_a_deal_feeds_the_training_rows(crm: SQLiteCRM) -> None:
    with_d2001(crm)
    before = {row["deal_id"] for row in crm.closed_deal_rows()}
    assert "D-2001" not in before
    crm.assign_owner("D-2001", "rep-sam", idempotency_key="own")
    sam_open = crm.open_deal_counts()["rep-sam"]
    result = crm.change_stage("D-2001", "closed_won", idempotency_key="won")
    assert result == {
        "deal_id": "D-2001",
        "from_stage": "new",
        "to_stage": "closed_won",
        "changed": True,
    }
    assert crm.open_deal_counts()["rep-sam"] == sam_open - 1
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.outcome == "won"
    row = next(r for r in crm.closed_deal_rows() if r["deal_id"] == "D-2001")
    assert row["outcome"] == "won" and row["seniority"] == "vp" and row["demo_requested"] == 1
    assert row["pages_visited"] == 7 and row["days_to_first_touch"] is None
    assert row["created_at"].startswith("2026-11-02")


def test_unknown_deal_or_rep_is_a_permanent_error(crm: SQLiteCRM) -> None:
    with pytest.raises(PermanentAdapterError, match="unknown deal id 'D-404'") as info:
        crm.add_note("D-404", "x", idempotency_key="k")
    assert info.value.adapter == "sqlite_crm" and info.value.operation == "add_note"
    failing: list[Callable[[], dict[str, Any]]] = [
        lambda: crm.assign_owner("D-404", "rep-sam", idempotency_key="k1"),
        lambda: crm.change_stage("D-404", "won", idempotency_key="k2"),
        lambda: crm.update_deal_fields("D-404", {"a": 1}, idempotency_key="k3"),
        lambda: crm.create_task(
            "D-404", title="t", owner_id=None, due=None, notes="", idempotency_key="k4"
        ),
        lambda: crm.log_activity("D-404", Activity(at=NOW, kind="call"), idempotency_key="k5"),
    ]
    for call in failing:
        with pytest.raises(PermanentAdapterError, match="D-404"):
            call()
    with_d2001(crm)
    with pytest.raises(PermanentAdapterError, match="unknown rep id 'rep-nobody'"):
        crm.assign_owner("D-2001", "rep-nobody", idempotency_key="k6")
    with pytest.raises(PermanentAdapterError, match="amount"):
        crm.update_deal_fields("D-2001", {"amount": "lots"}, idempotency_key="k7")
    with pytest.raises(PermanentAdapterError, match="idempotency_key"):
        crm.add_note("D-2001", "x", idempotency_key="")


def test_a_failed_write_stores_nothing_and_can_be_retried(crm: SQLiteCRM) -> None:
    records = northwind_records()
    records["lead"] = records["lead"].model_copy(update={"contact_id": "C-GHOST"})
    with pytest.raises(PermanentAdapterError, match="C-GHOST"):
        crm.upsert_records(**records, idempotency_key="up")
    # The contacts written before the failure were rolled back, and the key is free.
    assert [c.id for c in crm.list_contacts("A-NWL")] == ["C-DW"]
    assert crm.get_deal("D-2001") is None
    assert crm.upsert_records(**northwind_records(), idempotency_key="up")["created"] is True
    # A bad known field rolls back the custom fields set in the same call.
    with pytest.raises(PermanentAdapterError):
        crm.update_deal_fields(
            "D-2001", {"pains": ["x"], "close_date": "soon"}, idempotency_key="f"
        )
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.fields == {}


# ---------------------------------------------------------------------------- receipts, audit


def receipt(key: str, status: Literal["done", "failed"] = "done", **result: Any) -> Receipt:
    return Receipt(
        action_id=key,
        idempotency_key=key,
        kind="log_note",
        status=status,
        result=result,
        executed_at=NOW,
    )


def test_receipts_are_stored_once_per_key(crm: SQLiteCRM) -> None:
    crm.record_receipt("D-2001", receipt("r1", note_id=1))
    crm.record_receipt("D-2001", receipt("r1", note_id=99))
    crm.record_receipt("D-9", receipt("r2"))
    got = crm.get_receipt("r1")
    assert isinstance(got, Receipt) and got.result == {"note_id": 1} and got.executed_at == NOW
    assert crm.get_receipt("nope") is None
    assert [r.idempotency_key for r in crm.list_receipts("D-2001")] == ["r1"]
    assert [r.idempotency_key for r in crm.list_receipts()] == ["r1", "r2"]
    # A successful retry replaces a failed receipt; nothing replaces a done one.
    crm.record_receipt("D-2001", receipt("r3", status="failed", error="timeout"))
    crm.record_receipt("D-2001", receipt("r3", status="done", note_id=3))
    crm.record_receipt("D-2001", receipt("r3", status="failed", error="late"))
    r3 = crm.get_receipt("r3")
    assert r3 is not None and r3.status == "done" and r3.result == {"note_id": 3}


def entry(action: str, decision: str = "approve") -> AuditEntry:
    return AuditEntry(
        at=NOW, actor="jordan", action_id=action, kind="assign_owner", decision=decision
    )


def test_audit_is_append_only_in_sqlite_itself(crm: SQLiteCRM) -> None:
    crm.append_audit("D-2001", entry("a1"))
    crm.append_audit("D-2001", entry("a1", "executed"))
    crm.append_audit("D-3000", entry("b1"))
    assert [(e.action_id, e.decision) for e in crm.audit_log("D-2001")] == [
        ("a1", "approve"),
        ("a1", "executed"),
    ]
    assert len(crm.audit_log()) == 3
    assert crm.audit_log("D-2001")[0] == entry("a1")
    if is_postgres(crm):  # the triggers hold for any client, not only for the CRM's code
        import psycopg

        with psycopg.connect(crm.dsn, autocommit=True) as pg:  # type: ignore[attr-defined]
            with pytest.raises(psycopg.errors.IntegrityError, match="append-only"):
                pg.execute("UPDATE audit SET actor = 'mallory'")
            with pytest.raises(psycopg.errors.IntegrityError, match="append-only"):
                pg.execute("DELETE FROM audit WHERE deal_id = 'D-2001'")
    else:
        conn = sqlite3.connect(crm.path)
        try:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute("UPDATE audit SET actor = 'mallory'")
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute("DELETE FROM audit WHERE deal_id = 'D-2001'")
            conn.rollback()
        finally:
            conn.close()
    assert [e.actor for e in crm.audit_log()] == ["jordan"] * 3


# ---------------------------------------------------------------------------- seeding


def test_seed_loads_csv_rows_back(empty: SQLiteCRM, tmp_path: Path) -> None:
    rows = [csv_row(i) for i in range(12)]
    rows[1]["seniority"] = "director"  # a stored seniority wins over the title
    rows[2]["segment"] = "enterprise"
    rows[3]["employees"] = ""
    path = write_csv(tmp_path / "closed.csv", rows)
    counts = empty.seed(None, path)
    assert counts["closed_deals"] == 12
    got = {r["deal_id"]: r for r in empty.closed_deal_rows() if r["deal_id"].startswith("D-9")}
    assert list(got) == [r["deal_id"] for r in rows]
    for expected in rows:
        row = got[expected["deal_id"]]
        assert tuple(row) == CLOSED_DEAL_COLUMNS
        assert row["account_name"] == expected["account_name"]
        assert row["employees"] == (
            int(expected["employees"]) if expected["employees"] != "" else None
        )
        assert row["pages_visited"] == expected["pages_visited"]
        assert row["demo_requested"] == (
            1 if str(expected["demo_requested"]) in ("true", "1") else 0
        )
        assert row["webinar_attended"] == expected["webinar_attended"]
        assert row["days_to_first_touch"] == expected["days_to_first_touch"]
        assert row["created_at"] == expected["created_at"].replace("Z", "+00:00")
        assert row["closed_at"] == expected["closed_at"]
        assert row["outcome"] == expected["outcome"] and row["amount"] == float(expected["amount"])
        assert row["seniority"] == (
            expected["seniority"] or seniority_from_title(expected["contact_title"])
        )
    assert got["D-90001"]["seniority"] == "director"
    assert got["D-90002"]["segment"] == "enterprise"
    assert got["D-90003"]["segment"] is None and got["D-90003"]["employees"] is None
    assert got["D-90000"]["segment"] == "smb"  # derived from 50 employees
    # The bundled sample came along (no sample path given).
    assert any(rep.id == "rep-sam" for rep in empty.list_reps())


def test_seed_is_a_no_op_on_a_filled_database(crm: SQLiteCRM) -> None:
    before = len(crm.list_deals())
    counts = crm.seed()
    assert set(counts.values()) == {0}
    assert len(crm.list_deals()) == before
    reopened = type(crm).open_seeded(getattr(crm, "dsn", crm.path))
    try:
        assert len(reopened.list_deals()) == before
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("override", "line", "column"),
    [
        ({"employees": "many"}, 4, "employees"),
        ({"outcome": "maybe"}, 4, "outcome"),
        ({"closed_at": "yesterday"}, 4, "closed_at"),
        ({"pages_visited": "2.5"}, 4, "pages_visited"),
        ({"demo_requested": "perhaps"}, 4, "demo_requested"),
        ({"deal_id": "D-90000"}, 4, "deal_id"),
        ({"seniority": "intern"}, 4, "seniority"),
    ],
)
def test_a_bad_csv_row_names_file_line_column_and_stores_nothing(
    empty: SQLiteCRM, tmp_path: Path, override: dict[str, str], line: int, column: str
) -> None:
    rows = [csv_row(0), csv_row(1), csv_row(2, **override)]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError) as info:
        empty.seed(None, path)
    message = str(info.value)
    assert str(path) in message and f"line {line}" in message and f"column {column}" in message
    assert empty.is_empty()
    assert empty.list_reps() == [] and empty.closed_deal_rows() == []


def test_a_csv_without_a_column_is_refused(empty: SQLiteCRM, tmp_path: Path) -> None:
    columns = tuple(c for c in CLOSED_DEAL_COLUMNS if c != "amount")
    path = write_csv(
        tmp_path / "short.csv",
        [{k: v for k, v in csv_row(0).items() if k != "amount"}],
        columns,
    )
    with pytest.raises(DataError, match="line 1: missing column.*amount"):
        empty.seed(None, path)
    assert empty.is_empty()


def test_a_seed_that_fails_inside_the_transaction_leaves_the_database_empty(
    empty: SQLiteCRM, tmp_path: Path
) -> None:
    sample = json.loads(
        (Path(__file__).parents[2] / "src/sales_operator/data/sample_crm.json").read_text()
    )
    sample["deals"].append(
        {"id": "D-BAD", "name": "Orphan", "account_id": "A-MISSING", "stage": "new"}
    )
    bad = tmp_path / "sample.json"
    bad.write_text(json.dumps(sample))
    with pytest.raises(DataError, match="inconsistent"):
        empty.seed(bad, write_csv(tmp_path / "ok.csv", [csv_row(0)]))
    assert empty.is_empty()
    for table in ("reps", "accounts", "contacts", "leads", "deals", "activities", "notes"):
        assert empty._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    malformed = tmp_path / "malformed.json"
    malformed.write_text(json.dumps({"reps": [{"id": "x"}]}))
    with pytest.raises(DataError, match=r"malformed\.json is malformed: reps\.0\.name"):
        empty.seed(malformed, None)


def test_a_csv_deal_id_clashing_with_the_sample_is_refused(
    empty: SQLiteCRM, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clash.csv", [csv_row(0, deal_id="D-1450")])
    with pytest.raises(DataError, match="line 2, column deal_id.*D-1450"):
        empty.seed(None, path)
    assert empty.is_empty()


def test_seeding_a_thousand_rows(empty: SQLiteCRM, tmp_path: Path) -> None:
    # speed is the scoring benchmark's business (make bench), never a wall-clock assert here
    path = write_csv(tmp_path / "big.csv", [csv_row(i) for i in range(1000)])
    counts = empty.seed(None, path)
    assert counts["closed_deals"] == 1000
    assert len([r for r in empty.closed_deal_rows() if r["deal_id"].startswith("D-9")]) == 1000


def test_the_bundled_csv_seeds_cleanly_when_present(crm: SQLiteCRM) -> None:
    from importlib import resources

    bundled = resources.files("sales_operator").joinpath("data/closed_deals.csv")
    if not bundled.is_file():
        pytest.skip("data/closed_deals.csv is not written yet")
    with bundled.open(encoding="utf-8") as handle:
        n = sum(1 for _ in csv.DictReader(handle))
    rows = crm.closed_deal_rows()
    assert len(rows) == n + 4  # the sample's four closed deals come on top


# ---------------------------------------------------------------------------- threads, titles


def test_concurrent_writes_from_threads(crm: SQLiteCRM) -> None:
    with_d2001(crm)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                crm.add_note("D-2001", f"{i}-{j}", idempotency_key=f"note-{j}")  # shared keys
                crm.create_task(
                    "D-2001",
                    title=f"t{i}-{j}",
                    owner_id=None,
                    due=None,
                    notes="",
                    idempotency_key=f"task-{i}-{j}",
                )
                crm.closed_deal_rows()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(crm.list_notes("D-2001")) == 10
    assert len(crm.list_tasks("D-2001")) == 60


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("VP of Operations", "vp"),
        ("Vice President, Logistics", "vp"),
        ("SVP Supply Chain", "vp"),
        ("Chief Revenue Officer (CRO)", "c_level"),
        ("CEO", "c_level"),
        ("President", "c_level"),
        ("Co-Founder", "c_level"),
        ("Director of Transportation", "director"),
        ("Head of Fleet", "director"),
        ("Fleet Manager", "manager"),
        ("Dispatch Supervisor", "manager"),
        ("Dispatcher", "ic"),
        ("Driver", "ic"),
        ("", "ic"),
        (None, "ic"),
    ],
)
def test_seniority_from_title(title: str | None, level: str) -> None:
    assert seniority_from_title(title) == level


# -- jan: the graph clears the inbox index itself; similar_lost_deals stays bounded ----------


def test_a_request_rejected_whole_leaves_the_index_in_the_same_transaction(crm: SQLiteCRM) -> None:
    crm.index_request("D-2001", "evt-1")
    approved = [entry("a1").model_copy(update={"request_id": "evt-1"})]
    crm.record_decisions("D-2001", "evt-1", approved)
    # approved actions still have to run: the entry stays until the executor clears it
    assert [e["request_id"] for e in crm.indexed_requests("D-2001")] == ["evt-1"]
    assert crm.clear_request("D-2001", "evt-1") is True
    assert crm.clear_request("D-2001", "evt-1") is False  # idempotent
    crm.index_request("D-2001", "evt-2")
    rejected = [entry(a, "reject").model_copy(update={"request_id": "evt-2"}) for a in "bc"]
    crm.record_decisions("D-2001", "evt-2", rejected)
    assert crm.indexed_requests("D-2001") == []
    # another request's entry on the deal is never touched
    crm.index_request("D-2001", "evt-3")
    assert crm.clear_request("D-2001", "evt-2") is False
    assert [e["request_id"] for e in crm.indexed_requests("D-2001")] == ["evt-3"]


def _many_lost_deals(crm: SQLiteCRM, n: int, *, with_reason_every: int) -> list[str]:
    """Add `n` lost deals of accounts in A-RHL's industry; return the ids with a reason."""
    from sales_operator.adapters._records import new_deal_row
    from sales_operator.adapters.sqlite_crm import _insert_deal

    own = crm.get_account("A-RHL")
    assert own is not None and own.industry
    with_reason = []
    with crm._transaction("seed_losses") as conn:
        for i in range(n // 10):
            conn.execute(
                "INSERT INTO accounts (id, name, industry, segment) VALUES (?, ?, ?, ?)",
                (f"A-L{i:04d}", f"Lost Co {i}", own.industry, "smb"),
            )
        for i in range(n):
            reason = i % with_reason_every == 0
            fields = {"loss_reason": f"reason {i}"} if reason else {"loss_reason": " "}
            deal = Deal(id=f"D-L{i:05d}", name=f"Lost {i}", stage="closed_lost", fields=fields)
            closed = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T00:{i // 60 % 60:02d}:{i % 60:02d}Z"
            row = new_deal_row(
                deal,
                account_id=f"A-L{i % (n // 10):04d}",
                lead_id=None,
                created_at="2025-01-01",
                closed_at=closed,
                updated_at="2025-01-01",
            )
            _insert_deal(conn, row)
            if reason:
                with_reason.append(f"D-L{i:05d}")
    return with_reason


def test_similar_lost_deals_is_a_bounded_query_newest_first(
    crm: SQLiteCRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_reason = _many_lost_deals(crm, 3000, with_reason_every=3)
    every = crm.similar_lost_deals("A-RHL", limit=10_000)  # every one, newest first
    assert {r.ref for r in every} >= {f"crm:deal/{d}" for d in with_reason}
    assert not any(r.ref.endswith("D-L00001") for r in every)  # a blank reason is no reason
    whens = [r.at for r in every]
    assert whens == sorted(whens, reverse=True)
    fetched: list[int] = []
    real_query = crm._query

    def counting(sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = real_query(sql, params)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(crm, "_query", counting)
    got = crm.similar_lost_deals("A-RHL", limit=20)
    assert [r.ref for r in got] == [r.ref for r in every[:20]]
    # 3,000 lost deals match: the read is one query of at most `limit` rows (after the account)
    assert fetched == [1, 20]
    assert crm.similar_lost_deals("A-RHL", limit=0) == []


def test_similar_lost_deals_follows_a_deal_that_is_lost_later_or_reopened(crm: SQLiteCRM) -> None:
    account = crm.get_account("A-BWT")

    def put(deal: Deal, key: str) -> None:
        crm.upsert_records(deal=deal, account=account, contacts=[], lead=None, idempotency_key=key)

    put(Deal(id="D-LATE", name="Late loss", stage="negotiation"), "late-1")
    assert all(r.ref != "crm:deal/D-LATE" for r in crm.similar_lost_deals("A-RHL"))
    lost = Deal(
        id="D-LATE", name="Late loss", stage="closed_lost", fields={"loss_reason": "Went dark"}
    )
    put(lost, "late-2")
    [first, *_] = crm.similar_lost_deals("A-RHL")
    assert first.ref == "crm:deal/D-LATE" and "Went dark" in first.text
    put(lost.model_copy(update={"stage": "negotiation", "outcome": None}), "late-3")
    assert all(r.ref != "crm:deal/D-LATE" for r in crm.similar_lost_deals("A-RHL"))


def test_an_older_file_gets_lost_at_filled_on_open(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    crm = SQLiteCRM.open_seeded(path)
    before = [r.ref for r in crm.similar_lost_deals("A-RHL")]
    assert before
    crm.close()
    conn = sqlite3.connect(path)  # a file written before the column existed
    conn.execute("DROP INDEX deals_lost_at")
    conn.execute("ALTER TABLE deals DROP COLUMN lost_at")
    conn.execute(  # with one damaged row: it must not keep the file from opening
        "INSERT INTO deals (id, name, stage, outcome, fields, created_at, updated_at)"
        " VALUES ('D-BAD', 'Bad', 'closed_lost', 'lost', '{not json', '2025-01-01', '2025-01-01')"
    )
    conn.commit()
    conn.close()
    opened: list[SQLiteCRM] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            opened.append(SQLiteCRM(path))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]  # four workers start at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(opened) == 4
    for again in opened:
        assert [r.ref for r in again.similar_lost_deals("A-RHL")] == before
        again.close()


def test_similar_lost_deals_walks_the_lost_at_index_in_sqlite(tmp_path: Path) -> None:
    crm = SQLiteCRM.open_seeded(tmp_path / "crm.sqlite")
    _many_lost_deals(crm, 200, with_reason_every=2)
    conn = sqlite3.connect(crm.path)
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT d.* FROM deals d JOIN accounts a ON a.id = d.account_id"
            " WHERE d.lost_at IS NOT NULL AND d.account_id <> 'A' AND (a.industry = 'x'"
            " OR a.segment = 'y') ORDER BY d.lost_at DESC, d.id DESC LIMIT 20"
        )
    )
    assert "deals_lost_at" in plan, plan
