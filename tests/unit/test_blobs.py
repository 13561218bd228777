"""Long transcripts live in the content-addressed blob folder; the checkpoints hold references."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sales_operator.approval import approve_all
from sales_operator.blobs import (
    ACTION_TEXT_MIN_BYTES,
    BlobError,
    BlobStore,
    blob_ref_of,
    externalize_text,
    is_ref,
    resolve_text,
)
from sales_operator.demo import lifecycle_events
from sales_operator.deps import Deps
from sales_operator.events import event_id_for, parse_event
from sales_operator.graph import build_operator
from sales_operator.runner import pending_request, resume_deal, send_event, thread_config
from tests.policies import answer_every

LINE = "Dana Whitfield: we still dispatch every truck by hand and it is slow, " * 10 + "\n"
TRANSCRIPT = "Sam Rivera: thanks for the time, Dana.\n" + LINE * 300  # ~200 KB


def test_blobs_are_content_addressed_and_checked(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    ref = store.put("hello")
    assert ref == blob_ref_of("hello") and is_ref(ref)
    assert store.put("hello") == ref and store.get(ref) == "hello"
    assert len(list((tmp_path / "blobs").rglob("*"))) == 2  # one folder, one file
    path = next(p for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    path.write_text("tampered", "utf-8")
    with pytest.raises(BlobError, match="damaged"):
        store.get(ref)
    with pytest.raises(BlobError, match="not in"):
        store.get(blob_ref_of("never stored"))
    with pytest.raises(BlobError, match="not a blob reference"):
        store.get("../../etc/passwd")


def _meeting(call_id: str, day: int) -> dict[str, Any]:
    return {
        "type": "meeting_completed",
        "at": f"2026-11-{day:02d}T16:00:00Z",
        "payload": {"deal_id": "D-2001", "call_id": call_id, "transcript": TRANSCRIPT},
    }


def _checkpoint_growth(workdir: Path, *, blobs: bool) -> tuple[int, Any, Deps]:
    deps = Deps.offline(workdir, sample=True)
    if not blobs:
        deps.blobs = None
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    resume_deal(
        graph,
        "D-2001",
        approve_all(
            pending_request(graph, "D-2001") or {"action_requests": []}, reviewer="mgr-jordan"
        ),
        policy=deps.policy,
    )

    def size() -> int:  # the bytes stored in checkpoints and pending writes (compressed or not)
        db = sqlite3.connect(workdir / "checkpoints.sqlite")
        try:
            (n,) = db.execute(
                "SELECT (SELECT COALESCE(SUM(LENGTH(checkpoint)), 0) FROM checkpoints)"
                " + (SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes)"
            ).fetchone()
        finally:
            db.close()
        return int(n)

    before = size()
    for i, day in enumerate((4, 5)):
        send_event(graph, _meeting(f"call-{i}", day))
        request = pending_request(graph, "D-2001")
        if request is not None:
            rejections = [{"type": "reject", "message": "no"} for _ in request["action_requests"]]
            resume_deal(
                graph,
                "D-2001",
                {"decisions": rejections},
                policy=deps.policy,
                reviewer="mgr-jordan",
            )
    return size() - before, graph, deps


def test_the_state_holds_a_reference_and_the_checkpoints_stay_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # compare what is stored, not how well zlib folds this transcript's repeated line
    monkeypatch.setattr("sales_operator.serde.COMPRESS_MIN_BYTES", 2**62)
    growth, graph, deps = _checkpoint_growth(tmp_path / "blobs", blobs=True)
    values = graph.get_state(thread_config("D-2001")).values
    ref = blob_ref_of(TRANSCRIPT)
    assert values["transcript"] == ref
    assert values["event"].payload == {
        "deal_id": "D-2001",
        "call_id": "call-1",
        "transcript_ref": ref,
    }
    assert all("transcript" not in e.payload for e in values["events"])
    assert deps.blobs is not None and deps.blobs.get(ref) == TRANSCRIPT
    meeting = values["meetings"][-1]  # the latest call, kept once (`DealState.meeting`)
    assert meeting.call_id == "call-1" and meeting.pains  # it was analysed
    assert [m.call_id for m in values["meetings"]] == ["call-0", "call-1"]

    inline_growth, _, _ = _checkpoint_growth(tmp_path / "inline", blobs=False)
    assert growth * 3 < inline_growth, (growth, inline_growth)


def test_an_event_keeps_its_id_once_its_transcript_is_a_reference(tmp_path: Path) -> None:
    event, _ = parse_event(_meeting("call-9", 6))
    moved = event.model_copy(
        update={
            "payload": {
                "deal_id": "D-2001",
                "call_id": "call-9",
                "transcript_ref": blob_ref_of(TRANSCRIPT),
            }
        }
    )
    assert event_id_for("D-2001", event) == event_id_for("D-2001", moved)


def test_send_event_keeps_the_transcript_out_of_every_checkpoint(tmp_path: Path) -> None:
    import sqlite3

    deps = Deps.offline(tmp_path / "w", sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    resume_deal(
        graph,
        "D-2001",
        approve_all(
            pending_request(graph, "D-2001") or {"action_requests": []}, reviewer="mgr-jordan"
        ),
        policy=deps.policy,
    )
    marker = LINE * 2  # a quote may repeat a sentence; only the transcript holds two lines
    send_event(graph, _meeting("call-x", 4))
    send_event(graph, _meeting("call-x", 4))  # the same event again: nothing new runs
    with sqlite3.connect(tmp_path / "w" / "checkpoints.sqlite") as db:
        rows = db.execute("SELECT checkpoint FROM checkpoints").fetchall()
        rows += db.execute("SELECT value FROM writes").fetchall()
    assert rows and not any(marker.encode() in (r[0] or b"") for r in rows)
    assert marker in deps.blobs.get(blob_ref_of(TRANSCRIPT))  # type: ignore[union-attr]
    events = graph.get_state(thread_config("D-2001")).values["events"]
    assert sum(1 for e in events if e.type == "meeting_completed") == 1


def test_the_follow_up_reads_a_transcript_kept_in_the_blob_folder(tmp_path: Path) -> None:
    deps = Deps.offline(tmp_path / "w", sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    lead, call = lifecycle_events()[:2]
    send_event(graph, lead)
    assert answer_every(graph, deps) == 2  # the lead's two requests (speed_to_lead)
    send_event(graph, call)
    values = graph.get_state(thread_config("D-2001")).values
    assert is_ref(values["transcript"])  # the seed call is long enough to be kept by reference
    request = pending_request(graph, "D-2001")
    assert request is not None
    [email] = [a for a in request["action_requests"] if a["name"] == "send_email"]
    body = email["args"]["body"]
    assert "You asked how we handle security" in body  # a request only the transcript holds
    assert "rollout plan by hub" in body


def test_long_strings_go_to_the_blob_folder_and_come_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    body = "Hi Dana, the ROI model we discussed is attached. " * 20
    args = {"to": ["dana@x.test"], "body": body, "fields": {"notes": body, "n": 3}, "k": [body]}
    out = externalize_text(args, store, min_bytes=256)
    assert out["to"] == ["dana@x.test"] and out["fields"]["n"] == 3  # short and non-text stay
    assert out["body"] == out["fields"]["notes"] == out["k"][0] == blob_ref_of(body)
    assert args["body"] == body  # the input is not changed
    assert resolve_text(out, store) == args
    assert externalize_text(out, store, min_bytes=256) == out  # a reference stays a reference
    with pytest.raises(BlobError, match="not in"):
        resolve_text({"body": blob_ref_of("never stored")}, store)


@pytest.mark.parametrize("blobs", [True, False])
def test_executed_actions_keep_their_long_text_by_reference(tmp_path: Path, blobs: bool) -> None:
    deps = Deps.offline(tmp_path / "work", sample=True)
    if not blobs:
        deps.blobs = None
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    first = pending_request(graph, "D-2001")  # owner and notice first (speed_to_lead)
    assert first is not None
    resume_deal(graph, "D-2001", approve_all(first, reviewer="mgr-jordan"), policy=deps.policy)
    request = pending_request(graph, "D-2001")  # the second: the first-touch email
    assert request is not None
    # the reviewer sees the text itself, never a reference
    pending = graph.get_state(thread_config("D-2001")).values["proposed_actions"]
    email = next(a for a in pending if a.kind == "send_email")
    body = email.args["body"]
    assert len(body) >= ACTION_TEXT_MIN_BYTES and not is_ref(body)
    shown = [r for r in request["action_requests"] if r.get("args", {}).get("body") == body]
    assert shown, "the request shows the email's body"
    resume_deal(graph, "D-2001", approve_all(request, reviewer="mgr-jordan"), policy=deps.policy)
    done = graph.get_state(thread_config("D-2001")).values["proposed_actions"]
    sent = next(a for a in done if a.id == email.id)
    assert sent.status == "executed"
    if not blobs:
        assert sent.args == email.args
        return
    assert deps.blobs is not None
    assert sent.args["body"] == blob_ref_of(body) and sent.args["to"] == email.args["to"]
    assert resolve_text(sent.args, deps.blobs) == email.args
    # the audit in the CRM keeps the text as approved
    entry = next(e for e in deps.crm.audit_log("D-2001") if e.action_id == email.id)
    assert entry.original_args["body"] == body
