"""Tests for the extractive meeting summariser and the QMSum eval's ROUGE plumbing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sales_operator.errors import TranscriptError
from sales_operator.meetings.summarize import (
    centrality,
    clean_text,
    content_tokens,
    meeting_sentences,
    summarize_meeting,
    tfidf_vectors,
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


def _dense_pagerank(vectors: np.ndarray, iterations: int = 50, damping: float = 0.85) -> np.ndarray:
    """TextRank the textbook way: the full n x n similarity matrix (the reference)."""
    n = vectors.shape[0]
    sim = np.clip(vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(sim, 0.0)
    out_weight = sim.sum(axis=1, keepdims=True)
    dangling = out_weight[:, 0] == 0
    out_weight[dangling] = 1.0
    transition = sim / out_weight
    transition[dangling] = 1.0 / n
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (transition.T @ rank)
    return rank


@pytest.mark.parametrize("seed", range(6))
def test_centrality_equals_pagerank_over_the_full_similarity_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(2, 80)), int(rng.integers(1, 50))
    weights = rng.random((n, width)) * (rng.random((n, width)) < rng.uniform(0.02, 0.4))
    weights[0] = 0.0  # a sentence without weighted words
    weights[1] = 0.0
    weights[1, -1] = 1.0  # a word no other sentence has: no edge (dangling), like row 0
    weights[2:, -1] = 0.0
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    vectors = weights / np.where(norms == 0, 1.0, norms)
    got = centrality(vectors)
    assert got.shape == (n,)
    assert np.allclose(got, _dense_pagerank(vectors), rtol=1e-12, atol=1e-15)
    assert got.sum() == pytest.approx(1.0)


def test_centrality_on_a_real_meeting_matches_the_reference() -> None:
    candidates = [s for s in meeting_sentences(_transcript()) if s.tokens]
    vectors = tfidf_vectors(candidates)
    assert np.allclose(centrality(vectors), _dense_pagerank(vectors), rtol=1e-12)
