"""Checkpointed models come back as models, also under strict msgpack deserialisation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import ormsgpack
import pytest
import zstandard
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from sales_operator.serde import make_serializer, sqlite_checkpointer
from sales_operator.state import (
    Commitment,
    DealState,
    LeadScore,
    MeetingInsights,
    ProposedAction,
    Quote,
    ScoreFactor,
)


def _rich_state() -> DealState:
    return DealState(
        deal_id="D-1",
        score=LeadScore(
            probability=0.78,
            band="A",
            factors=[ScoreFactor(feature="demo_requested", label="requested a demo", points=9)],
            model_version="v1",
            engine="xgboost",
            scored_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        ),
        meeting=MeetingInsights(
            call_id="c1",
            call_date=date(2026, 11, 4),
            commitments=[
                Commitment(
                    owner="Sam",
                    text="send ROI",
                    due=date(2026, 11, 6),
                    quote=Quote(speaker="Sam", text="I'll send it by Friday"),
                )
            ],
            engine="offline:rules",
        ),
        proposed_actions=[
            ProposedAction(
                id="a1",
                kind="log_note",
                args={"deal_id": "D-1", "text": "x"},
                description="note",
                proposed_by="workflow_copilot",
                event_id="e1",
                idempotency_key="a1",
            )
        ],
    )


def test_serializer_round_trips_models() -> None:
    serde = make_serializer()
    state = _rich_state()
    restored = serde.loads_typed(serde.dumps_typed(state))
    assert isinstance(restored, DealState)
    assert restored == state


def test_strict_msgpack_resume_in_a_new_process_gets_models(tmp_path: Path) -> None:
    db = tmp_path / "checkpoints.sqlite"
    writer = textwrap.dedent(
        f"""
        from typing import Any
        from langgraph.graph import StateGraph, START, END
        import sales_operator.serde
        from sales_operator.serde import sqlite_checkpointer
        from sales_operator.state import DealState
        import tests.unit.test_state_serde as t

        # plain msgpack rows, so that the unregistered reader below can read them at all
        sales_operator.serde.COMPRESS_MIN_BYTES = 2**62

        def put(state: DealState) -> dict[str, Any]:
            s = t._rich_state()
            return {{"deal_id": s.deal_id, "score": s.score, "meetings": s.meetings,
                     "proposed_actions": s.proposed_actions}}

        b = StateGraph(DealState)
        b.add_node(put)
        b.add_edge(START, "put")
        b.add_edge("put", END)
        g = b.compile(checkpointer=sqlite_checkpointer({str(db)!r}))
        g.invoke({{"deal_id": "D-1"}}, {{"configurable": {{"thread_id": "D-1"}}}})
        """
    )
    # Read the checkpoint straight from the saver (no graph, so no schema-derived allowlist):
    # only the serializer's registration can turn the stored bytes back into models.
    reader = textwrap.dedent(
        f"""
        import json, sqlite3
        from langgraph.checkpoint.sqlite import SqliteSaver
        from sales_operator.serde import sqlite_checkpointer
        import sys
        if sys.argv[1] == "ours":
            saver = sqlite_checkpointer({str(db)!r})
        else:
            saver = SqliteSaver(sqlite3.connect({str(db)!r}, check_same_thread=False))
        values = saver.get_tuple({{"configurable": {{"thread_id": "D-1"}}}}).checkpoint[
            "channel_values"]
        print(json.dumps({{k: type(v).__name__ for k, v in values.items()
                           if k in ("score", "meetings", "proposed_actions")}}
                         | {{"action0": type(values["proposed_actions"][0]).__name__,
                             "meeting0": type(values["meetings"][0]).__name__}}))
        """
    )
    env = {**os.environ, "LANGGRAPH_STRICT_MSGPACK": "true", "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run([sys.executable, "-c", writer], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = subprocess.run(
        [sys.executable, "-c", reader, "ours"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "Blocked deserialization" not in out.stderr
    types = json.loads(out.stdout.strip().splitlines()[-1])
    assert types == {
        "score": "LeadScore",
        "meetings": "list",
        "proposed_actions": "list",
        "action0": "ProposedAction",
        "meeting0": "MeetingInsights",
    }
    # The same bytes through an unregistered serializer come back as plain dicts.
    plain = subprocess.run(
        [sys.executable, "-c", reader, "plain"], env=env, capture_output=True, text=True
    )
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout.strip().splitlines()[-1])["score"] == "dict"


def test_sqlite_checkpointer_creates_its_folder(tmp_path: Path) -> None:
    saver = sqlite_checkpointer(tmp_path / "deep" / "cp.sqlite")
    assert (tmp_path / "deep" / "cp.sqlite").exists()
    assert list(saver.list(None)) == []


def test_user_checkpointer_gets_models_registered_and_keeps_its_storage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from sales_operator.serde import register_models

    saver = InMemorySaver()
    registered = register_models(saver)
    assert registered is not saver and registered.storage is saver.storage
    state = _rich_state()
    restored = registered.serde.loads_typed(registered.serde.dumps_typed(state))
    assert isinstance(restored, DealState) and restored == state
    with caplog.at_level("WARNING"):
        saver.serde.loads_typed(saver.serde.dumps_typed(state))
    assert "unregistered type" in caplog.text  # what an unregistered saver does
    caplog.clear()
    with caplog.at_level("WARNING"):
        registered.serde.loads_typed(registered.serde.dumps_typed(state))
    assert "unregistered type" not in caplog.text


def test_every_state_model_is_registered_for_the_checkpointer() -> None:
    import inspect

    from pydantic import BaseModel

    from sales_operator import state

    models = {
        obj
        for _, obj in inspect.getmembers(state, inspect.isclass)
        if issubclass(obj, BaseModel)
        and obj.__module__ == state.__name__
        and obj is not state._Model
    }
    missing = sorted(m.__name__ for m in models - set(state.STATE_MODELS))
    assert not missing, f"add to STATE_MODELS: {missing}"


def test_large_values_are_stored_compressed_and_old_plain_rows_still_load() -> None:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from sales_operator.serde import COMPRESS_MIN_BYTES

    serde = make_serializer()
    state = _rich_state()
    big = state.model_copy(update={"transcript": "we need routing " * 2000})
    kind, data = serde.dumps_typed(big)
    plain_kind, plain = JsonPlusSerializer(allowed_msgpack_modules=True).dumps_typed(big)
    assert (kind, plain_kind) == ("msgpack+zstd", "msgpack")
    assert len(data) * 5 < len(plain)
    assert serde.loads_typed((kind, data)) == big
    # a row written before compression (plain msgpack) reads back the same
    assert serde.loads_typed((plain_kind, plain)) == big
    # and so does a row written by the zlib codec this serializer used before zstd
    assert serde.loads_typed(("msgpack+zlib", zlib.compress(plain, 1))) == big
    # small values stay plain, readable by any LangGraph serializer
    small_kind, small = serde.dumps_typed({"deal_id": "D-1"})
    assert small_kind == "msgpack" and len(small) < COMPRESS_MIN_BYTES


# --- the fast codec: LangGraph's bytes, a shorter path ------------------------------------


class _Foreign(BaseModel):
    """A pydantic model that is not one of the state's."""

    name: str
    when: datetime


def _awkward_state() -> DealState:
    """A state whose untyped fields hold values msgpack cannot carry as they are."""
    from sales_operator.state import Event

    state = _rich_state()
    at = datetime(2026, 11, 2, 14, 5, 7, 123456, tzinfo=timezone(timedelta(hours=-5)))
    event = Event(
        type="meeting_completed",
        at=at,
        payload={
            "naive": datetime(2026, 1, 2, 3, 4, 5),
            "utc": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "day": date(2026, 2, 3),
            "clock": time(9, 30),
            "span": timedelta(days=2, seconds=5),
            "uuid": UUID(int=7),
            "money": Decimal("12.50"),
            "tags": {"b", "a"},
            "nested": [{"deep": [date(2026, 3, 4)]}],
            "model": _Foreign(name="x", when=at),
        },
    )
    return state.model_copy(update={"event": event, "events": [event, event]})


@pytest.mark.parametrize("make", [_rich_state, _awkward_state])
def test_the_fast_codec_writes_langgraphs_own_bytes(make: Any) -> None:
    from sales_operator.serde import allowed_msgpack_modules

    state = make()
    values = dict(state)  # a checkpoint's channel values: models, lists of models, strings
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    for value in (state, values, {"channel_values": values, "v": 4}):
        ours = make_serializer().dumps_typed(value)
        theirs = langgraph.dumps_typed(value)
        raw = ours[1]
        if ours[0] == "msgpack+zstd":
            raw = zstandard.ZstdDecompressor().decompress(raw)
        assert raw == theirs[1]  # any LangGraph serializer reads what we write (uncompressed)
        # and both read it back to the same values
        assert make_serializer().loads_typed(ours) == langgraph.loads_typed(theirs)


def test_the_fast_codec_reads_back_exactly_what_langgraph_reads() -> None:
    from sales_operator.serde import allowed_msgpack_modules

    state = _awkward_state()
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    ours = make_serializer()
    back = ours.loads_typed(ours.dumps_typed(state))
    reference = langgraph.loads_typed(langgraph.dumps_typed(state))
    assert isinstance(back, DealState)
    assert back == reference
    payload, expected = back.event.payload, reference.event.payload  # type: ignore[union-attr]
    for key in ("naive", "utc", "day", "clock", "span", "uuid", "money", "tags", "nested"):
        assert payload[key] == expected[key] and type(payload[key]) is type(expected[key])
    assert payload["utc"].tzinfo is not None and payload["naive"].tzinfo is None
    assert back.event.at == state.event.at  # type: ignore[union-attr]
    assert back.event.at.utcoffset() == timedelta(hours=-5)  # type: ignore[union-attr]
    # a model that is not the state's is LangGraph's business: it is refused by the
    # allowlist exactly as LangGraph refuses it (its fields come back as a dict)
    assert payload["model"] == expected["model"]
    assert isinstance(payload["model"], dict)


def test_a_stored_model_that_no_longer_validates_loads_as_langgraph_loads_it() -> None:
    from sales_operator.serde import allowed_msgpack_modules

    # a LeadScore whose probability breaks today's bounds: kept, not dropped
    stored = ormsgpack.Ext(
        5,
        ormsgpack.packb(
            ("sales_operator.state", "LeadScore", {"probability": 7.0, "band": "A"}, "x")
        ),
    )
    data = ("msgpack", ormsgpack.packb({"score": stored}))
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    ours = make_serializer().loads_typed(data)
    assert type(ours["score"]) is LeadScore and ours["score"].probability == 7.0
    assert ours == langgraph.loads_typed(data)


def test_an_allowlist_copy_keeps_the_fast_path_and_its_own_allowlist(
    caplog: pytest.LogCaptureFixture,
) -> None:
    serde = make_serializer()
    wider = serde.with_msgpack_allowlist([(_Foreign.__module__, "_Foreign")])
    assert wider is not serde
    value = {"state": _rich_state(), "foreign": _Foreign(name="y", when=datetime.now(UTC))}
    back = wider.loads_typed(wider.dumps_typed(value))
    assert isinstance(back["state"], DealState) and back["state"] == value["state"]
    assert isinstance(back["foreign"], _Foreign)  # the copy's allowlist, not the original's
    assert isinstance(serde.loads_typed(serde.dumps_typed(value))["foreign"], dict)


def test_rows_of_every_older_format_load_once_then_share_their_read_only_models() -> None:
    from sales_operator.errors import ReadOnlyStateError
    from sales_operator.serde import allowed_msgpack_modules

    state = _rich_state()
    values = dict(state)
    langgraph = JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())
    plain = langgraph.dumps_typed(values)  # as LangGraph itself, or an older version, wrote it
    rows = [
        plain,
        ("msgpack+zlib", zlib.compress(plain[1], 1)),
        ("msgpack+zstd", zstandard.ZstdCompressor(level=3).compress(plain[1])),
    ]
    serde = make_serializer()
    loaded = [serde.loads_typed(row) for row in rows]
    for back in loaded:
        assert back == values
        assert back["score"] is loaded[0]["score"]  # one validation, then the same object
        assert back["meetings"][0] is loaded[0]["meetings"][0]
    with pytest.raises(ReadOnlyStateError):
        loaded[0]["score"].factors.append(loaded[0]["score"].factors[0])
    # and they pack back to LangGraph's own bytes
    again = serde.dumps_typed(loaded[0])
    raw = (
        zstandard.ZstdDecompressor().decompress(again[1])
        if again[0] == "msgpack+zstd"
        else again[1]
    )
    assert raw == plain[1]
