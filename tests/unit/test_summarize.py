"""Tests for the extractive meeting summariser and the QMSum eval's ROUGE plumbing."""

from __future__ import annotations

import json

import pytest

from sales_operator.errors import TranscriptError
from sales_operator.meetings.summarize import (
    clean_text,
    content_tokens,
    meeting_sentences,
    summarize_meeting,
)
from sales_operator.meetings.transcript import parse_transcript

MEETING = [
    ("Project Manager", "Okay , um , welcome everybody . {vocalsound}"),
    (
        "Project Manager",
        "The agenda today is the functional design of the new remote control and its budget .",
    ),
    ("Marketing", "Mm-hmm . {vocalsound}"),
    (
        "Marketing",
        "Our survey says users find the remote control buttons too many and the design ugly .",
    ),
    ("User Interface", "Yeah . {disfmarker}"),
    (
        "User Interface",
        "I I think the remote control should have few buttons and a big L_C_D_ screen .",
    ),
    ("Industrial Designer", "The battery of the remote control costs two Euros per unit ."),
    ("Marketing", "I had pizza for lunch yesterday with my cousin ."),
    (
        "Project Manager",
        "So we decided the remote control will have few buttons and stay within the budget .",
    ),
    ("User Interface", "Uh-huh ."),
]


def _transcript(turns: list[tuple[str, str]] = MEETING):  # type: ignore[no-untyped-def]
    return parse_transcript(
        json.dumps([{"speaker": s, "text": t} for s, t in turns]), name="made-up", format="json"
    )


def test_clean_text_removes_tags_fillers_and_stutters() -> None:
    raw = "Um so how much how much {disfmarker} the the T_V_s , I I think . Mm-hmm . {vocalsound}"
    assert clean_text(raw) == "so how much the TVs, I think."
    assert clean_text("{vocalsound} {gap}") == ""


def test_content_tokens_drop_stop_words_and_stem() -> None:
    assert content_tokens("Yeah, the buttons are really big") == ["button", "big"]


def test_meeting_sentences_keep_turn_index_and_speaker() -> None:
    sentences = meeting_sentences(_transcript())
    first = sentences[0]
    assert (first.turn, first.speaker, first.text) == (0, "Project Manager", "Welcome everybody.")
    # turns with only tags and fillers give no sentence
    assert 2 not in {s.turn for s in sentences}
    assert any(s.text.endswith("big LCD screen.") for s in sentences)


def test_summary_picks_central_and_decision_sentences_within_budget() -> None:
    summary = summarize_meeting(_transcript(), max_words=40)
    lines = summary.splitlines()
    assert lines, summary
    words = sum(len(line.split(":", 1)[1].split()) for line in lines)
    assert words <= 40
    # the decision and the topic sentence are in; the off-topic lunch remark is not
    assert any(line.startswith("Project Manager: We decided") for line in lines)
    assert "pizza" not in summary
    assert "{" not in summary and "Um" not in summary
    # lines come back in spoken order
    spoken = " ".join(clean_text(t) for _, t in MEETING).lower()
    where = [spoken.find(line.split(": ", 1)[1][:15].lower()) for line in lines]
    assert -1 not in where and where == sorted(where)


def test_summary_is_deterministic_and_labels_optional() -> None:
    t = _transcript()
    assert summarize_meeting(t) == summarize_meeting(t)
    plain = summarize_meeting(t, speakers=False)
    assert "Project Manager:" not in plain and plain


def test_summary_edge_cases() -> None:
    assert summarize_meeting(_transcript([("A", "{vocalsound}"), ("B", "Um .")])) == ""
    one = summarize_meeting(
        _transcript([("A", " ".join(f"design{i} remote{i}" for i in range(20)))]), max_words=5
    )
    assert one.endswith("...") and len(one.split()) <= 1 + 5 + 1 + 1
    with pytest.raises(TranscriptError, match="max_words"):
        summarize_meeting(_transcript(), max_words=0)


def test_rouge_plumbing() -> None:
    pytest.importorskip("rouge_score")
    from evals.qmsum import Rouge, sentence_lines

    rouge = Rouge()
    same = rouge.score("The team decided on buttons.", "The team decided on buttons.")
    assert same == pytest.approx((100.0, 100.0, 100.0))
    r1, r2, _ = rouge.score("buttons decided team", "The team decided on buttons.")
    assert 0 < r1 < 100 and r2 == 0.0
    # stemming: "deciding" and "decided" share the stem
    assert rouge.score("deciding", "decided")[0] == pytest.approx(100.0)
    assert sentence_lines("One. Two? Three") == "One.\nTwo?\nThree"
