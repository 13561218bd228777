"""Orphan blobs: a collector that takes only unreferenced blobs past a grace period."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import sales_operator.approval as approval
from sales_operator.blobs import BlobStore, blob_ref_of, references_in, resolve_text
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.deps import Deps
from sales_operator.errors import ConfigurationError, InputError
from sales_operator.graph import build_operator
from sales_operator.runner import collect_blobs, deal_state, recover_deal, send_event
from sales_operator.state import AuditEntry
from tests.policies import one_request
from tests.unit.test_inbox_index import _approve, _approve_every, _open

HOUR = 3600.0


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _age_all(store: BlobStore, seconds: float) -> None:
    for _, path in store.iter_blobs():
        _age(path, seconds)


def _files(store: BlobStore) -> set[str]:
    return {ref for ref, _ in store.iter_blobs()}


def test_collect_takes_only_old_unreferenced_blobs_and_a_dry_run_takes_none(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "blobs")
    kept, orphan, fresh = store.put("kept " * 100), store.put("orphan " * 100), store.put("new")
    _age_all(store, 2 * HOUR)
    _age(store.root / blob_ref_of("new")[12:14] / blob_ref_of("new")[12:], 0)
    crashed = store.root / kept[12:14] / ".tmp-crashed"
    crashed.write_bytes(b"half a blob")
    _age(crashed, 2 * HOUR)

    dry = store.collect({kept}, grace_s=HOUR)
    assert dry.dry_run and dry.blobs == 3 and dry.referenced == 1 and dry.young == 1
    assert dry.unreferenced == [orphan] and dry.temp_files == 1
    assert dry.unreferenced_bytes == len("orphan " * 100) + len(b"half a blob")
    assert dry.bytes == len("kept " * 100) + len("orphan " * 100) + len("new")
    assert _files(store) == {kept, orphan, fresh} and crashed.exists()  # nothing deleted

    done = store.collect({kept}, grace_s=HOUR, dry_run=False)
    assert done.unreferenced == [orphan] and done.as_dict()["unreferenced"] == 1
    assert _files(store) == {kept, fresh} and not crashed.exists()
    assert store.get(kept) == "kept " * 100
    assert store.collect({kept}, grace_s=HOUR, dry_run=False).unreferenced == []
    for bad in (-1.0, float("nan")):
        with pytest.raises(InputError, match="grace_s"):
            store.collect(set(), grace_s=bad, dry_run=False)
    assert _files(store) == {kept, fresh}


def test_storing_an_old_blob_again_protects_it_from_a_collection(tmp_path: Path) -> None:
    """An executor re-storing an old, unreferenced text gets it back: `put` touches it."""
    store = BlobStore(tmp_path / "blobs")
    ref = store.put("an email body " * 40)
    _age_all(store, 2 * HOUR)
    assert store.put("an email body " * 40) == ref  # the executor stores the same text again
    report = store.collect(set(), grace_s=HOUR, dry_run=False)  # its checkpoint: not yet
    assert report.unreferenced == [] and report.young == 1
    assert store.get(ref) == "an email body " * 40


def test_a_blob_touched_after_the_scan_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race itself: `put` touches the blob between the age check and the deletion."""
    import sales_operator.blobs as blobs

    store = BlobStore(tmp_path / "blobs")
    ref = store.put("racing " * 50)
    _age_all(store, 2 * HOUR)
    real_rename = os.rename

    def rename_after_a_put(src: Any, dst: Any) -> None:
        store.put("racing " * 50)  # the executor stores it just before the rename
        real_rename(src, dst)

    monkeypatch.setattr(blobs.os, "rename", rename_after_a_put)
    report = store.collect(set(), grace_s=HOUR, dry_run=False)
    assert report.unreferenced == [] and report.young == 1
    assert store.get(ref) == "racing " * 50
    assert not list(store.root.glob("??/.gc-*"))


def test_references_are_found_at_any_depth(tmp_path: Path) -> None:
    ref = blob_ref_of("x")
    entry = AuditEntry(
        at="2026-11-02T14:05:00Z",
        actor="system",
        action_id="a1",
        kind="send_email",
        decision="executed",
        original_args={"body": [f"see {ref} inline"]},
    )
    assert references_in({"k": (entry,)}) == {ref}
    assert references_in({ref: 1}) == {ref}
    assert references_in(["blob:sha256:nothex", 5, None]) == set()


def test_an_executor_crash_leaves_an_orphan_that_only_an_old_enough_collection_takes(
    tmp_path: Path, scorer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one request per lead (speed_to_lead off): each lead's texts are stored by one run
    deps, _ = _open(tmp_path / "work", scorer)
    graph = build_operator(one_request(deps), checkpointer=deps.checkpointer())
    assert deps.blobs is not None
    store = deps.blobs

    # a deal run to the end: its executed actions' texts are referenced by its checkpoints
    other = lifecycle_events()[0]
    other["payload"]["deal"]["id"], other["payload"]["lead"]["id"] = "D-GC1", "L-GC1"
    send_event(graph, other)
    _approve(graph, deps, "D-GC1")
    referenced = _files(store)
    assert referenced, "the executed actions stored no text by reference"

    # the executor dies after storing the seed deal's texts, before its checkpoint
    real = approval._text_by_reference
    stored: list[Any] = []

    def store_then_die(action: Any, d: Any) -> Any:
        stored.append(real(action, d))
        raise SystemExit("killed after writing a blob")

    monkeypatch.setattr(approval, "_text_by_reference", store_then_die)
    send_event(graph, lifecycle_events()[0])
    with pytest.raises(SystemExit):
        _approve(graph, deps)
    monkeypatch.setattr(approval, "_text_by_reference", real)
    orphans = _files(store) - referenced
    assert orphans, "the simulated crash left no blob behind"

    # fresh blobs are inside the grace period: a collection takes nothing
    young = collect_blobs(graph, dry_run=False)
    assert young.unreferenced == [] and young.young == len(orphans)
    _age_all(store, 2 * 24 * HOUR)
    dry = collect_blobs(graph)
    assert set(dry.unreferenced) == orphans and dry.referenced == len(referenced)
    assert _files(store) == referenced | orphans  # a dry run deletes nothing
    done = collect_blobs(graph, dry_run=False)
    assert set(done.unreferenced) == orphans
    assert _files(store) == referenced
    # the finished deal still reads its texts back
    for action in deal_state(graph, "D-GC1").proposed_actions:
        resolve_text(action.args, store)
    # and the crashed deal recovers: the executor stores its texts again
    recover_deal(graph, SEED_DEAL_ID)
    state = deal_state(graph, SEED_DEAL_ID)
    assert all(a.status == "executed" for a in state.proposed_actions)
    for action in state.proposed_actions:
        resolve_text(action.args, store)
    assert collect_blobs(graph, grace_s=0).unreferenced == []


def test_collect_blobs_needs_a_blob_folder(tmp_path: Path) -> None:
    deps = Deps.offline(tmp_path / "work", sample=True)
    deps.blobs = None
    with pytest.raises(ConfigurationError, match="blob folder"):
        collect_blobs(deps=deps)


def test_the_gc_command_reports_first_and_deletes_only_with_delete(
    tmp_path: Path, scorer: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from sales_operator.cli import main

    workdir = tmp_path / "work"
    w = ["--workdir", str(workdir), "--offline", "--sample"]
    assert main(["gc", *w, "--json"]) == 0  # an empty folder: nothing to do
    assert json.loads(capsys.readouterr().out)["blobs"] == 0
    store = BlobStore(workdir / "blobs")
    orphan = store.put("left behind by a crash " * 20)
    assert main(["gc", *w]) == 0
    out = capsys.readouterr().out
    assert "0 referenced, 1 unreferenced but younger than 24 h" in out
    _age_all(store, 2 * 24 * HOUR)
    assert main(["gc", *w]) == 0
    assert "would delete 1 unreferenced blobs" in capsys.readouterr().out
    assert _files(store) == {orphan}
    # no checkpoint at all: the wrong store (say, the LangGraph server's own); nothing goes
    assert main(["gc", *w, "--delete", "--grace-hours", "1"]) == 1
    assert "holds no checkpoint" in capsys.readouterr().err and _files(store) == {orphan}
    from sales_operator.runner import send_event

    deps, graph = _open(workdir, scorer)
    send_event(graph, lifecycle_events()[0])
    assert main(["gc", *w, "--delete", "--grace-hours", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["refs"] == [orphan] and report["unreferenced_bytes"] == len(
        "left behind by a crash " * 20
    )
    assert _files(store) == set()
    with pytest.raises(SystemExit):
        main(["gc", *w, "--grace-hours", "-1"])


def test_collect_blobs_reads_the_postgres_checkpoints_too(
    postgres_dsn: str, tmp_path: Path, scorer: Any
) -> None:
    deps = Deps.postgres(postgres_dsn, tmp_path / "w1", sample=True)
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    _approve_every(graph, deps)
    assert deps.blobs is not None
    referenced = _files(deps.blobs)
    assert referenced  # the executed actions' texts, referenced from Postgres checkpoints
    orphan = deps.blobs.put("nobody refers to this " * 20)
    _age_all(deps.blobs, 2 * 24 * HOUR)
    report = collect_blobs(graph, dry_run=False)
    assert report.unreferenced == [orphan] and report.referenced == len(referenced)
    assert _files(deps.blobs) == referenced
