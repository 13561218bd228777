"""Speaker turns for recognised words: alignment to a diarization, and the pyannote loader.

The alignment is pure Python and needs no model: `assign_speakers` gives each timed word
the speaker of the diarization turn it overlaps most, and `words_to_turns` merges runs of
consecutive words by the same speaker into transcript `Turn`s.

```python
words = [Word(" Hello", 0.0, 0.4), Word(" there.", 0.4, 0.8), Word(" Hi!", 1.2, 1.5)]
diarization = [(0.0, 1.0, "SPEAKER_00"), (1.1, 2.0, "SPEAKER_01")]
turns = words_to_turns(words, assign_speakers(words, diarization))
# Turn("SPEAKER_00", "Hello there.", 0.0, 0.8), Turn("SPEAKER_01", "Hi!", 1.2, 1.5)
```

`load_pyannote_pipeline` loads a pyannote-audio speaker-diarization pipeline from a local
checkpoint folder (or `config.yaml`) or a Hugging Face id with a token, with pyannote's
usage telemetry switched off; `diarize_waveform` runs it on audio already in memory.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sales_operator.errors import ConfigurationError, TranscriptError
from sales_operator.meetings.transcript import Turn

__all__ = [
    "DEFAULT_PYANNOTE_CHECKPOINT",
    "annotation_segments",
    "PYANNOTE_CHECKPOINT_ENV",
    "SpeakerSegment",
    "Word",
    "assign_speakers",
    "diarize_waveform",
    "load_pyannote_pipeline",
    "normalize_segments",
    "pyannote_available",
    "relabel_by_appearance",
    "words_to_turns",
]

SpeakerSegment = tuple[float, float, str]
"""One diarization turn: (start seconds, end seconds, speaker label)."""

PYANNOTE_CHECKPOINT_ENV = "SALES_OPERATOR_PYANNOTE_CHECKPOINT"
"""Environment variable naming a local pyannote pipeline folder (or a Hugging Face id)."""

DEFAULT_PYANNOTE_CHECKPOINT = "pyannote/speaker-diarization-community-1"
"""The pipeline loaded when none is named (gated: it needs a Hugging Face token)."""

_INSTALL_HINT = "pip install 'sales-operator[diarization]'"


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span."""

    text: str
    """The word as the recogniser wrote it (Whisper words carry their leading space)."""
    start: float
    """Seconds from the start of the recording."""
    end: float
    """Seconds from the start of the recording when the word ends."""


# --- alignment ------------------------------------------------------------------------------


def normalize_segments(diarization: Sequence[SpeakerSegment]) -> list[SpeakerSegment]:
    """Return diarization turns checked, as floats, sorted by start time.

    Raises:
        TranscriptError: naming the turn that is not (start, end, label), has an empty
            label, or ends before it starts.
    """
    segments: list[SpeakerSegment] = []
    for number, seg in enumerate(diarization, start=1):
        try:
            start, end, label = seg
        except (TypeError, ValueError):
            raise TranscriptError(
                f"diarization turn {number}: expected (start, end, label), got {seg!r}"
            ) from None
        if not isinstance(label, str) or not label:
            raise TranscriptError(f"diarization turn {number}: the label must be a non-empty str")
        if end < start:
            raise TranscriptError(
                f"diarization turn {number}: ends ({end:.2f}s) before it starts ({start:.2f}s)"
            )
        segments.append((float(start), float(end), label))
    return sorted(segments, key=lambda s: (s[0], s[1]))


def assign_speakers(words: Sequence[Word], diarization: Sequence[SpeakerSegment]) -> list[str]:
    """Return the speaker of every word: the diarization turn it overlaps most.

    A word that overlaps no turn (it falls in a gap, or has no duration) goes to the turn
    nearest its midpoint. Ties go to the turn that starts first.

    Args:
        words: The recognised words, in any order.
        diarization: The speaker turns, as (start, end, label), in any order; they may
            overlap (two people talking at once).

    Raises:
        TranscriptError: when there are words but no diarization turns, or a turn is
            malformed.
    """
    if not words:
        return []
    segments = normalize_segments(diarization)
    if not segments:
        raise TranscriptError("the diarization found no speech turns to align the words to")
    starts = [s[0] for s in segments]
    longest = max(e - s for s, e, _ in segments)
    labels: list[str] = []
    for word in words:
        ws, we = word.start, max(word.end, word.start)
        # only turns starting in [ws - longest, we] can overlap the word
        lo = bisect.bisect_left(starts, ws - longest)
        hi = bisect.bisect_right(starts, we)
        best: str | None = None
        best_overlap = 0.0
        for s, e, label in segments[lo:hi]:
            overlap = min(we, e) - max(ws, s)
            if overlap > best_overlap:
                best, best_overlap = label, overlap
        if best is None:
            mid = (ws + we) / 2
            best = min(segments, key=lambda seg: max(seg[0] - mid, mid - seg[1], 0.0))[2]
        labels.append(best)
    return labels


def words_to_turns(
    words: Sequence[Word], speakers: Sequence[str], *, max_gap: float | None = None
) -> list[Turn]:
    """Merge consecutive words by the same speaker into turns.

    Words are taken in order of start time. A new turn opens when the speaker changes, or
    when `max_gap` is set and the silence since the previous word is longer than it. Turns
    never overlap: where two people talk at once, a turn ends when the next one starts (as
    `parse_transcript` requires of timed transcripts).

    Args:
        words: The recognised words.
        speakers: The speaker of each word (same length as `words`).
        max_gap: The longest pause, in seconds, inside one turn; None for no limit.

    Raises:
        TranscriptError: when `speakers` and `words` differ in length.
    """
    if len(words) != len(speakers):
        raise TranscriptError(f"{len(words)} words but {len(speakers)} speaker labels")
    ordered = sorted(zip(words, speakers, strict=True), key=lambda ws: (ws[0].start, ws[0].end))
    runs: list[tuple[str, list[Word]]] = []
    for word, speaker in ordered:
        if runs and runs[-1][0] == speaker:
            previous = runs[-1][1][-1]
            if max_gap is None or word.start - previous.end <= max_gap:
                runs[-1][1].append(word)
                continue
        runs.append((speaker, [word]))
    turns: list[Turn] = []
    for i, (speaker, run) in enumerate(runs):
        text = " ".join("".join(w.text for w in run).split())
        if not text:
            continue
        end = max(w.end for w in run)
        if i + 1 < len(runs):  # overlapping speech: the turn ends where the next begins
            end = max(run[0].start, min(end, runs[i + 1][1][0].start))
        turns.append(
            Turn(
                speaker=speaker,
                text=text,
                start=round(run[0].start, 3),
                end=round(end, 3),
                line=len(turns) + 1,
            )
        )
    return turns


def relabel_by_appearance(
    diarization: Sequence[SpeakerSegment], names: Sequence[str] | None = None
) -> list[SpeakerSegment]:
    """Rename diarization labels in order of first appearance.

    The first speaker heard becomes `names[0]` (or `SPEAKER_00` when there is no name for
    it), the second `names[1]` (or `SPEAKER_01`), and so on.
    """
    segments = normalize_segments(diarization)
    mapping: dict[str, str] = {}
    for _, _, label in segments:
        if label not in mapping:
            i = len(mapping)
            mapping[label] = names[i] if names and i < len(names) else f"SPEAKER_{i:02d}"
    return [(s, e, mapping[label]) for s, e, label in segments]


# --- pyannote -------------------------------------------------------------------------------


def _telemetry_off() -> None:
    """Switch pyannote's usage metrics off for this process (before and after import)."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    try:
        from pyannote.audio.telemetry import set_telemetry_metrics
    except ImportError:  # pyannote.audio 3.x has no telemetry
        return
    set_telemetry_metrics(False)


def pyannote_available() -> bool:
    """Return whether pyannote-audio (and torch) can be imported."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    try:
        import pyannote.audio  # noqa: F401
        import torch  # noqa: F401
    except Exception:  # ImportError, or a broken torch/torchaudio build
        return False
    return True


def load_pyannote_pipeline(
    checkpoint: str | Path | None = None, *, token: str | None = None, device: str = "cpu"
) -> Any:
    """Load a pyannote-audio speaker-diarization pipeline, with telemetry switched off.

    The last two pipelines loaded are kept, so transcribing many calls loads once.

    Args:
        checkpoint: A local pipeline folder (holding `config.yaml`), a `config.yaml` file,
            or a Hugging Face id. Defaults to `$SALES_OPERATOR_PYANNOTE_CHECKPOINT`, then
            `pyannote/speaker-diarization-community-1`.
        token: A Hugging Face access token for gated pipelines (a local folder needs none;
            `HF_TOKEN` in the environment is used when this is None).
        device: The torch device to run on (`cpu`, `cuda`, `cuda:1`, `mps`, or `auto`:
            CUDA when available, else CPU).

    Raises:
        ConfigurationError: when pyannote-audio is not installed, or the pipeline cannot be
            loaded (not found, gated without a token, no network).
    """
    checkpoint = (
        checkpoint or os.environ.get(PYANNOTE_CHECKPOINT_ENV) or DEFAULT_PYANNOTE_CHECKPOINT
    )
    return _load_pipeline(str(checkpoint), token, device)


@functools.lru_cache(maxsize=2)
def _load_pipeline(checkpoint: str, token: str | None, device: str) -> Any:
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    try:
        import torch
        from pyannote.audio import Pipeline
    except Exception as err:
        raise ConfigurationError(
            f"speaker diarization needs pyannote-audio, which cannot be imported ({err}); "
            f"install it with {_INSTALL_HINT}, or record the call with one speaker per "
            "channel and use diarization='channels'"
        ) from err
    _telemetry_off()
    local = Path(str(checkpoint)).expanduser()
    if local.is_dir() and not (local / "config.yaml").is_file():
        raise ConfigurationError(f"pyannote checkpoint folder {local} has no config.yaml")
    source: str = str(local) if local.exists() else str(checkpoint)
    # pyannote.audio 4 takes `token`; 3.x named it `use_auth_token`
    accepted = inspect.signature(Pipeline.from_pretrained).parameters
    token_arg = "token" if "token" in accepted else "use_auth_token"
    try:
        pipeline = Pipeline.from_pretrained(source, **{token_arg: token})
    except Exception as err:
        raise ConfigurationError(
            f"cannot load the pyannote pipeline {source!r}: {type(err).__name__}: {err}"
        ) from err
    if pipeline is None:  # a gated pipeline without access
        raise ConfigurationError(
            f"cannot load the pyannote pipeline {source!r}: accept its user conditions on "
            "huggingface.co and pass a token (or HF_TOKEN), or give a local checkpoint folder "
            f"in ${PYANNOTE_CHECKPOINT_ENV}"
        )
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        pipeline.to(torch.device(device))
    except Exception as err:
        raise ConfigurationError(f"cannot move the pyannote pipeline to {device!r}: {err}") from err
    return pipeline


def diarize_waveform(
    pipeline: Callable[..., Any],
    audio: Sequence[float] | Any,
    *,
    sample_rate: int = 16000,
    num_speakers: int | None = None,
) -> list[SpeakerSegment]:
    """Run a pyannote pipeline on mono audio in memory; return its speaker turns.

    The audio is handed over as a waveform tensor, so pyannote needs no audio decoder. When
    the pipeline returns pyannote 4's output, its exclusive diarization (one speaker at a
    time, made for aligning transcripts) is used.

    Args:
        pipeline: A loaded pipeline (see `load_pyannote_pipeline`).
        audio: Mono float samples (a 1-D numpy array).
        sample_rate: The samples' rate in Hz.
        num_speakers: The number of speakers, when known.
    """
    import numpy as np
    import torch

    samples = np.asarray(audio, dtype=np.float32)
    waveform = torch.from_numpy(samples).unsqueeze(0)
    kwargs: dict[str, Any] = {}
    if num_speakers is not None:
        kwargs["num_speakers"] = num_speakers
    output = pipeline({"waveform": waveform, "sample_rate": sample_rate}, **kwargs)
    return annotation_segments(output)


def annotation_segments(output: Any) -> list[SpeakerSegment]:
    """Return (start, end, label) turns of a pyannote output or `Annotation`.

    Reads pyannote 4's `exclusive_speaker_diarization` (else `speaker_diarization`) when
    present, else treats `output` itself as an `Annotation` (pyannote 3).
    """
    annotation = getattr(output, "exclusive_speaker_diarization", None)
    if annotation is None:
        annotation = getattr(output, "speaker_diarization", output)
    segments = [
        (float(turn.start), float(turn.end), str(label))
        for turn, _track, label in annotation.itertracks(yield_label=True)
    ]
    return sorted(segments, key=lambda s: (s[0], s[1]))
