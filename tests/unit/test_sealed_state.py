"""The cached packed form: state models are read-only once packed, and reuse their bytes."""

from __future__ import annotations

import copy
import gc
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zstandard
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from sales_operator import serde as serde_module
from sales_operator.errors import ReadOnlyStateError
from sales_operator.sealed import FrozenDict, FrozenList, is_sealed, packed_form, sealed_count
from sales_operator.serde import allowed_msgpack_modules, make_serializer
from sales_operator.state import (
    Deal,
    DealState,
    Event,
    MeetingInsights,
    ProposedAction,
)
from tests.unit.test_state_serde import _rich_state


def _action(i: int = 1, **args: Any) -> ProposedAction:
    return ProposedAction(
        id=f"a{i}",
        kind="log_note",
        args={"deal_id": "D-1", "text": f"note {i}", "tags": ["x"], **args},
        description="note",
        proposed_by="workflow_copilot",
        event_id="e1",
        idempotency_key=f"k{i}",
    )


def _insights() -> MeetingInsights:
    meeting = _rich_state().meetings[0]  # a call with a commitment and its quote
    meeting.talk_ratio = {"Sam": 0.6, "Ana": 0.4}
    return meeting


def _raw(stored: tuple[str, bytes]) -> bytes:
    kind, data = stored
    return zstandard.ZstdDecompressor().decompress(data) if kind == "msgpack+zstd" else data


def test_a_packed_model_is_read_only_all_the_way_down() -> None:
    serde = make_serializer()
    meeting, action = _insights(), _action()
    meeting.summary = "still changeable before it is checkpointed"
    serde.dumps_typed({"meetings": [meeting], "proposed_actions": [action]})
    assert is_sealed(meeting) and is_sealed(action)
    with pytest.raises(ReadOnlyStateError, match=r"ProposedAction\.status.*model_copy"):
        action.status = "executed"
    with pytest.raises(ReadOnlyStateError):
        action.args["text"] = "changed behind the cache"
    with pytest.raises(ReadOnlyStateError):
        action.args["tags"].append("y")
    with pytest.raises(ReadOnlyStateError):
        meeting.commitments.append(meeting.commitments[0])
    with pytest.raises(ReadOnlyStateError):
        meeting.commitments[0].quote.text = "a nested model is sealed with its holder"
    with pytest.raises(ReadOnlyStateError):
        meeting.talk_ratio.update({"Sam": 1.0})
    with pytest.raises(ReadOnlyStateError):
        del meeting.summary
    with pytest.raises(TypeError):  # also a TypeError, as for any read-only object
        meeting.talk_ratio.pop("Sam")
    # nothing changed, and the object still packs to what LangGraph writes for it
    assert action.status == "pending" and action.args["tags"] == ["x"]
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    for value in (meeting, action):
        assert _raw(serde.dumps_typed(value)) == langgraph.dumps_typed(value)[1]


def test_a_changed_copy_packs_its_own_bytes_never_the_originals() -> None:
    serde = make_serializer()
    action = _action()
    first = serde.dumps_typed([action])
    executed = action.model_copy(update={"status": "executed"})
    assert not is_sealed(executed) and executed.status == "executed"
    executed.description = "a copy can be changed until it is packed itself"
    # with lists and dicts of its own (plain, so pydantic dumps it on its fast path)
    assert type(executed.args) is dict and type(executed.args["tags"]) is list
    executed.args["tags"].append("y")
    assert action.args["tags"] == ["x"]
    meeting = _insights()
    make_serializer().dumps_typed(meeting)
    later = meeting.model_copy(update={"summary": "s"})
    later.commitments.append(later.commitments[0])
    assert len(meeting.commitments) == 1
    with pytest.raises(ReadOnlyStateError):  # models inside stay shared, and read-only
        later.commitments[0].text = "changed"
    second = serde.dumps_typed([executed])
    assert second != first
    back = serde.loads_typed(second)[0]
    assert back.status == "executed" and back.description.startswith("a copy")
    assert back.args["tags"] == ["x", "y"]
    assert serde.loads_typed(first)[0].status == "pending"  # the original's bytes, as they were
    # a deep copy or a pickled copy is a plain, changeable object with plain containers
    for clone in (copy.deepcopy(action), pickle.loads(pickle.dumps(action))):
        assert clone == action and not is_sealed(clone)
        assert type(clone.args) is dict and type(clone.args["tags"]) is list
        clone.args["tags"].append("y")
        clone.status = "approved"
        assert serde.loads_typed(serde.dumps_typed(clone)) == clone
    assert action.args["tags"] == ["x"]
    # a shallow copy of a frozen container is a plain one
    assert type(copy.copy(action.args)) is dict and type(copy.copy(action.args["tags"])) is list


def test_frozen_containers_still_read_as_lists_and_dicts() -> None:
    action = _action()
    make_serializer().dumps_typed(action)
    args, tags = action.args, action.args["tags"]
    assert type(args) is FrozenDict and type(tags) is FrozenList
    assert isinstance(args, dict) and isinstance(tags, list)
    assert args == {"deal_id": "D-1", "text": "note 1", "tags": ["x"]} and tags == ["x"]
    assert json.loads(json.dumps(args)) == args
    assert {**args, "text": "new"}["text"] == "new" and [*tags, "y"] == ["x", "y"]
    assert action.model_dump()["args"] == args and type(action.model_dump()["args"]) is dict
    # a new model built from sealed parts takes plain containers of its own
    again = ProposedAction.model_validate(action.model_dump())
    again.args["text"] = "mine"
    assert action.args["text"] == "note 1"


def test_an_object_holding_something_changeable_is_packed_every_time() -> None:
    serde = make_serializer()
    event = Event(type="activity_logged", at=datetime(2026, 11, 2, tzinfo=UTC))
    event.payload["seen"] = {"a"}  # a set: it could change behind cached bytes
    serde.dumps_typed(event)
    assert not is_sealed(event) and packed_form(event) is None
    event.payload["seen"].add("b")
    event.payload["more"] = 1
    back = serde.loads_typed(serde.dumps_typed(event))
    assert back.payload == {"seen": {"a", "b"}, "more": 1}


def test_repacking_reuses_the_bytes_and_loading_them_back_gives_the_same_object() -> None:
    serde = make_serializer()
    action = _action()
    serde.dumps_typed([action])
    cached = packed_form(action)
    assert cached is not None
    calls = 0
    real_dump = ProposedAction.model_dump

    def counting_dump(self: Any, *a: Any, **k: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_dump(self, *a, **k)

    ProposedAction.model_dump = counting_dump  # type: ignore[method-assign]
    try:
        stored = [serde.dumps_typed({"proposed_actions": [action], "n": n}) for n in range(3)]
    finally:
        ProposedAction.model_dump = real_dump  # type: ignore[method-assign]
    assert calls == 0  # not dumped again
    loaded = [serde.loads_typed(s)["proposed_actions"][0] for s in stored]
    assert all(x is action for x in loaded)  # the sealed object itself, not a new one


def test_loading_a_row_written_elsewhere_validates_once_then_shares_a_sealed_object() -> None:
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    state = DealState(deal_id="D-9", deal=Deal(id="D-9", name="n", fields={"a": [1]}))
    row = langgraph.dumps_typed(dict(state))  # as another serializer, or process, wrote it
    serde = make_serializer()
    one, two = serde.loads_typed(row), serde.loads_typed(row)
    assert one["deal"] == state.deal and one["deal"] is two["deal"]
    assert is_sealed(one["deal"])
    with pytest.raises(ReadOnlyStateError):
        one["deal"].fields["a"].append(2)


def test_old_rows_still_load_and_a_stale_model_is_never_shared() -> None:
    import zlib

    import ormsgpack

    # a LeadScore that no longer validates is kept as stored (model_construct), uncached
    bad = ormsgpack.Ext(
        5,
        ormsgpack.packb(
            ("sales_operator.state", "LeadScore", {"probability": 7.0, "band": "A"}, "x")
        ),
    )
    data = ormsgpack.packb({"score": bad})
    serde = make_serializer()
    for row in (("msgpack", data), ("msgpack+zlib", zlib.compress(data, 1))):
        one, two = serde.loads_typed(row)["score"], serde.loads_typed(row)["score"]
        assert one.probability == 7.0 and one is not two and not is_sealed(one)
        one.band = "B"  # still an ordinary object
        assert two.band == "A"


def test_the_loaded_cache_is_bounded_by_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = serde_module._LoadedCache(64 * 1024)
    monkeypatch.setattr(serde_module, "_LOADED", cache)
    serde = make_serializer()
    before = sealed_count()
    for i in range(1000):  # a thousand deals' actions, each packed and loaded back
        row = serde.dumps_typed([_action(i, body="word " * 40)])
        assert serde.loads_typed(row)[0].id == f"a{i}"
        assert cache.size <= cache.max_bytes
    assert 0 < len(cache) < 1000 and cache.size == sum(len(k) for k in cache._items)
    gc.collect()
    # only what the cache still holds stays sealed in memory, not one entry per deal
    assert sealed_count() - before <= len(cache) * 8
    cache.clear()
    gc.collect()
    assert sealed_count() - before <= 8


def test_threads_packing_and_loading_the_same_objects_agree() -> None:
    serde = make_serializer()
    shared = [_action(i) for i in range(50)] + [_insights()]
    expected = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    reference = _raw(("msgpack", expected.dumps_typed(shared)[1]))
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(30):
                stored = serde.dumps_typed(shared)
                assert _raw(stored) == reference
                assert serde.loads_typed(stored) == shared
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_two_graphs_in_threads_end_as_the_same_deal_run_alone(tmp_path: Path, scorer: Any) -> None:
    from sales_operator import Deps, build_operator
    from sales_operator.approval import approve_all
    from sales_operator.demo import lifecycle_events
    from sales_operator.runner import pending_request, thread_config

    def run(folder: str, results: dict[str, Any]) -> None:
        deps = Deps.offline(tmp_path / folder, sample=True)
        deps.scorer = scorer
        graph = build_operator(deps, checkpointer=deps.checkpointer())
        deal_id = lifecycle_events()[0]["payload"]["deal"]["id"]
        config = thread_config(deal_id)
        for event in lifecycle_events()[:3]:
            graph.invoke({"event": event}, config)
            request = pending_request(graph, deal_id)
            while request is not None:
                graph.invoke(_resume(request), config)
                request = pending_request(graph, deal_id)
        values = graph.get_state(config).values
        results[folder] = {
            "actions": [(a.kind, a.status) for a in values["proposed_actions"]],
            "meetings": [m.model_dump(mode="json") for m in values["meetings"]],
            "score": values["score"].probability,
        }

    def _resume(request: Any) -> Any:
        from langgraph.types import Command

        return Command(resume=approve_all(request, reviewer="mgr-jordan"))

    alone: dict[str, Any] = {}
    run("alone", alone)
    both: dict[str, Any] = {}
    threads = [threading.Thread(target=run, args=(name, both)) for name in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert both["t1"] == both["t2"] == alone["alone"]
    assert alone["alone"]["actions"] and all(s == "executed" for _, s in alone["alone"]["actions"])


def test_a_checkpoint_written_by_another_process_loads_here(tmp_path: Path) -> None:
    db = tmp_path / "checkpoints.sqlite"
    writer = textwrap.dedent(
        f"""
        from langgraph.graph import StateGraph, START, END
        from sales_operator.serde import sqlite_checkpointer
        from sales_operator.state import DealState
        import tests.unit.test_sealed_state as t

        def put(state: DealState) -> dict:
            return {{"meetings": [t._insights()], "proposed_actions": [t._action(1)]}}

        def approve(state: DealState) -> dict:
            done = state.proposed_actions[0].model_copy(update={{"status": "executed"}})
            return {{"proposed_actions": [done]}}

        b = StateGraph(DealState)
        b.add_node(put)
        b.add_node(approve)
        b.add_edge(START, "put")
        b.add_edge("put", "approve")
        b.add_edge("approve", END)
        g = b.compile(checkpointer=sqlite_checkpointer({str(db)!r}))
        g.invoke({{"deal_id": "D-1"}}, {{"configurable": {{"thread_id": "D-1"}}}},
                 durability="sync")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run([sys.executable, "-c", writer], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    from sales_operator.serde import sqlite_checkpointer

    saver = sqlite_checkpointer(db)
    values = saver.get_tuple({"configurable": {"thread_id": "D-1"}}).checkpoint[  # type: ignore[union-attr]
        "channel_values"
    ]
    assert values["meetings"] == [_insights()]
    assert [a.status for a in values["proposed_actions"]] == ["executed"]
    assert values["proposed_actions"][0].model_copy(update={"status": "pending"}) == _action(1)
