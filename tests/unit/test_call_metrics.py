"""Deterministic conversation metrics: talk ratio, monologue, interactivity, patience, fillers."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from sales_operator.meetings.analyze import speaker_sides
from sales_operator.meetings.metrics import DEFAULT_FILLER_WORDS, call_metrics
from sales_operator.meetings.transcript import parse_transcript, read_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)

SEGMENTS = [
    {
        "speaker": "Dana",
        "start": 0.0,
        "end": 10.0,
        "text": "Um, we plan routes by hand. Uh, daily.",
    },
    {"speaker": "Sam", "start": 12.0, "end": 20.0, "text": "How long does it take? Um."},
    {"speaker": "Dana", "start": 20.5, "end": 30.0, "text": "Three hours. You know, it hurts."},
    {"speaker": "Sam", "start": 30.0, "end": 50.0, "text": "Got it. Let me show you."},
    {"speaker": "Sam", "start": 51.0, "end": 60.0, "text": "Here is the planner view."},
]


def _metrics(segments: list[dict[str, object]], **kwargs: object):  # type: ignore[no-untyped-def]
    t = parse_transcript(json.dumps(segments))
    sides = speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"})
    return call_metrics(t, sides, **kwargs)  # type: ignore[arg-type]


def test_time_based_talk_ratio_per_speaker_and_side() -> None:
    m = _metrics(SEGMENTS)
    assert m.basis == "time" and m.detail.basis == "time"
    # Sam 8 + 20 + 9 = 37 s, Dana 10 + 9.5 = 19.5 s
    assert m.talk_ratio == {"Dana": round(19.5 / 56.5, 3), "Sam": round(37 / 56.5, 3)}
    assert m.side_ratio == {"customer": round(19.5 / 56.5, 3), "rep": round(37 / 56.5, 3)}
    sam = m.detail.speakers["Sam"]
    assert (sam.side, sam.seconds, sam.turns, sam.words) == ("rep", 37.0, 3, 17)


def test_longest_monologue_joins_consecutive_turns() -> None:
    mono = _metrics(SEGMENTS).detail.longest_monologue
    assert mono is not None
    assert (mono.speaker, mono.seconds, mono.words, mono.start) == ("Sam", 30.0, 11, 30.0)
    assert mono.quote == "Got it. Let me show you."


def test_interactivity_and_patience() -> None:
    d = _metrics(SEGMENTS).detail
    assert d.duration_s == 60.0 and d.switches == 3
    assert d.interactivity == 3.0  # 3 switches in one minute
    # rep answers the customer after 2.0 s (10 -> 12) and 0.0 s (30 -> 30)
    assert d.patience_s == 1.0


def test_interruptions_count_as_zero_patience() -> None:
    segs = [
        {"speaker": "Dana", "start": 0.0, "end": 10.0, "text": "We plan by hand."},
        {"speaker": "Sam", "start": 9.8, "end": 15.0, "text": "Right."},
    ]
    assert _metrics(segs).detail.patience_s == 0.0


def test_questions_and_rates_per_side() -> None:
    m = _metrics(SEGMENTS)
    assert m.questions == {"rep": 1, "customer": 0}
    assert m.detail.question_rate == {"rep": round(100 / 17, 3), "customer": 0.0}
    assert m.detail.question_rate_per_min == {"rep": 1.0, "customer": 0.0}
    assert m.detail.speakers["Sam"].questions == 1


def test_filler_words_default_list_and_phrases() -> None:
    m = _metrics(SEGMENTS)
    assert m.detail.speakers["Dana"].fillers == {"uh": 1, "um": 1}
    assert m.detail.speakers["Sam"].fillers == {"um": 1}
    assert "like" not in DEFAULT_FILLER_WORDS and "you know" not in DEFAULT_FILLER_WORDS
    custom = _metrics(SEGMENTS, filler_words=["you know", "um"])
    assert custom.detail.speakers["Dana"].fillers == {"um": 1, "you know": 1}
    assert custom.detail.filler_words == ["you know", "um"]


def test_fillers_are_whole_words() -> None:
    segs = [{"speaker": "Sam", "text": "Umbrella, hummus, uhura; erm... um-um, UH."}]
    assert _metrics(segs).detail.speakers["Sam"].fillers == {"erm": 1, "uh": 1, "um": 2}


def test_untimed_metrics_use_words_and_say_so() -> None:
    t = parse_transcript("Sam: One two three? Four five.\nDana: Six seven.\nLuis: Eight.\n")
    m = call_metrics(t, speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"}))
    assert m.basis == "words"
    assert m.talk_ratio == {"Sam": 0.625, "Dana": 0.25, "Luis": 0.125}
    d = m.detail
    assert d.duration_s is None and d.interactivity is None and d.patience_s is None
    assert d.question_rate_per_min == {}
    assert d.longest_monologue is not None
    assert (d.longest_monologue.speaker, d.longest_monologue.seconds) == ("Sam", None)
    assert d.longest_monologue.words == 5
    assert d.speakers["Luis"].side == "unknown" and d.speakers["Luis"].seconds is None
    assert d.switches == 2


def test_plain_timed_transcript_has_no_patience() -> None:
    # ends are derived from the next start, so every pause would read 0: not reported
    t = read_transcript(DISCOVERY)
    m = call_metrics(t, speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"}))
    assert m.detail.patience_s is None
    assert m.detail.interactivity is not None and m.detail.interactivity > 1


def test_seed_story_talk_ratio_is_73_27() -> None:
    t = read_transcript(DISCOVERY)
    m = call_metrics(t, speaker_sides(t, {"Sam Rivera"}, {"Dana Whitfield"}))
    assert round(m.talk_ratio["Sam Rivera"] * 100) == 73
    assert round(m.talk_ratio["Dana Whitfield"] * 100) == 27
    assert m.longest_monologue_s == m.detail.longest_monologue.seconds  # type: ignore[union-attr]


def test_vtt_fixture_patience_uses_cue_ends() -> None:
    t = read_transcript(FIXTURES / "onboarding_check.vtt")
    m = call_metrics(t, speaker_sides(t, {"Priya Nair"}, {"Ken Ito"}))
    assert m.detail.patience_s is not None
    assert m.detail.patience_s == pytest.approx(1.0, abs=1.0)


def test_metrics_models_are_registered_for_checkpoints() -> None:
    from sales_operator.state import STATE_MODELS, ConversationMetrics, Monologue, SpeakerMetrics

    assert {ConversationMetrics, Monologue, SpeakerMetrics} <= set(STATE_MODELS)
    from sales_operator.serde import make_serializer

    detail = _metrics(SEGMENTS).detail
    serde = make_serializer()
    assert serde.loads_typed(serde.dumps_typed(detail)) == detail
