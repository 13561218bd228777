"""Progress events of long steps: the custom stream, the sink, the CLI's bar."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from typing_extensions import TypedDict

from sales_operator import Deps, approve_all, build_operator
from sales_operator.cli import main
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.policy import default_policy
from sales_operator.progress import (
    Progress,
    ProgressBar,
    progress_of,
    progress_sink,
    render_bar,
    report_progress,
)
from sales_operator.runner import thread_config


class _S(TypedDict, total=False):
    n: int


def test_a_node_reports_through_the_custom_stream() -> None:
    def work(state: _S) -> _S:
        for i in range(3):
            report_progress("research", i + 1, 3, f"part {i + 1}")
        return {"n": 3}

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(_S)
    builder.add_node("work", work)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    graph = builder.compile()
    chunks = list(graph.stream({"n": 0}, stream_mode="custom"))
    assert chunks == [
        {"progress": {"step": "research", "done": i, "total": 3, "label": f"part {i}"}}
        for i in (1, 2, 3)
    ]
    assert [progress_of(c) for c in chunks] == [c["progress"] for c in chunks]
    # without stream_mode="custom" the same node runs and reports to no one
    assert graph.invoke({"n": 0}) == {"n": 3}


def test_report_outside_a_run_goes_to_the_sink_only() -> None:
    report_progress("training", 1, 2)  # no listener: nothing happens, nothing fails
    got: list[Progress] = []
    with progress_sink(got.append):
        report_progress("training", 5, 2, "over")  # clamped, never an error
        report_progress("training", -1, 0)
    report_progress("training", 1, 2)  # after the block: not received
    assert got == [
        {"step": "training", "done": 2, "total": 2, "label": "over"},
        {"step": "training", "done": 0, "total": 1, "label": ""},
    ]


def test_a_failing_display_does_not_fail_the_work(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: Progress) -> None:
        raise BrokenPipeError("stderr closed")

    with progress_sink(broken):
        report_progress("research", 1, 2, "x")  # no exception
    assert "progress callback failed: BrokenPipeError" in caplog.text


@pytest.mark.parametrize(
    "chunk",
    [
        None,
        "text",
        {"other": 1},
        {"progress": {"step": "mystery", "done": 1, "total": 2}},
        {"progress": {"step": "research", "done": "1", "total": 2}},
        {"progress": {"step": "research", "done": 1, "total": 0}},
    ],
)
def test_other_custom_chunks_are_not_progress(chunk: Any) -> None:
    assert progress_of(chunk) is None


def test_training_reports_its_boosting_rounds(tmp_path: Path) -> None:
    from sales_operator.scoring.model import read_closed_deals_csv, train_scorer

    got: list[Progress] = []
    with progress_sink(got.append):
        train_scorer(read_closed_deals_csv(), default_policy())
    rounds = [p for p in got if p["step"] == "training"]
    assert len(rounds) >= 2
    assert [p["done"] for p in rounds] == sorted(p["done"] for p in rounds)
    assert rounds[-1]["done"] == rounds[-1]["total"] and rounds[-1]["label"] == "trained"


def test_operator_streams_call_analysis_progress(deps: Deps) -> None:
    deps = deps
    graph = build_operator(deps, checkpointer=InMemorySaver())
    config = thread_config(SEED_DEAL_ID)
    seen: list[Progress | None] = []
    graph.invoke({"event": lifecycle_events()[0]}, config)
    request = graph.get_state(config).tasks[0].interrupts[0].value
    graph.invoke(Command(resume=approve_all(request, reviewer="mgr-jordan")), config)
    for _, chunk in graph.stream(
        {"event": lifecycle_events()[1]}, config, stream_mode="custom", subgraphs=True
    ):
        seen.append(progress_of(chunk))
    assert seen and None not in seen
    steps = [p["step"] for p in seen if p is not None]
    assert steps[0] == "meeting_analysis"
    assert [p["done"] for p in seen if p is not None] == [0, 1, 2]


def test_bar_draws_on_a_terminal_or_when_asked() -> None:
    quiet = io.StringIO()
    ProgressBar(quiet)({"step": "research", "done": 1, "total": 4, "label": "x"})
    assert quiet.getvalue() == ""  # not a terminal, not asked
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True, width=8, interval=0.0)
    bar({"step": "research", "done": 1, "total": 4, "label": "reading a long label"})
    bar({"step": "research", "done": 4, "total": 4, "label": "done"})
    bar({"step": "training", "done": 1, "total": 2, "label": ""})
    bar.close()
    text = out.getvalue()
    assert "[##......] 1/4 reading a long label" in text
    lines = text.split("\n")
    assert lines[0].endswith("[########] 4/4 done" + " " * (len("reading a long label") - 4))
    assert lines[1].strip().startswith("training") and text.endswith("\n")
    assert render_bar({"step": "training", "done": 0, "total": 3, "label": ""}, 3).startswith(
        "training         [...] 0/3"
    )


def test_cli_draws_progress_with_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "lead.json"
    event.write_text(json.dumps(lifecycle_events()[0]))
    w = ["--workdir", str(tmp_path / "work"), "--offline", "--sample"]
    assert main(["event", str(event), *w, "--progress"]) == 0
    err = capsys.readouterr().err
    assert "training" in err  # the first use trains the scoring model
    # speed_to_lead: the research runs once the lead's first request is decided
    assert "research" not in err
    assert main(["approve", "D-2001", *w, "--progress", "--reviewer", "mgr-jordan"]) == 0
    err = capsys.readouterr().err
    assert "research" in err and "4/4 brief written" in err
    w2 = ["--workdir", str(tmp_path / "work2"), "--offline", "--sample"]
    assert main(["event", str(event), *w2]) == 0  # no flag, not a terminal: no bars
    assert "[#" not in capsys.readouterr().err
