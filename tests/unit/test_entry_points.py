"""`langgraph.json` points at real graphs: the operator and each pattern on its own."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph.state import CompiledStateGraph

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_graphs_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from langgraph.checkpoint.serde import _msgpack

    monkeypatch.setenv("SALES_OPERATOR_WORKDIR", str(tmp_path / "studio"))
    # graphs/ registers our models process-wide (for the server); undo it after this test
    monkeypatch.setattr(_msgpack, "SAFE_MSGPACK_TYPES", _msgpack.SAFE_MSGPACK_TYPES)
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert set(config["graphs"]) == {
        "sales_operator",
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
    }
    modules: dict[Path, Any] = {}
    for name, target in config["graphs"].items():
        path, attr = target.split(":")
        file = (ROOT / path).resolve()
        if file not in modules:
            spec = importlib.util.spec_from_file_location(f"_lg_{file.stem}", file)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            modules[file] = module
        graph = getattr(modules[file], attr)
        assert isinstance(graph, CompiledStateGraph), name
        # Studio brings its own checkpointer: the entry points must not carry one.
        assert graph.checkpointer is None, name
    operator = modules[(ROOT / "graphs/operator.py").resolve()].graph
    assert "approval_gate" in operator.get_graph().nodes
