"""`gc` reads the checkpointer's stored rows once, without rebuilding any state.

The references it finds must be exactly those a walk of every rebuilt checkpoint finds
(`list(None)`, the generic path every saver supports), on SQLite and Postgres, for every
stored type: plain msgpack, zstd and zlib rows, and a type only the serializer can read.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest

from sales_operator.blob_scan import _scan, checkpoint_references, rebuilt_references
from sales_operator.blobs import BLOB_PREFIX, blob_ref_of, references_in
from sales_operator.demo import lifecycle_events
from sales_operator.deps import Deps
from sales_operator.graph import build_operator
from sales_operator.runner import collect_blobs, pending_request, send_event
from sales_operator.serde import make_serializer
from sales_operator.state import AuditEntry
from tests.unit.test_inbox_index import _approve, _open


def _by_list(saver: Any) -> tuple[set[str], int]:
    """The generic path: rebuild every checkpoint and walk it (what gc did before)."""
    found: set[str] = set()
    return found, rebuilt_references(saver, found)


def _audit_scan_agrees(deps: Deps) -> None:
    """The audit's references read from its stored text are those of its entries."""
    _audit_a_reference(deps)
    audit = references_in(deps.crm.audit_log())
    assert audit and deps.crm.audit_blob_references() == audit  # type: ignore[attr-defined]


def _lifecycle(graph: Any, deps: Deps, deal_id: str) -> None:
    """Run the seed lifecycle re-keyed to `deal_id`, approving every request."""
    for event in lifecycle_events():
        payload = event["payload"]
        if event["type"] == "lead_created":
            payload["deal"]["id"], payload["lead"]["id"] = deal_id, f"L-{deal_id}"
        elif "deal_id" in payload:
            payload["deal_id"] = deal_id
        send_event(graph, event, deal_id=deal_id)
        while pending_request(graph, deal_id, deps=deps) is not None:
            _approve(graph, deps, deal_id)


def _audit_a_reference(deps: Deps) -> str:
    """Record an audit entry whose arguments hold a reference (an executed text, say)."""
    ref = blob_ref_of("an executed email body, stored by reference")
    entry = AuditEntry.model_validate(
        {
            "at": "2026-12-07T00:00:00Z",
            "actor": "system",
            "action_id": "a-audit",
            "kind": "send_email",
            "decision": "executed",
            "original_args": {"body": ref, "subject": "Hi"},
        }
    )
    deps.crm.append_audit("D-S1", entry)  # type: ignore[attr-defined]
    return ref


@pytest.fixture
def store(tmp_path: Path, scorer: Any) -> tuple[Deps, Any]:
    deps, graph = _open(tmp_path / "work", scorer)
    for deal_id in ("D-S1", "D-S2"):
        _lifecycle(graph, deps, deal_id)
    send_event(graph, lifecycle_events()[0])  # the seed lead, its request left waiting
    return deps, graph


def test_the_row_scan_finds_exactly_what_rebuilt_checkpoints_hold(
    store: tuple[Deps, Any],
) -> None:
    deps, graph = store
    saver = graph.checkpointer
    expected, n = _by_list(saver)
    assert len(expected) >= 4  # executed texts and transcripts, by reference
    found: set[str] = set()
    assert checkpoint_references(saver, found) == n
    assert found == expected
    _audit_scan_agrees(deps)


def test_a_file_sqlite_cannot_open_read_only_is_read_through_the_saver(
    store: tuple[Deps, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sales_operator import blob_scan

    _, graph = store
    saver = graph.checkpointer
    expected, n = _by_list(saver)
    monkeypatch.setattr(blob_scan, "_read_only", lambda path: None)
    found: set[str] = set()
    assert checkpoint_references(saver, found) == n
    assert found == expected


def test_gc_rebuilds_no_state(store: tuple[Deps, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite nothing is loaded through the serializer and `list` is not called."""
    deps, graph = store
    saver = graph.checkpointer
    expected = collect_blobs(graph, grace_s=0)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a checkpoint was rebuilt")

    monkeypatch.setattr(type(saver), "list", refuse)
    monkeypatch.setattr(type(saver.serde), "loads_typed", refuse)
    monkeypatch.setattr(type(deps.crm), "audit_log", refuse)
    again = collect_blobs(graph, grace_s=0)
    assert again.as_dict() == expected.as_dict()
    assert again.referenced > 0


def test_an_in_memory_sqlite_saver_is_read_through_its_own_connection() -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    saver = SqliteSaver(sqlite3.connect(":memory:", check_same_thread=False))
    saver.serde = make_serializer()
    saver.setup()
    ref, other = blob_ref_of("kept in memory"), blob_ref_of("in a pending write")
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    checkpoint = {
        "v": 1,
        "id": "1",
        "ts": "2026-12-07T00:00:00+00:00",
        "channel_values": {"note": f"see {ref}"},
        "channel_versions": {"note": 1},
        "versions_seen": {},
    }
    saved = saver.put(config, checkpoint, {"source": "input", "step": -1}, {"note": 1})  # type: ignore[arg-type]
    saver.put_writes(saved, [("note", {"deep": [other]})], "task-1")
    found: set[str] = set()
    assert checkpoint_references(saver, found) == 1
    assert found == _by_list(saver)[0] == {ref, other}


class _Opaque:
    """A serializer whose stored type this module cannot read raw."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.asked: list[str] = []

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        self.asked.append(data[0])
        return self.value


def test_every_stored_type_is_read() -> None:
    serde = make_serializer()
    refs = [blob_ref_of(f"text {i}") for i in range(3)]
    entry = AuditEntry.model_validate(
        {
            "at": "2026-12-07T00:00:00Z",
            "actor": "system",
            "action_id": "a-1",
            "kind": "send_email",
            "decision": "executed",
            "original_args": {"body": refs[0]},
        }
    )
    small = {"a": [refs[1]], refs[2]: 1}
    big = {"entry": entry, "pad": "x" * 5000, "nested": [{"k": (refs[1],)}]}
    for value in (small, big):
        kind, data = serde.dumps_typed(value)
        found: set[str] = set()
        _scan(serde, kind, data, found)
        assert found == references_in(value), kind
    kinds = {serde.dumps_typed(v)[0] for v in (small, big)}
    assert kinds == {"msgpack", "msgpack+zstd"}
    # rows written before zstd, as memoryview (Postgres BYTEA) too
    _, packed = serde.dumps_typed(small)
    found = set()
    _scan(serde, "msgpack+zlib", memoryview(zlib.compress(packed)), found)
    assert found == references_in(small)
    # a type only the serializer reads goes through it
    opaque = _Opaque({"x": refs[0]})
    found = set()
    _scan(opaque, "encrypted+msgpack", b"\x00\x01", found)
    assert found == {refs[0]} and opaque.asked == ["encrypted+msgpack"]
    # metadata and JSONB text rows
    found = set()
    _scan(serde, None, f'{{"writes": "{refs[2]}"}}', found)
    assert found == {refs[2]}
    found = set()
    _scan(serde, "null", b"", found)
    _scan(serde, "msgpack", b"blob:sha256:" + b"z" * 64, found)
    assert found == set()
    assert all(r.startswith(BLOB_PREFIX) for r in refs)


def test_a_saver_it_does_not_know_falls_back_to_list() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    assert checkpoint_references(InMemorySaver(), set()) is None


def test_postgres_rows_give_what_rebuilt_checkpoints_hold(
    postgres_dsn: str, tmp_path: Path, scorer: Any
) -> None:
    deps = Deps.postgres(postgres_dsn, tmp_path / "w1", sample=True)
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    _lifecycle(graph, deps, "D-P1")
    send_event(graph, lifecycle_events()[0])
    saver = graph.checkpointer
    expected, n = _by_list(saver)
    assert expected
    found: set[str] = set()
    assert checkpoint_references(saver, found) == n
    assert found == expected
    _audit_scan_agrees(deps)
