"""The AMI action-item scorer: spans, turn slack, one match per gold item, due phrases."""

from __future__ import annotations

from pathlib import Path

from evals.ami_actions import load_gold, run, score

GOLD = [
    {"meeting": "M", "type": "scope", "turns": [10, 20]},
    {
        "meeting": "M",
        "type": "commitment",
        "turns": [12],
        "text": "a",
        "due_phrase": "in thirty minutes",
    },
    {"meeting": "M", "type": "commitment", "turns": [18], "text": "b", "due_phrase": None},
    {"meeting": "M", "type": "decision", "turns": [15, 16], "text": "d"},
]


def test_score_counts_inside_the_spans_with_one_turn_of_slack() -> None:
    preds = {
        "M": {
            "commitment": [
                {
                    "turn": 13,
                    "text": "x",
                    "due": "in 30 minutes",
                },  # matches a; due shares "minutes"
                {"turn": 13, "text": "y", "due": None},  # a is taken: a false alarm
                {"turn": 40, "text": "z", "due": None},  # outside every span: not counted
                {"turn": None, "text": "w", "due": None},  # quote not found: not counted
            ],
            "decision": [{"turn": 16, "text": "d'"}],
        }
    }
    s = score(GOLD, preds)
    assert (s["commitment"]["tp"], s["commitment"]["predicted"], s["commitment"]["gold"]) == (
        1,
        2,
        2,
    )
    assert s["commitment"]["precision"] == 0.5 and s["commitment"]["recall"] == 0.5
    assert s["commitment"]["due_phrase"] == {
        "matched_with_gold_due": 1,
        "due_phrase_right": 1,
        "rate": 1.0,
    }
    assert s["decision"]["recall"] == 1.0
    assert [m["text"] for m in s["misses"]] == ["b"]


def test_the_gold_file_is_large_enough() -> None:
    rows = load_gold()
    assert len({r["meeting"] for r in rows}) >= 20
    assert sum(r["type"] == "commitment" for r in rows) >= 20
    assert sum(r["type"] == "decision" for r in rows) >= 20


def test_the_section_skips_without_data(tmp_path: Path) -> None:
    assert run(tmp_path, tmp_path / "absent").status == "skipped"
