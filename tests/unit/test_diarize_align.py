"""Word-to-speaker alignment with a synthetic diarization (no model, no pyannote)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from sales_operator.errors import ConfigurationError, TranscriptError
from sales_operator.meetings.diarize import (
    Word,
    annotation_segments,
    assign_speakers,
    load_pyannote_pipeline,
    normalize_segments,
    relabel_by_appearance,
    words_to_turns,
)
from sales_operator.meetings.transcript import parse_transcript


def words_of(text: str, start: float, step: float = 0.3) -> list[Word]:
    """Words of `text`, one every `step` seconds from `start`, with Whisper's leading spaces."""
    return [
        Word(f" {w}", round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3))
        for i, w in enumerate(text.split())
    ]


def test_each_word_goes_to_the_turn_it_overlaps_most() -> None:
    words = [Word(" a", 0.0, 1.0), Word(" b", 0.9, 2.1), Word(" c", 2.5, 3.0)]
    diarization = [(0.0, 1.2, "S0"), (1.2, 3.0, "S1")]
    # b: 0.3 s with S0, 0.9 s with S1
    assert assign_speakers(words, diarization) == ["S0", "S1", "S1"]


def test_words_in_a_gap_go_to_the_nearest_turn_and_ties_to_the_earlier() -> None:
    diarization = [(0.0, 1.0, "S0"), (3.0, 4.0, "S1")]
    words = [
        Word(" gap_near_s0", 1.2, 1.4),  # 0.3 from S0, 1.7 from S1
        Word(" gap_near_s1", 2.6, 2.8),
        Word(" point", 3.5, 3.5),  # zero duration, inside S1
        Word(" after", 9.0, 9.5),
    ]
    assert assign_speakers(words, diarization) == ["S0", "S1", "S1", "S1"]
    # exact tie in overlap: the turn that starts first wins
    assert assign_speakers([Word(" x", 1.0, 3.0)], [(2.0, 4.0, "B"), (0.0, 2.0, "A")]) == ["A"]


def test_overlapping_speakers_and_a_long_turn_far_back_are_found() -> None:
    # a long monologue starting long before the word, and a short overlapping back-channel
    diarization = [(0.0, 100.0, "Rep"), (50.0, 50.6, "Buyer"), (99.0, 105.0, "Buyer")]
    words = [Word(" long", 49.0, 49.5), Word(" mhm", 50.0, 50.5), Word(" end", 101.0, 101.5)]
    # "mhm" overlaps both fully: tie -> the earlier turn (Rep); "end" is only in Buyer's turn
    assert assign_speakers(words, diarization) == ["Rep", "Rep", "Buyer"]
    assert assign_speakers([Word(" yes", 50.1, 50.9)], diarization) == ["Rep"]
    assert assign_speakers([Word(" yes", 99.5, 101.0)], diarization) == ["Buyer"]


def test_words_merge_into_turns_per_speaker_run() -> None:
    words = (
        words_of("Thanks for joining the call today.", 0.0)
        + words_of("We need the security review first.", 2.5)
        + words_of("I can send it tomorrow.", 5.0)
    )
    diarization = [(0.0, 2.2, "SPEAKER_00"), (2.4, 4.6, "SPEAKER_01"), (4.9, 7.0, "SPEAKER_00")]
    turns = words_to_turns(words, assign_speakers(words, diarization))
    assert [(t.speaker, t.text) for t in turns] == [
        ("SPEAKER_00", "Thanks for joining the call today."),
        ("SPEAKER_01", "We need the security review first."),
        ("SPEAKER_00", "I can send it tomorrow."),
    ]
    assert [t.start for t in turns] == [0.0, 2.5, 5.0]
    assert turns[0].end == pytest.approx(1.75)
    assert [t.line for t in turns] == [1, 2, 3]


def test_words_are_ordered_by_time_and_max_gap_splits_a_run() -> None:
    words = [Word(" later", 5.0, 5.4), Word(" Hello", 0.0, 0.4), Word(" there.", 0.5, 0.9)]
    turns = words_to_turns(words, ["A", "A", "A"])
    assert [t.text for t in turns] == ["Hello there. later"]
    split = words_to_turns(words, ["A", "A", "A"], max_gap=2.0)
    assert [(t.text, t.start, t.end) for t in split] == [
        ("Hello there.", 0.0, 0.9),
        ("later", 5.0, 5.4),
    ]
    with pytest.raises(TranscriptError, match="3 words but 2 speaker labels"):
        words_to_turns(words, ["A", "A"])


def test_whitespace_only_words_do_not_make_empty_turns() -> None:
    words = [Word(" Hi", 0.0, 0.2), Word("  ", 0.3, 0.4), Word(" ok", 0.5, 0.6)]
    turns = words_to_turns(words, ["A", "B", "A"])
    assert [(t.speaker, t.text) for t in turns] == [("A", "Hi"), ("A", "ok")]


def test_relabel_by_appearance_maps_names_in_order_heard() -> None:
    diarization = [(5.0, 6.0, "SPEAKER_00"), (0.0, 4.0, "SPEAKER_03"), (7.0, 8.0, "SPEAKER_09")]
    assert relabel_by_appearance(diarization, ["Sam Rivera"]) == [
        (0.0, 4.0, "Sam Rivera"),
        (5.0, 6.0, "SPEAKER_01"),
        (7.0, 8.0, "SPEAKER_02"),
    ]


def test_malformed_diarizations_are_named() -> None:
    assert assign_speakers([], []) == []
    with pytest.raises(TranscriptError, match="found no speech turns"):
        assign_speakers([Word(" a", 0.0, 1.0)], [])
    with pytest.raises(TranscriptError, match="turn 2: ends"):
        normalize_segments([(0.0, 1.0, "A"), (3.0, 2.0, "B")])
    with pytest.raises(TranscriptError, match=r"turn 1: expected \(start, end, label\)"):
        normalize_segments([(0.0, 1.0)])  # type: ignore[list-item]
    with pytest.raises(TranscriptError, match="non-empty str"):
        normalize_segments([(0.0, 1.0, "")])


class _Segment(SimpleNamespace):
    start: float
    end: float


class _Annotation:
    """The slice of pyannote.core.Annotation that `annotation_segments` reads."""

    def __init__(self, tracks: list[tuple[float, float, str]]) -> None:
        self.tracks = tracks

    def itertracks(self, yield_label: bool = False) -> list[tuple[_Segment, str, str]]:
        assert yield_label
        return [
            (_Segment(start=s, end=e), f"t{i}", lab) for i, (s, e, lab) in enumerate(self.tracks)
        ]


def test_annotation_segments_reads_pyannote_3_and_4_outputs() -> None:
    v3 = _Annotation([(2.0, 3.0, "SPEAKER_01"), (0.0, 1.5, "SPEAKER_00")])
    assert annotation_segments(v3) == [(0.0, 1.5, "SPEAKER_00"), (2.0, 3.0, "SPEAKER_01")]
    overlapping = _Annotation([(0.0, 3.0, "SPEAKER_00"), (1.0, 2.0, "SPEAKER_01")])
    exclusive = _Annotation([(0.0, 1.0, "SPEAKER_00"), (1.0, 2.0, "SPEAKER_01")])
    v4 = SimpleNamespace(speaker_diarization=overlapping, exclusive_speaker_diarization=exclusive)
    assert annotation_segments(v4) == [(0.0, 1.0, "SPEAKER_00"), (1.0, 2.0, "SPEAKER_01")]


def test_pyannote_missing_is_a_configuration_error_and_telemetry_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYANNOTE_METRICS_ENABLED", raising=False)
    monkeypatch.setitem(sys.modules, "pyannote.audio", None)  # import fails as if absent
    with pytest.raises(ConfigurationError, match=r"sales-operator\[diarization\]"):
        load_pyannote_pipeline("/nonexistent/pipeline")
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"


class _FakePipeline:
    """Records how pyannote's `Pipeline.from_pretrained` is called (pyannote 4 signature)."""

    calls: list[tuple[str, dict[str, object]]] = []
    result: object = "pipeline"

    @classmethod
    def from_pretrained(cls, checkpoint: str, token: str | None = None) -> object:
        cls.calls.append((checkpoint, {"token": token}))
        if cls.result is None:
            return None
        return SimpleNamespace(to=lambda device: cls.calls.append(("to", {"device": device})))


class _FakePipelineV3(_FakePipeline):
    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls, checkpoint: str, use_auth_token: str | None = None
    ) -> object:
        cls.calls.append((checkpoint, {"use_auth_token": use_auth_token}))
        return SimpleNamespace(to=lambda device: None)


@pytest.fixture
def fake_pyannote(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Stand-in `torch` and `pyannote.audio` modules; returns the telemetry switch calls."""
    from sales_operator.meetings import diarize

    telemetry: list[bool] = []
    torch = SimpleNamespace(
        device=lambda d: f"device:{d}", cuda=SimpleNamespace(is_available=lambda: False)
    )
    audio = SimpleNamespace(Pipeline=_FakePipeline)
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "pyannote", SimpleNamespace(audio=audio))
    monkeypatch.setitem(sys.modules, "pyannote.audio", audio)
    monkeypatch.setitem(
        sys.modules,
        "pyannote.audio.telemetry",
        SimpleNamespace(set_telemetry_metrics=lambda enabled: telemetry.append(enabled)),
    )
    monkeypatch.setenv("PYANNOTE_METRICS_ENABLED", "true")
    _FakePipeline.calls = []
    _FakePipeline.result = "pipeline"
    diarize._load_pipeline.cache_clear()
    yield telemetry
    diarize._load_pipeline.cache_clear()


def test_pyannote_loads_a_local_folder_with_telemetry_off(
    fake_pyannote: list[bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "speaker-diarization-community-1"
    folder.mkdir()
    (folder / "config.yaml").write_text("pipeline: {}\n")
    monkeypatch.setenv("SALES_OPERATOR_PYANNOTE_CHECKPOINT", str(folder))
    load_pyannote_pipeline(device="auto")
    assert _FakePipeline.calls == [(str(folder), {"token": None}), ("to", {"device": "device:cpu"})]
    assert fake_pyannote == [False] and os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    # loaded once per (checkpoint, token, device)
    load_pyannote_pipeline(device="auto")
    assert len(_FakePipeline.calls) == 2


def test_pyannote_hub_ids_take_the_token_and_gated_access_is_explained(
    fake_pyannote: list[bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALES_OPERATOR_PYANNOTE_CHECKPOINT", raising=False)
    _FakePipeline.result = None  # what pyannote returns for a gated pipeline without access
    with pytest.raises(ConfigurationError, match="accept its user conditions"):
        load_pyannote_pipeline(token="hf_x")
    assert _FakePipeline.calls == [("pyannote/speaker-diarization-community-1", {"token": "hf_x"})]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigurationError, match="has no config.yaml"):
        load_pyannote_pipeline(empty)


def test_pyannote_3_gets_use_auth_token(
    fake_pyannote: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules["pyannote.audio"], "Pipeline", _FakePipelineV3)
    load_pyannote_pipeline("org/pipeline", token="hf_y")
    assert _FakePipeline.calls == [("org/pipeline", {"use_auth_token": "hf_y"})]


def test_overlapping_speech_makes_turns_that_end_where_the_next_starts() -> None:
    # B's back-channel lands while A is still finishing a word
    words = [Word(" so", 0.0, 0.5), Word(" the", 0.5, 1.8), Word(" yes", 1.0, 1.3)]
    words += [Word(" plan", 1.5, 2.0)]
    turns = words_to_turns(words, ["A", "A", "B", "A"])
    assert [(t.speaker, t.start, t.end) for t in turns] == [
        ("A", 0.0, 1.0),
        ("B", 1.0, 1.3),
        ("A", 1.5, 2.0),
    ]
    # so the transcript saved as JSON segments reads back
    segments = [
        {"speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text} for t in turns
    ]
    assert len(parse_transcript(json.dumps(segments)).turns) == 3
