"""The shipped in-memory adapters: protocols, idempotency, append-only audit, parity with SQLite."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from sales_operator.adapters.base import (
    CRM,
    Calendar,
    CRMReader,
    DealLeases,
    DecisionLedger,
    Document,
    DocumentStore,
    HistoryRecord,
    Mailer,
    Messenger,
    Rep,
    Search,
    SearchResult,
)
from sales_operator.adapters.fakes import (
    InMemoryCRM,
    RecordingCalendar,
    RecordingMailer,
    RecordingMessenger,
    StaticDocuments,
    StaticSearch,
    fake_pattern_deps,
)
from sales_operator.adapters.sqlite_crm import SQLiteCRM
from sales_operator.deps import PatternDeps, ReadOnlyCRM
from sales_operator.errors import (
    AdapterError,
    DataError,
    InputError,
    PermanentAdapterError,
    TransientAdapterError,
)
from sales_operator.llm import LLM
from sales_operator.policy import default_policy
from sales_operator.scoring.model import RulesScorer
from sales_operator.state import Activity, AuditEntry, Deal, Lead, Receipt
from sales_operator.vocabulary import CLOSED_DEAL_COLUMNS
from tests.seed import ACCOUNT, DANA, MARCUS

NOW = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)

REPS = [
    Rep(id="rep-sam", name="Sam Rivera", email="sam@x.com", territory="NA-East"),
    Rep(id="rep-priya", name="Priya Nair", email="priya@x.com", territory="NA-East"),
    Rep(id="queue-inbound", name="Inbound SDR queue", email="inbound@x.com", role="queue"),
]
LEAD = Lead(
    id="L-5001",
    contact_id="C-DW",
    source="demo_request",
    created_at=NOW,
    signals={
        "pages_visited": 7,
        "pricing_page_visits": 2,
        "emails_opened": 3,
        "demo_requested": True,
        "webinar_attended": False,
    },
)
DEAL = Deal(
    id="D-2001",
    name="Northwind Logistics - Orbital Dispatch",
    amount=48000,
    close_date=date(2026, 11, 27),
)


def records(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "deal": DEAL,
        "account": ACCOUNT,
        "contacts": [DANA, MARCUS],
        "lead": LEAD,
    }
    values.update(changes)
    return values


def with_d2001(crm: InMemoryCRM) -> dict[str, Any]:
    return crm.upsert_records(**records(), idempotency_key="upsert-1")


@pytest.fixture
def crm() -> InMemoryCRM:
    return InMemoryCRM(reps=REPS, clock=lambda: NOW)


def receipt(key: str, status: Literal["done", "failed"] = "done", **result: Any) -> Receipt:
    return Receipt(
        action_id=key,
        idempotency_key=key,
        kind="log_note",
        status=status,
        result=result,
        executed_at=NOW,
    )


def entry(action: str, decision: str = "approve", **extra: Any) -> AuditEntry:
    return AuditEntry(
        at=NOW, actor="jordan", action_id=action, kind="assign_owner", decision=decision, **extra
    )


# ---------------------------------------------------------------------------- protocols


def _protocol_methods(protocol: type) -> list[str]:
    return [n for n in dir(protocol) if not n.startswith("_") and callable(getattr(protocol, n))]


@pytest.mark.parametrize(
    ("fake", "protocol"),
    [
        (InMemoryCRM, CRMReader),
        (InMemoryCRM, CRM),
        (RecordingMailer, Mailer),
        (RecordingMessenger, Messenger),
        (RecordingCalendar, Calendar),
        (StaticSearch, Search),
        (StaticDocuments, DocumentStore),
    ],
)
def test_fakes_implement_the_protocols_with_the_same_signatures(fake: type, protocol: type) -> None:
    assert isinstance(fake(), protocol)
    names = _protocol_methods(protocol)
    assert names
    for name in names:
        expected = inspect.signature(getattr(protocol, name))
        actual = inspect.signature(getattr(fake, name))
        assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()
        ], name


def test_the_read_only_fakes_are_not_writers() -> None:
    assert not isinstance(StaticSearch(), DocumentStore)
    assert not isinstance(StaticDocuments(), Search)
    assert not isinstance(RecordingMailer(), Messenger)


# ---------------------------------------------------------------------------- idempotency


def test_same_key_twice_changes_nothing(crm: InMemoryCRM) -> None:
    first = with_d2001(crm)
    assert first == {
        "deal_id": "D-2001",
        "account_id": "A-NWL",
        "contact_ids": ["C-DW", "C-MC"],
        "lead_id": "L-5001",
        "created": True,
    }
    assert with_d2001(crm) == first  # "created": True, the first result replayed
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


def test_the_ledger_is_keyed_by_key_and_operation(crm: InMemoryCRM) -> None:
    with_d2001(crm)
    note = crm.add_note("D-2001", "x", idempotency_key="shared")
    task = crm.create_task(
        "D-2001", title="t", owner_id=None, due=None, notes="", idempotency_key="shared"
    )
    assert note["ref"] == "crm:note/1" and task["ref"] == "crm:task/1"
    assert len(crm.list_notes("D-2001")) == 1 and len(crm.list_tasks("D-2001")) == 1


def test_reads_and_results_are_copies(crm: InMemoryCRM) -> None:
    with_d2001(crm)
    result = crm.update_deal_fields("D-2001", {"pains": ["routing"]}, idempotency_key="f")
    result["changed"]["pains"].append("tampered")
    assert crm.update_deal_fields("D-2001", {}, idempotency_key="f")["changed"] == {
        "pains": ["routing"]
    }
    deal = crm.get_deal("D-2001")
    assert deal is not None
    deal.fields["pains"].append("tampered")
    crm.list_reps()[0].name = "Mallory"
    again = crm.get_deal("D-2001")
    assert again is not None and again.fields == {"pains": ["routing"]}
    assert crm.list_reps()[0].name == "Sam Rivera"


def test_a_failed_write_stores_nothing_and_can_be_retried(crm: InMemoryCRM) -> None:
    ghost = records(lead=LEAD.model_copy(update={"contact_id": "C-GHOST"}), contacts=[DANA])
    with pytest.raises(PermanentAdapterError, match="C-GHOST"):
        crm.upsert_records(**ghost, idempotency_key="up")
    # The account and contact written before the failure were rolled back; the key is free.
    assert crm.get_account("A-NWL") is None and crm.list_contacts("A-NWL") == []
    assert crm.get_deal("D-2001") is None
    assert crm.upsert_records(**records(), idempotency_key="up")["created"] is True
    with pytest.raises(PermanentAdapterError, match="close_date"):
        crm.update_deal_fields(
            "D-2001", {"pains": ["x"], "close_date": "soon"}, idempotency_key="f"
        )
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.fields == {}
    assert crm.update_deal_fields("D-2001", {"pains": ["x"]}, idempotency_key="f")["changed"] == {
        "pains": ["x"]
    }


# ---------------------------------------------------------------------------- receipts, audit


def test_receipts_are_stored_once_per_key(crm: InMemoryCRM) -> None:
    crm.record_receipt("D-2001", receipt("r1", note_id=1))
    crm.record_receipt("D-2001", receipt("r1", note_id=99))
    crm.record_receipt("D-9", receipt("r2"))
    got = crm.get_receipt("r1")
    assert isinstance(got, Receipt) and got.result == {"note_id": 1} and got.executed_at == NOW
    assert crm.get_receipt("nope") is None
    assert [r.idempotency_key for r in crm.list_receipts("D-2001")] == ["r1"]
    assert [r.idempotency_key for r in crm.list_receipts()] == ["r1", "r2"]
    # A successful retry replaces a failed receipt in place; nothing replaces a done one.
    crm.record_receipt("D-2001", receipt("r3", status="failed", error="timeout"))
    crm.record_receipt("D-2001", receipt("r3", status="done", note_id=3))
    crm.record_receipt("D-2001", receipt("r3", status="failed", error="late"))
    r3 = crm.get_receipt("r3")
    assert r3 is not None and r3.status == "done" and r3.result == {"note_id": 3}
    assert [r.idempotency_key for r in crm.list_receipts()] == ["r1", "r2", "r3"]
    # What a read returns is a copy.
    got.result["note_id"] = 2
    again = crm.get_receipt("r1")
    assert again is not None and again.result == {"note_id": 1}


def test_audit_is_append_only(crm: InMemoryCRM) -> None:
    crm.append_audit("D-2001", entry("a1", original_args={"rep_id": "rep-sam"}))
    crm.append_audit("D-2001", entry("a1", "executed"))
    crm.append_audit("D-3000", entry("b1"))
    assert [(e.action_id, e.decision) for e in crm.audit_log("D-2001")] == [
        ("a1", "approve"),
        ("a1", "executed"),
    ]
    assert len(crm.audit_log()) == 3
    assert crm.audit_log("D-2001")[0] == entry("a1", original_args={"rep_id": "rep-sam"})
    # Changing what a read returned changes nothing.
    log = crm.audit_log()
    log[0].actor = "mallory"
    log[0].original_args["rep_id"] = "rep-mallory"
    log.clear()
    assert [e.actor for e in crm.audit_log()] == ["jordan"] * 3
    assert crm.audit_log()[0].original_args == {"rep_id": "rep-sam"}
    # Changing the appended entry afterwards changes nothing either.
    appended = entry("c1")
    crm.append_audit("D-3000", appended)
    appended.decision = "reject"
    assert crm.audit_log("D-3000")[-1].decision == "approve"


def test_no_public_method_beyond_the_protocol_writes() -> None:
    """The only writers are the `CRM` protocol's; none of them changes or removes audit."""
    public = {
        name
        for name in dir(InMemoryCRM)
        if not name.startswith("_") and callable(getattr(InMemoryCRM, name))
    }
    extra_reads = {
        "list_deals",
        "list_tasks",
        "list_notes",
        "list_activities",
        "list_receipts",
        "stage_history",
        "find_account",  # research: an account by name (CLI)
        "similar_lost_deals",  # research: likely objections
    }
    # the decision ledger appends only; leases are lock rows, not CRM records
    trust = set(_protocol_methods(DecisionLedger)) | set(_protocol_methods(DealLeases))
    assert public == set(_protocol_methods(CRM)) | extra_reads | trust
    assert not any(
        word in name for name in public for word in ("delete", "remove", "clear", "edit")
    )


# ---------------------------------------------------------------------------- errors


def test_unknown_deal_or_rep_is_a_permanent_error(crm: InMemoryCRM) -> None:
    with pytest.raises(PermanentAdapterError, match="unknown deal id 'D-404'") as info:
        crm.add_note("D-404", "x", idempotency_key="k")
    assert info.value.adapter == "in_memory_crm" and info.value.operation == "add_note"
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
    with pytest.raises(PermanentAdapterError, match="stage"):
        crm.change_stage("D-2001", "  ", idempotency_key="k8")
    with pytest.raises(PermanentAdapterError, match="idempotency_key"):
        crm.add_note("D-2001", "x", idempotency_key="")
    # None of the failures left a trace, so the same keys still work.
    assert crm.add_note("D-2001", "x", idempotency_key="k")["ref"] == "crm:note/1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reps": [REPS[0], REPS[0]]}, "duplicate rep id 'rep-sam'"),
        ({"contacts": [DANA], "account_of": {"C-DW": "A-NOPE"}}, "unknown account 'A-NOPE'"),
        ({"account_of": {"C-NOPE": "A-NWL"}, "accounts": [ACCOUNT]}, "'C-NOPE'"),
        ({"deals": [DEAL], "lead_of": {"D-2001": "L-NOPE"}}, "unknown lead 'L-NOPE'"),
        ({"leads": [LEAD]}, "unknown contact 'C-DW'"),
        ({"closed_rows": [{"deal_id": "X"}]}, r"closed_rows\[0\] has missing column"),
        (
            {"deals": [DEAL], "closed_rows": [dict.fromkeys(CLOSED_DEAL_COLUMNS, "D-2001")]},
            "also a deal",
        ),
    ],
)
def test_bad_construction_is_a_data_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        InMemoryCRM(**kwargs)


# ---------------------------------------------------------------------------- construction


def test_constructed_records_are_linked_and_readable() -> None:
    won = Deal(
        id="D-1450",
        name="Route Planner pilot",
        stage="closed_lost",
        amount=30000,
        close_date=date(2025, 9, 18),
        fields={"lost_reason": "RouteMax on price"},
    )
    history = {
        "A-NWL": [
            HistoryRecord(
                ref="crm:activity/3",
                kind="activity",
                at=datetime(2025, 6, 12, tzinfo=UTC),
                title="Webinar attended",
                text="Dana attended the webinar.",
            )
        ]
    }
    given_row = dict.fromkeys(CLOSED_DEAL_COLUMNS, "")
    given_row.update(deal_id="CD-0001", outcome="won")
    crm = InMemoryCRM(
        reps=REPS,
        accounts=[ACCOUNT],
        contacts=[DANA, MARCUS],
        leads=[LEAD],
        deals=[DEAL.model_copy(update={"owner_id": "rep-sam"}), won],
        history=history,
        closed_rows=[given_row],
        account_of={"C-DW": "A-NWL", "C-MC": "A-NWL", "D-2001": "A-NWL", "D-1450": "A-NWL"},
        lead_of={"D-1450": "L-5001"},
        clock=lambda: NOW,
    )
    assert crm.get_account("A-NWL") == ACCOUNT
    assert crm.list_contacts("A-NWL") == [DANA, MARCUS]
    assert crm.get_lead("L-5001") == LEAD
    assert crm.open_deal_counts() == {"rep-sam": 1, "rep-priya": 0, "queue-inbound": 0}
    assert [d.id for d in crm.list_deals()] == ["D-2001", "D-1450"]
    lost = crm.get_deal("D-1450")
    assert lost is not None and lost.outcome == "lost"
    # Refs the CRM writes are numbered after the ones given.
    crm.log_activity("D-2001", Activity(at=NOW, kind="email"), idempotency_key="a")
    refs = [(r.ref, r.kind) for r in crm.account_history("A-NWL")]
    assert refs == [
        ("crm:activity/3", "activity"),
        ("crm:deal/D-1450", "deal"),
        ("crm:activity/4", "activity"),
    ]
    deal_record = crm.account_history("A-NWL")[1]
    assert "lost (closed_lost), amount 30,000" in deal_record.text
    assert "lost reason: RouteMax on price" in deal_record.text
    rows = crm.closed_deal_rows()
    assert [r["deal_id"] for r in rows] == ["CD-0001", "D-1450"]
    assert rows[0] == given_row
    assert set(rows[1]) == set(CLOSED_DEAL_COLUMNS)
    assert (rows[1]["seniority"], rows[1]["segment"], rows[1]["demo_requested"]) == (
        "vp",
        "mid_market",
        1,
    )
    assert rows[1]["closed_at"] == "2025-09-18" and rows[1]["outcome"] == "lost"


def test_concurrent_writes_from_threads(crm: InMemoryCRM) -> None:
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
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(crm.list_notes("D-2001")) == 10
    tasks = crm.list_tasks("D-2001")
    assert len(tasks) == 60 and len({t["id"] for t in tasks}) == 60


# ---------------------------------------------------------------------------- parity with SQLite


class Tick:
    """A clock both CRMs read; the test moves it between steps."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[InMemoryCRM, SQLiteCRM, Tick]]:
    tick = Tick()
    sample = tmp_path / "reps.json"
    sample.write_text(json.dumps({"reps": [r.model_dump(mode="json") for r in REPS]}), "utf-8")
    header_only = tmp_path / "closed.csv"
    header_only.write_text(",".join(CLOSED_DEAL_COLUMNS) + "\n", "utf-8")
    sqlite = SQLiteCRM(tmp_path / "crm.sqlite", clock=tick)
    assert sqlite.is_empty()
    sqlite.seed(sample, header_only)  # the reps only: assign_owner needs a known rep
    yield InMemoryCRM(reps=REPS, clock=tick), sqlite, tick
    sqlite.close()


def _outcome(call: Callable[[Any], Any], crm: Any) -> Any:
    """Return what `call(crm)` returns, or the error's type and its message sans adapter."""
    try:
        return call(crm)
    except AdapterError as exc:
        return (type(exc).__name__, exc.operation, str(exc).split(": ", 1)[1])


def test_same_writes_same_reads_as_sqlite(
    pair: tuple[InMemoryCRM, SQLiteCRM, Tick],
) -> None:
    memory, sqlite, tick = pair
    steps: list[Callable[[Any], Any]] = [
        lambda c: c.upsert_records(**records(), idempotency_key="up-1"),
        lambda c: c.upsert_records(**records(), idempotency_key="up-1"),
        lambda c: c.upsert_records(
            **records(lead=LEAD.model_copy(update={"contact_id": "C-GHOST"})),
            idempotency_key="up-ghost",
        ),
        lambda c: c.assign_owner("D-2001", "rep-sam", idempotency_key="own-1"),
        lambda c: c.assign_owner("D-2001", "rep-nobody", idempotency_key="own-2"),
        lambda c: c.update_deal_fields(
            "D-2001",
            {
                "amount": "52000",
                "close_date": date(2026, 12, 1),
                "next_step": "kickoff",
                "pains": ["routing", "visibility"],
                "when": date(2026, 11, 6),
            },
            idempotency_key="f-1",
        ),
        lambda c: c.update_deal_fields(
            "D-2001", {"pains": ["x"], "close_date": "soon"}, idempotency_key="f-bad"
        ),
        lambda c: c.update_deal_fields(
            "D-2001", {"stage": "qualified", "name": "Northwind - renamed"}, idempotency_key="f-2"
        ),
        lambda c: c.change_stage("D-2001", "discovery", idempotency_key="s-1"),
        lambda c: c.change_stage("D-2001", "discovery", idempotency_key="s-2"),
        lambda c: c.change_stage("D-2001", "proposal", idempotency_key="s-3"),
        lambda c: c.change_stage("D-2001", "discovery", idempotency_key="s-1"),
        lambda c: c.create_task(
            "D-2001",
            title="Send ROI model",
            owner_id="rep-sam",
            due=date(2026, 11, 6),
            notes="pricing too",
            idempotency_key="t-1",
        ),
        lambda c: c.create_task(
            "D-2001", title="Loop in CRO", owner_id=None, due=None, notes="", idempotency_key="t-2"
        ),
        lambda c: c.create_task(
            "D-404", title="x", owner_id=None, due=None, notes="", idempotency_key="t-3"
        ),
        lambda c: c.add_note("D-2001", "Discovery done", idempotency_key="n-1"),
        lambda c: c.add_note("D-2001", "Discovery done", idempotency_key="n-1"),
        lambda c: c.add_note("D-2001", "Second note", idempotency_key="n-2"),
        lambda c: c.log_activity(
            "D-2001",
            Activity(
                at=datetime(2026, 11, 7, 10, 30, tzinfo=UTC),
                kind="email_reply",
                direction="inbound",
                summary="Reviewing with Marcus",
            ),
            idempotency_key="a-1",
        ),
        lambda c: c.upsert_records(
            deal=Deal(id="D-2001", name="Northwind - again", stage="negotiation", fields={"x": 1}),
            account=None,
            contacts=[MARCUS.model_copy(update={"title": None, "role": "economic buyer"})],
            lead=None,
            idempotency_key="up-2",
        ),
        lambda c: c.upsert_records(
            deal=Deal(id="D-2002", name="Second deal", owner_id="rep-priya"),
            account=ACCOUNT.model_copy(update={"employees": 1500, "industry": None}),
            contacts=[],
            lead=None,
            idempotency_key="up-3",
        ),
        lambda c: c.record_receipt("D-2001", receipt("r1", note_id=1)),
        lambda c: c.record_receipt("D-2001", receipt("r1", note_id=99)),
        lambda c: c.record_receipt("D-9", receipt("r2", status="failed", error="timeout")),
        lambda c: c.record_receipt("D-9", receipt("r2", when=date(2026, 11, 6))),
        lambda c: c.record_receipt("D-2001", receipt("r3", status="failed")),
        lambda c: c.append_audit("D-2001", entry("a1", original_args={"rep_id": "rep-sam"})),
        lambda c: c.append_audit("D-2001", entry("a1", "executed", result={"ok": True})),
        lambda c: c.append_audit("D-3000", entry("b1", message="looks fine")),
        lambda c: c.change_stage("D-2001", "closed_won", idempotency_key="won"),
        lambda c: c.change_stage("D-2002", "closed_lost", idempotency_key="lost"),
    ]
    for i, step in enumerate(steps):
        tick.now = NOW + timedelta(minutes=i)
        assert _outcome(step, memory) == _outcome(step, sqlite), f"step {i}"

    reads: list[Callable[[Any], Any]] = [
        lambda c: c.get_deal("D-2001"),
        lambda c: c.get_deal("D-2002"),
        lambda c: c.get_deal("D-404"),
        lambda c: c.list_deals(),
        lambda c: c.get_account("A-NWL"),
        lambda c: c.list_contacts("A-NWL"),
        lambda c: c.get_lead("L-5001"),
        lambda c: c.list_reps(),
        lambda c: c.open_deal_counts(),
        lambda c: c.list_tasks("D-2001"),
        lambda c: c.list_notes("D-2001"),
        lambda c: c.list_activities("D-2001"),
        lambda c: c.stage_history("D-2001"),
        lambda c: c.account_history("A-NWL"),
        lambda c: c.closed_deal_rows(),
        lambda c: c.get_receipt("r2"),
        lambda c: c.list_receipts(),
        lambda c: c.list_receipts("D-2001"),
        lambda c: c.audit_log(),
        lambda c: c.audit_log("D-2001"),
    ]
    for i, read in enumerate(reads):
        assert read(memory) == read(sqlite), f"read {i}"
    # The comparison has teeth: the sequence left real data behind.
    deal = memory.get_deal("D-2001")
    assert deal is not None and deal.outcome == "won" and deal.amount == 52000
    assert deal.fields == {
        "next_step": "kickoff",
        "pains": ["routing", "visibility"],
        "when": "2026-11-06",
        "x": 1,
    }
    assert len(memory.list_tasks("D-2001")) == 2 and len(memory.list_notes("D-2001")) == 2
    assert len(memory.audit_log()) == 3 and len(memory.list_receipts()) == 3
    assert [r["deal_id"] for r in memory.closed_deal_rows()] == ["D-2001", "D-2002"]
    assert memory.open_deal_counts() == {"rep-sam": 0, "rep-priya": 0, "queue-inbound": 0}


# ---------------------------------------------------------------------------- recording writers


def test_recording_mailer_sends_once_per_key() -> None:
    mailer = RecordingMailer()
    first = mailer.send(
        to=["dana@x.com"], cc=["marcus@x.com"], subject="Hi", body="Hello", idempotency_key="m1"
    )
    assert first["recipients"] == ["dana@x.com", "marcus@x.com"]
    again = mailer.send(to=["other@x.com"], subject="Other", body="", idempotency_key="m1")
    assert again == first
    mailer.send(
        to=["dana@x.com"], subject="Next", body="", sender="sam@x.com", idempotency_key="m2"
    )
    assert [(m["subject"], m["sender"], m["cc"]) for m in mailer.sent] == [
        ("Hi", None, ["marcus@x.com"]),
        ("Next", "sam@x.com", []),
    ]
    with pytest.raises(PermanentAdapterError, match="recipient"):
        mailer.send(to=[], subject="x", body="", idempotency_key="m3")
    with pytest.raises(PermanentAdapterError, match="idempotency_key"):
        mailer.send(to=["a@x.com"], subject="x", body="", idempotency_key=" ")
    assert len(mailer.sent) == 2


def test_recording_messenger_posts_once_per_key() -> None:
    messenger = RecordingMessenger()
    first = messenger.post(channel="@sam", text="New lead", idempotency_key="p1")
    assert messenger.post(channel="#other", text="changed", idempotency_key="p1") == first
    messenger.post(channel="#deals", text="Won", idempotency_key="p2")
    assert messenger.posts == [
        {"channel": "@sam", "text": "New lead", "idempotency_key": "p1"},
        {"channel": "#deals", "text": "Won", "idempotency_key": "p2"},
    ]
    with pytest.raises(PermanentAdapterError, match="channel"):
        messenger.post(channel=" ", text="x", idempotency_key="p3")
    with pytest.raises(PermanentAdapterError, match="idempotency_key"):
        messenger.post(channel="#deals", text="x", idempotency_key="")


def test_recording_calendar_invites_once_per_key() -> None:
    calendar = RecordingCalendar()
    start = datetime(2026, 11, 10, 16, 0)  # naive: read as UTC
    args: dict[str, Any] = {
        "title": "Orbital x Northwind",
        "start": start,
        "end": start + timedelta(minutes=30),
        "attendees": ["dana@x.com"],
        "description": "CRO call",
    }
    first = calendar.invite(**args, idempotency_key="i1")
    assert calendar.invite(**{**args, "title": "changed"}, idempotency_key="i1") == first
    assert len(calendar.invites) == 1
    assert calendar.invites[0]["start"] == start.replace(tzinfo=UTC)
    assert calendar.invites[0]["title"] == "Orbital x Northwind"
    with pytest.raises(PermanentAdapterError, match="before it starts"):
        calendar.invite(**{**args, "end": start}, idempotency_key="i2")
    with pytest.raises(PermanentAdapterError, match="attendee"):
        calendar.invite(**{**args, "attendees": []}, idempotency_key="i3")
    assert len(calendar.invites) == 1


# ---------------------------------------------------------------------------- static readers


def test_static_search_serves_records_and_fails_on_demand() -> None:
    hits = [
        SearchResult(title=f"Hit {i}", url=f"https://example.com/{i}", content="c")
        for i in range(3)
    ]
    search = StaticSearch(hits)
    assert [h.title for h in search.search("Northwind news", max_results=2)] == ["Hit 0", "Hit 1"]
    assert len(search.search("Northwind")) == 3
    assert search.queries == [("Northwind news", 2), ("Northwind", 5)]
    with pytest.raises(InputError, match="empty"):
        search.search("  ")
    failing = StaticSearch(error=TransientAdapterError("429", adapter="t", operation="s"))
    with pytest.raises(TransientAdapterError):
        failing.search("Northwind")
    assert failing.queries == [("Northwind", 5)]


def test_static_documents_serve_by_account_id() -> None:
    doc = Document(path="northwind/a.md", title="A", text="Fleet grows.")
    store = StaticDocuments({"A-NWL": [doc]})
    assert store.documents_for(ACCOUNT) == [doc]
    assert store.documents_for(ACCOUNT.model_copy(update={"id": "A-OTHER"})) == []
    assert StaticDocuments().documents_for(ACCOUNT) == []


# ---------------------------------------------------------------------------- pattern deps


def test_fake_pattern_deps_defaults_are_offline_and_read_only() -> None:
    deps = fake_pattern_deps()
    assert isinstance(deps, PatternDeps)
    assert isinstance(deps.crm, ReadOnlyCRM) and isinstance(deps.crm, CRMReader)
    assert deps.crm.list_reps() == [] and deps.crm.closed_deal_rows() == []
    with pytest.raises(AttributeError, match="only the execute_actions node writes"):
        deps.crm.add_note  # noqa: B018
    assert not deps.llm.online
    assert deps.search is None
    assert deps.documents.documents_for(ACCOUNT) == []
    assert isinstance(deps.scorer, RulesScorer) and deps.scorer.engine == "rules"
    assert deps.scorer.version == RulesScorer(default_policy()).version
    assert deps.policy == default_policy()


def test_fake_pattern_deps_uses_what_it_is_given() -> None:
    crm = InMemoryCRM(reps=REPS)
    search = StaticSearch()
    documents = StaticDocuments({"A-NWL": [Document(path="p", title="t", text="x")]})
    llm = LLM(None, name="named")
    policy = default_policy()
    deps = fake_pattern_deps(crm=crm, policy=policy, llm=llm, documents=documents, search=search)
    assert deps.crm.list_reps() == crm.list_reps()
    assert deps.llm is llm and deps.search is search and deps.documents is documents
    assert deps.policy is policy
    scorer = RulesScorer(policy, note="custom")
    assert fake_pattern_deps(scorer=scorer).scorer is scorer
