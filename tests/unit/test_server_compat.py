"""The state survives the LangGraph server's JSON view of checkpoints (no server needed)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import ormsgpack
import pytest
from langgraph.checkpoint.serde import _msgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer, _msgpack_ext_hook_to_json

from sales_operator.serde import (
    allowed_msgpack_modules,
    make_serializer,
    register_models_with_server,
)
from sales_operator.state import ActionItem, Commitment, Deal, DealState, Event, Quote

ROOT = Path(__file__).resolve().parents[2]


def _models() -> tuple[DealState, Commitment, ActionItem]:
    quote = Quote(speaker="Dana", text="We will decide by Friday.")
    state = DealState(
        deal_id="D-1",
        event=Event(type="lead_created", at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC)),
        deal=Deal(id="D-1", name="One", close_date=date(2026, 11, 27)),
    )
    commitment = Commitment(owner="Dana", text="decide", due=date(2026, 11, 6), quote=quote)
    item = ActionItem(owner="Sam", title="Send ROI", due=date(2026, 11, 5))
    return state, commitment, item


def test_dates_survive_the_servers_json_view_of_a_checkpoint() -> None:
    state, commitment, item = _models()
    serde = make_serializer()  # (a permissive one would use up LangGraph's warn-once)
    models: tuple[DealState | Commitment | ActionItem, ...] = (state, commitment, item)
    for model in models:
        kind, blob = serde.dumps_typed(model)
        assert kind == "msgpack"
        # what `/threads/{id}/state` reads: ext types turned into plain JSON values
        as_json = ormsgpack.unpackb(
            blob, ext_hook=_msgpack_ext_hook_to_json, option=ormsgpack.OPT_NON_STR_KEYS
        )
        json.dumps(as_json)  # plain JSON
        rebuilt = type(model).model_validate(as_json)
        assert rebuilt == model
        # and the ordinary path still gives dates back, not strings
        back = serde.loads_typed((kind, blob))
        assert back == model
    assert isinstance(serde.loads_typed(serde.dumps_typed(state.deal)).close_date, date)
    # the python-mode dump a checkpoint stores carries the date as ISO text
    assert state.deal is not None and state.deal.model_dump()["close_date"] == "2026-11-27"


def test_langgraph_json_registers_every_state_model() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    listed = config["checkpointer"]["serde"]["allowed_msgpack_modules"]
    assert sorted(map(tuple, listed)) == sorted(allowed_msgpack_modules())


def test_registration_for_the_server_silences_the_unregistered_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _msgpack.SAFE_MSGPACK_TYPES
    monkeypatch.setattr(_msgpack, "SAFE_MSGPACK_TYPES", original)  # restored after the test
    assert not set(allowed_msgpack_modules()) <= original
    register_models_with_server()
    register_models_with_server()  # idempotent
    assert set(allowed_msgpack_modules()) <= _msgpack.SAFE_MSGPACK_TYPES
    serde = JsonPlusSerializer()  # the server's kind: permissive, no allowlist of ours
    with caplog.at_level("WARNING"):
        state, _, _ = _models()
        assert serde.loads_typed(serde.dumps_typed(state)) == state
    assert "unregistered" not in caplog.text
